"""Fixtures of the handler tests, reused by the review tests."""

from tests.handlers.conftest import aws, aws_calls, catalog_api, orders_api, orders_module, seeded, state_machines  # noqa: F401
from tests.handlers.test_transient_faults import faults, functions, sandbox, world  # noqa: F401
