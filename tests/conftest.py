"""Test-wide environment. Set before any oms module is imported: pynamodb models take the table name
at import time, and the in-process local stack (integration tests) shares this interpreter, so the
names here are the local stack's own (stack name `oms-local`)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from oms_local.core.functions import LOCAL_CALL_BUDGET  # imports no oms module

os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
os.environ.setdefault("AWS_SESSION_TOKEN", "testing")
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
os.environ.setdefault("TABLE_NAME", "oms-local-oms")
os.environ.setdefault("POWERTOOLS_SERVICE_NAME", "oms")
os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")
# The in-process local stack's AWS call budget, which oms.faults reads when it is imported.
for _name, _value in LOCAL_CALL_BUDGET.items():
    os.environ.setdefault(_name, _value)


# ---------------------------------------------------------------- parallel runs (pytest-xdist, `-n 2 --dist loadgroup`)
# moto keeps its state in module globals, shared by `mock_aws` (handler tests, and unit modules that import
# it) and the moto server of a local stack (integration tests), and both use the stack's table name: a
# mock starting or stopping resets moto and would wipe a stack running in the same process. So the tests
# of each kind run in one worker (an xdist group); everything else is spread over the workers. Serial runs
# keep pytest's order (handlers, then integration), as before.
_MOCK_GROUP, _STACK_GROUP = "moto-mock", "local-stack"


def _group_of(item: pytest.Item) -> str | None:
    path = Path(str(item.path))
    module = getattr(item, "module", None)
    if "integration" in path.parts or getattr(module, "LocalStack", None) is not None:
        return _STACK_GROUP
    if "handlers" in path.parts or getattr(module, "mock_aws", None) is not None:
        return _MOCK_GROUP
    return None


@pytest.hookimpl(tryfirst=True)  # before xdist reads the groups into the node ids
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        group = _group_of(item)
        if group is not None:
            item.add_marker(pytest.mark.xdist_group(group))
