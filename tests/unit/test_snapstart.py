"""SnapStart hooks: after a restore every copy of the snapshot gets its own random state (the `random`
module and the oms retry-jitter generators) and the registered refreshes run; the hooks are registered
with the runtime's snapshot_restore_py when oms is imported."""

from __future__ import annotations

import random
import sys
import types
from collections.abc import Iterator

import pytest
from oms import snapstart
from oms.adapters import outbox
from oms.store import transactions


@pytest.fixture
def registries(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(snapstart, "_after_restore", [])
    monkeypatch.setattr(snapstart, "_before_snapshot", [])
    yield


def test_after_a_restore_the_retry_jitter_differs_between_copies(registries: None) -> None:
    generators = [outbox._jitter, transactions._jitter]
    for generator in generators:
        generator.seed(42)  # what every copy restored from one snapshot would start from
    snapshot = [generator.getstate() for generator in generators]

    snapstart.after_restore()

    assert all(g.getstate() != state for g, state in zip(generators, snapshot, strict=True))


def test_the_shared_random_state_is_reseeded(registries: None) -> None:
    random.seed(7)
    from_snapshot = random.random()
    random.seed(7)

    snapstart.after_restore()

    assert random.random() != from_snapshot


def test_every_module_level_generator_of_oms_is_found_and_only_those(
    registries: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    ours, foreign = types.ModuleType("oms._snapshot_probe"), types.ModuleType("elsewhere_probe")
    ours.jitter, foreign.jitter = random.Random(1), random.Random(1)  # type: ignore[attr-defined]
    ours.system = random.SystemRandom()  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, ours.__name__, ours)
    monkeypatch.setitem(sys.modules, foreign.__name__, foreign)
    untouched = random.Random(1).getstate()

    assert snapstart.reseed_generators() >= 4  # random itself, outbox, transactions, the probe

    assert ours.jitter.getstate() != untouched  # type: ignore[attr-defined]
    assert foreign.jitter.getstate() == untouched  # type: ignore[attr-defined]


def test_registered_refreshes_run_after_restore_in_order_once_each(registries: None) -> None:
    calls: list[str] = []

    @snapstart.on_restore
    def drop_clients() -> None:
        calls.append("clients")

    snapstart.on_restore(lambda: calls.append("second"))
    snapstart.on_restore(drop_clients)  # registering twice runs it once

    snapstart.after_restore()

    assert calls == ["clients", "second"]


def test_preparations_run_before_the_snapshot(registries: None) -> None:
    calls: list[str] = []
    snapstart.on_before_snapshot(lambda: calls.append("warm"))

    snapstart.before_snapshot()

    assert calls == ["warm"]


def test_importing_oms_registers_the_hooks_with_the_runtime_once() -> None:
    runtime = pytest.importorskip("snapshot_restore_py")

    assert snapstart.register_hooks() is True
    assert snapstart.register_hooks() is True

    before = [entry[0] for entry in runtime.get_before_snapshot()]
    after = [entry[0] for entry in runtime.get_after_restore()]
    assert before.count(snapstart.before_snapshot) == 1
    assert after.count(snapstart.after_restore) == 1


def test_without_the_runtime_package_nothing_is_registered(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "snapshot_restore_py", None)  # import fails as if not installed

    assert snapstart.register_hooks() is False
