"""Cold start: importing a function module loads no provider adapter, crypto, tracing or id library; those
load on first use (and, under SnapStart, before the snapshot: oms.snapstart.warm_lazy_imports)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from oms import snapstart

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
PROBE = """
import importlib.util, json, sys
spec = importlib.util.spec_from_file_location("fn", sys.argv[1])
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
print(json.dumps(sorted(name for name in json.loads(sys.argv[2]) if name in sys.modules)))
"""


@pytest.mark.parametrize("function", sorted(p.parent.name for p in (ROOT / "functions").glob("*/app.py")))
def test_importing_a_function_loads_nothing_heavy_it_may_not_use(function: str) -> None:
    env = {**os.environ, "TABLE_NAME": "t", "EVENT_BUS_NAME": "b", "AWS_DEFAULT_REGION": "us-east-1"}
    run = subprocess.run(
        [sys.executable, "-c", PROBE, str(ROOT / "functions" / function / "app.py"), json.dumps(LAZY)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(run.stdout) == []


def test_the_lazy_imports_are_warmed_before_a_snapshot() -> None:
    assert snapstart.warm_lazy_imports in snapstart._before_snapshot
    snapstart.warm_lazy_imports()
    assert "ulid" in sys.modules
