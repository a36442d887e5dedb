"""SnapStart runtime hooks: what must differ between execution environments restored from one snapshot.

The API functions run with SnapStart (template.yaml): Lambda initialises a published version once,
snapshots its memory and restores every new execution environment from that snapshot. Whatever the
init phase left in memory is then shared by every copy, so after each restore (AWS, "Handling
uniqueness with Lambda SnapStart"):

- the `random` module's state and every module-level `random.Random` of the oms package (the retry
  jitter of `oms.store.transactions` and `oms.adapters.outbox`) are seeded afresh from `os.urandom`, or
  every copy would retry in step. Ids need nothing: `oms.domain.ids` reads `os.urandom` at call time;
- the callables registered with `on_restore` run, in registration order (adapters drop what they must
  not carry over, e.g. a client whose connections were opened before the snapshot).

Secrets need no hook: they are read through powertools' parameter cache (`max_age`), which expires by
wall clock, so a value older than `max_age` is fetched again after a restore by itself. Clients are
created at first use, not at init, so no connection exists in the snapshot unless a before-snapshot
hook (`on_before_snapshot`) made one. Before the snapshot, each API function builds its services
(`build_before_snapshot`: the store, pynamodb and the services' modules, which its import leaves to the
first request) and `warm_lazy_imports` imports the id library; building a service opens no connection.

The hooks are registered with `snapshot_restore_py` (shipped in Lambda's managed Python runtimes; the
dev extra installs it for the tests) when this module is imported; `oms/__init__.py` imports it, so
every function that imports oms has them. Without the package (an environment that never snapshots)
nothing is registered. The runtime calls the hooks only under SnapStart
(`AWS_LAMBDA_INITIALIZATION_TYPE=snap-start`); elsewhere they are plain functions the tests call.
"""

from __future__ import annotations

import logging
import random
import sys
import threading
import weakref
from collections.abc import Callable

log = logging.getLogger(__name__)

_lock = threading.Lock()
_after_restore: list[Callable[[], None]] = []
_before_snapshot: list[Callable[[], None]] = []


def on_restore(refresh: Callable[[], None]) -> Callable[[], None]:
    """Run `refresh` after every restore from a snapshot (usable as a decorator)."""
    with _lock:
        if refresh not in _after_restore:
            _after_restore.append(refresh)
    return refresh


def on_before_snapshot(prepare: Callable[[], None]) -> Callable[[], None]:
    """Run `prepare` once before the snapshot is taken (e.g. warm caches); usable as a decorator."""
    with _lock:
        if prepare not in _before_snapshot:
            _before_snapshot.append(prepare)
    return prepare


def reseed_generators(package: str = "oms") -> int:
    """Seed `random` and every module-level `random.Random` of `package`'s loaded modules from the
    operating system's entropy; returns how many generators were reseeded."""
    random.seed()
    count = 1
    prefix = package + "."
    for name, module in list(sys.modules.items()):
        if module is None or not (name == package or name.startswith(prefix)):
            continue
        for value in list(vars(module).values()):
            if type(value) is random.Random:  # SystemRandom reads os.urandom each call: nothing to do
                value.seed()
                count += 1
    return count


def after_restore() -> None:
    """The after-restore hook: fresh random state, then the registered refreshes."""
    reseeded = reseed_generators()
    with _lock:
        refreshes = list(_after_restore)
    for refresh in refreshes:
        refresh()
    log.info("restored from a snapshot", extra={"generatorsReseeded": reseeded, "refreshes": len(refreshes)})


def before_snapshot() -> None:
    """The before-snapshot hook: the registered preparations, in registration order."""
    with _lock:
        preparations = list(_before_snapshot)
    for prepare in preparations:
        prepare()


def register_hooks() -> bool:
    """Register `before_snapshot` and `after_restore` with the runtime; False when snapshot_restore_py is
    not installed (not on Lambda). Safe to call more than once."""
    try:
        from snapshot_restore_py import (  # type: ignore[import-not-found, unused-ignore]
            register_after_restore,
            register_before_snapshot,
        )
    except ImportError:
        return False
    global _registered
    with _lock:
        if not _registered:
            register_before_snapshot(before_snapshot)
            register_after_restore(after_restore)
            _registered = True
    return True


def build_before_snapshot(services: object, *names: str) -> Callable[[], None]:
    """Before the snapshot, build these services of a function (`oms.wiring.Services` attributes, each
    built at first use): the snapshot then holds them and the modules they import (the store, the
    providers' base), so a restored environment's first request pays nothing for them, while a cold start
    without SnapStart still imports only what its requests use."""

    held = weakref.ref(services)  # a function module loaded again (tests, the local stack) drops the old one

    def build() -> None:
        current = held()
        for name in names if current is not None else ():
            getattr(current, name)

    build.__qualname__ = f"build_before_snapshot({', '.join(names)})"
    return on_before_snapshot(build)


def warm_lazy_imports() -> None:
    """Import, before the snapshot, what the oms package otherwise imports at first use (kept off the
    init of functions without SnapStart), so restored environments do not pay for it at their first
    request."""
    from oms.domain.ids import new_id

    new_id()  # imports python-ulid


_registered = False
on_before_snapshot(warm_lazy_imports)
register_hooks()
