"""Cold start: importing a function module loads no provider adapter, crypto, tracing or id library, and an
API function's loads no store (pynamodb, botocore's errors, oms.store) and no service; those load on first
use (and, under SnapStart, before the snapshot: oms.snapstart.warm_lazy_imports and each API function's
build_before_snapshot)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from oms import snapstart
from oms.api import schemas

ROOT = Path(__file__).resolve().parents[2]
LAZY = [
    "cryptography",
    "ulid",
    "aws_xray_sdk",
    "jwt",
    "oms.adapters.providers.alipay",
    "oms.adapters.providers.wechat",
    "oms.adapters.providers.card",
    "oms.adapters.providers.crypto",
    "oms.adapters.providers.bank_transfer",
]
API_FUNCTIONS = [
    "orders",
    "payments",
    "catalog",
    "fulfilment",
    "promotions",
    "payment_callbacks",
    "carrier_callbacks",
    "audit",
]
STORE = [
    "pynamodb",
    "botocore.exceptions",
    "oms.store",
    "oms.store.models",
    "oms.services.orders",
    "oms.services.payments",
]
PROBE = """
import importlib.util, json, sys
spec = importlib.util.spec_from_file_location("fn", sys.argv[1])
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
if sys.argv[3] == "snapshot":
    from oms import snapstart
    snapstart.before_snapshot()
print(json.dumps(sorted(name for name in json.loads(sys.argv[2]) if name in sys.modules)))
"""


def loaded_by_import(function: str, names: list[str], *, before_snapshot: bool = False) -> list[str]:
    """Which of `names` importing functions/<function>/app.py in a fresh interpreter loads (then running
    the before-snapshot hooks, if asked)."""
    env = {**os.environ, "TABLE_NAME": "t", "EVENT_BUS_NAME": "b", "AWS_DEFAULT_REGION": "us-east-1"}
    run = subprocess.run(
        [
            sys.executable,
            "-c",
            PROBE,
            str(ROOT / "functions" / function / "app.py"),
            json.dumps(names),
            "snapshot" if before_snapshot else "-",
        ],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    loaded: list[str] = json.loads(run.stdout)
    return loaded


@pytest.mark.parametrize("function", sorted(p.parent.name for p in (ROOT / "functions").glob("*/app.py")))
def test_importing_a_function_loads_nothing_heavy_it_may_not_use(function: str) -> None:
    assert loaded_by_import(function, LAZY) == []


def test_the_api_functions_are_all_checked() -> None:
    assert set(API_FUNCTIONS) <= {p.parent.name for p in (ROOT / "functions").glob("*/app.py")}


@pytest.mark.parametrize("function", API_FUNCTIONS)
def test_importing_an_api_function_loads_no_store_and_no_service(function: str) -> None:
    assert loaded_by_import(function, STORE) == []


OWN_SCHEMAS = {
    "orders": ["oms.api.order_schemas"],
    "payments": ["oms.api.payment_schemas"],
    "catalog": ["oms.api.catalog_schemas", "oms.api.stock_schemas"],
    "fulfilment": ["oms.api.fulfilment_schemas"],
    "promotions": ["oms.api.pricing_schemas"],
    "payment_callbacks": [],
    "carrier_callbacks": [],
    "audit": ["oms.api.audit_schemas"],
}


@pytest.mark.parametrize("function", API_FUNCTIONS)
def test_an_api_function_imports_only_its_own_request_models(function: str) -> None:
    assert loaded_by_import(function, list(schemas.MODEL_MODULES)) == OWN_SCHEMAS[function]


@pytest.mark.parametrize("function", API_FUNCTIONS)
def test_an_api_function_builds_its_services_before_a_snapshot(function: str) -> None:
    assert loaded_by_import(function, ["oms.store.models"], before_snapshot=True) == ["oms.store.models"]


def test_the_lazy_imports_are_warmed_before_a_snapshot() -> None:
    assert snapstart.warm_lazy_imports in snapstart._before_snapshot
    snapstart.warm_lazy_imports()
    assert "ulid" in sys.modules
