"""Integrations behind small interfaces (workflows, events, providers), swappable in tests."""
