"""Helpers shared by test modules (plain functions and classes, no fixtures: those live in conftest.py)."""
