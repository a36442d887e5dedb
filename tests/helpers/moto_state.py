"""One moto mock per test module, reset between tests instead of recreated.

Starting ``mock_aws`` and creating the template's table costs far more than a test: the handler tests
start it once per module (`mocked_aws`) and, between tests, `reset_between_tests` empties the table and
its stream in place and resets every other moto service (state machines, roles, buses, secrets), so a
test sees no row, resource or stream record of another. The per-test process state (caches, overrides)
is cleared by one function, `reset_process_state`, which grows with whatever the tests must not share.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import boto3
import moto.dynamodb.models as dynamodb_models
import pytest
from moto import mock_aws
from moto.core import DEFAULT_ACCOUNT_ID
from moto.core.base_backend import BackendDict
from moto.dynamodb.models import dynamodb_backends

# The table's own service keeps its state (the table); everything else is reset after each test.
_KEPT_SERVICES = frozenset({"dynamodb"})


# Callables run after each handler test (and once before the first) to clear process-wide state that a
# test may leave behind: caches of settings, services and clients, adapter overrides. Extend it here.
def _forget_role_policy() -> None:
    """The role policy each environment caches for a TTL (`oms.services.roles`): read afresh from the
    test's own table."""
    from oms.services.roles import POLICY

    POLICY.forget()


PROCESS_STATE_RESETS: list[Callable[[], None]] = [_forget_role_policy]


def reset_process_state() -> None:
    """Clear every process-wide cache or override a test could leave for the next one."""
    for reset in PROCESS_STATE_RESETS:
        reset()


@contextmanager
def mocked_aws(table_definition: Callable[[], dict[str, Any]]) -> Iterator[None]:
    """moto's in-process mock with the table created, the process pointed at it (not at a local stack).

    With the local stack's patches (g) and (k): moto's TransactWriteItems deep-copies the whole table once per
    item of a transaction (a 99-item transaction over a few hundred orders costs seconds), and its Query sorts
    every item of the table first; the patches snapshot only the items the transaction touches and start a
    query from its partition (or, on an index, from the unsorted items)."""
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.models.table import Table
    from oms_local.core import moto_patches

    with pytest.MonkeyPatch.context() as patch, mock_aws():
        patch.delenv("AWS_ENDPOINT_URL", raising=False)
        patch.setattr(dynamodb_models, "copy", moto_patches._CopyKeepingTables())
        patch.setattr(DynamoDBBackend, "transact_write_items", moto_patches._transact_write_items)
        patch.setattr(Table, "query", moto_patches._query)
        patch.setattr(Table, "all_items", moto_patches._all_items)
        boto3.client("dynamodb").create_table(**table_definition())
        yield


def reset_between_tests(table_definition: Callable[[], dict[str, Any]]) -> None:
    """Empty the table and its stream in place and reset every other moto service; recreate the table if a
    test removed it."""
    region = os.environ["AWS_DEFAULT_REGION"]
    name = os.environ["TABLE_NAME"]
    for backend in list(BackendDict._instances):  # the services used since the mock started
        if backend.service_name in _KEPT_SERVICES:
            continue
        for account_backend in backend.values():
            account_backend.reset()
    tables = dynamodb_backends[DEFAULT_ACCOUNT_ID][region].tables
    for other in [t for t in tables if t != name]:
        del tables[other]
    table = tables.get(name)
    if table is None:
        boto3.client("dynamodb").create_table(**table_definition())
        return
    table.items.clear()
    if table.stream_shard is not None:
        table.stream_shard.items.clear()


__all__ = ["PROCESS_STATE_RESETS", "mocked_aws", "reset_between_tests", "reset_process_state"]
