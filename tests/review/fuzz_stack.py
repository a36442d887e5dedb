"""Not a test: starts the local stack (seeded) on a free port for an offline schemathesis run, writes its
URL and demo tokens to the path given as argv[1], and serves until killed. See tests/review/REPORT.md."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from oms_local.stack import LocalStack

import tests.conftest  # noqa: F401  (the test environment: table name, call budget)

ROOT = Path(__file__).resolve().parents[2]

if __name__ == "__main__":
    with LocalStack(
        template_path=ROOT / "template.yaml",
        port=0,
        parameter_overrides={"PaymentTimeoutSeconds": "600", "AutoConfirmDays": "3"},
        seed=True,
    ) as stack:
        Path(sys.argv[1]).write_text(json.dumps({"url": stack.base_url, "tokens": stack.demo_tokens}))
        while True:
            time.sleep(60)
