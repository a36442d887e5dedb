"""Test-wide environment. Set before any oms module is imported: pynamodb models take the table name
at import time, and the in-process local stack (integration tests) shares this interpreter, so the
names here are the local stack's own (stack name `oms-local`)."""

from __future__ import annotations

import functools
import os
import re
from pathlib import Path
from typing import Any

import pytest
from oms_local.core.functions import LOCAL_CALL_BUDGET  # imports no oms module

os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
os.environ.setdefault("AWS_SESSION_TOKEN", "testing")
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
os.environ.setdefault("TABLE_NAME", "oms-local-oms")
os.environ.setdefault("EVIDENCE_BUCKET", "oms-local-evidence")  # presigned POSTs are signed without a call
os.environ.setdefault("REPORTS_BUCKET", "oms-local-reports")
os.environ.setdefault("IMAGES_BUCKET", "oms-local-images-123456789012")  # the local stack's name for it
os.environ.setdefault("IMAGES_BASE_URL", "https://images.example.test")
os.environ.setdefault("POWERTOOLS_SERVICE_NAME", "oms")
os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")
# The in-process local stack's AWS call budget, which oms.faults reads when it is imported.
for _name, _value in LOCAL_CALL_BUDGET.items():
    os.environ.setdefault(_name, _value)


# ---------------------------------------------------------------- parallel runs (pytest-xdist, `-n 2`)
# moto keeps its state in module globals, shared by `mock_aws` (handler tests, and unit modules that import
# it) and the moto server of a local stack (integration tests), and both use the stack's table name: a
# mock starting or stopping resets moto and would wipe a stack running in the same process. So the tests
# of each kind run in one worker; everything else is spread over the workers, test by test. Serial runs
# keep pytest's order (handlers, then integration), as before. (A scheduler rather than `xdist_group`
# marks: pytest 9.2 no longer reads the node id suffix xdist 3.8's loadgroup relies on.)
MOCK_GROUP, STACK_GROUP = "moto-mock", "local-stack"


@functools.cache
def worker_group(root: Path, module_path: str) -> str | None:
    """Which kind of test a module (a path relative to the root) holds: MOCK_GROUP, STACK_GROUP or None."""
    parts = Path(module_path).parts
    source = (root / module_path).read_text(encoding="utf-8") if module_path.endswith(".py") else ""
    if "integration" in parts or re.search(r"\bLocalStack\b", source):
        return STACK_GROUP
    if "handlers" in parts or re.search(r"\bmock_aws\b", source):
        return MOCK_GROUP
    return None


try:
    from xdist.scheduler import LoadScopeScheduling
except ImportError:  # pytest-xdist is in the dev extra; without it the suite runs serially
    pass
else:

    class WorkerGroupScheduling(LoadScopeScheduling):
        """Like `--dist load`, except that each group of `worker_group` goes to one worker as a whole.

        With more than two workers the handler (moto mock) modules are split into `workers - 1` groups of
        about equal size (test count, largest module first), so they run side by side while the
        local-stack group has a worker of its own: loadscope hands the biggest scopes out first, one per
        worker, so no worker ever holds a mock group and the stack group at once."""

        def schedule(self) -> None:
            if self.collection is None and self.registered_collections:
                workers = len(self.nodes)
                buckets = max(1, workers - 1)
                sizes: dict[str, int] = {}
                for nodeid in next(iter(self.registered_collections.values())):
                    module = nodeid.split("::", 1)[0]
                    if worker_group(self.config.rootpath, module) == MOCK_GROUP:
                        sizes[module] = sizes.get(module, 0) + 1
                loads = [0] * buckets
                self._mock_bucket: dict[str, int] = {}
                for module, size in sorted(sizes.items(), key=lambda item: (-item[1], item[0])):
                    bucket = loads.index(min(loads))
                    self._mock_bucket[module] = bucket
                    loads[bucket] += size
            super().schedule()

        def _split_scope(self, nodeid: str) -> str:
            module = nodeid.split("::", 1)[0]
            group = worker_group(self.config.rootpath, module)
            if group == MOCK_GROUP and getattr(self, "_mock_bucket", None):
                return f"{MOCK_GROUP}-{self._mock_bucket.get(module, 0)}"
            return group if group is not None else nodeid

    def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> WorkerGroupScheduling | None:
        if config.getvalue("dist") == "each":
            return None
        return WorkerGroupScheduling(config, log)
