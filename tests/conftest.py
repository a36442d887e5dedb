"""Test-wide environment. Set before any oms module is imported: pynamodb models take the table name
at import time, and the in-process local stack (integration tests) shares this interpreter, so the
names here are the local stack's own (stack name `oms-local`)."""

from __future__ import annotations

import os

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
