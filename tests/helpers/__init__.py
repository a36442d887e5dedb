"""Helpers shared by test modules: plain functions and classes, and the fixtures several modules use
(each handler fixture is registered in tests/handlers/conftest.py). Test modules import from here,
never from one another."""
