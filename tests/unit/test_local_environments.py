"""The local stack runs concurrent invocations of one function in separate copies of its module, as
Lambda runs them in separate execution environments: powertools' resolver keeps the current request
on the app, so two requests sharing one module would read each other's arguments."""

from __future__ import annotations

import sys
import threading
import types
from pathlib import Path

import pytest
from oms_local.core.functions import load_function, unload_function
from oms_local.core.template import FunctionSpec

HANDLER = """
import oms_envtest_gate
services = object()  # what a function built once: shared by its copies
def handler(event, context):
    if event.get("together"):
        oms_envtest_gate.gate.wait()  # both invocations are inside a handler at once
    return {"module": __name__, "n": event["n"], "services": id(services)}
"""


def test_concurrent_invocations_run_in_separate_module_copies(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shared = types.ModuleType("oms_envtest_gate")
    shared.gate = threading.Barrier(2, timeout=5)  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "oms_envtest_gate", shared)
    (tmp_path / "app.py").write_text(HANDLER, encoding="utf-8")
    spec = FunctionSpec("Fn", "fn", "arn:fn", tmp_path, "app.handler", "python3.13", 3, 128, {})
    function = load_function(spec, "envtest")
    try:
        answers: list[dict[str, object]] = []
        threads = [
            threading.Thread(target=lambda n=n: answers.append(function.invoke({"n": n, "together": True})))
            for n in (1, 2)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(10)
        assert sorted(a["n"] for a in answers) == [1, 2]
        assert len({a["module"] for a in answers}) == 2  # two environments
        assert {a["services"] for a in answers} == {id(function.module.services)}  # one set of services
        function.invoke({"n": 3})  # one at a time again: an idle copy is reused, none is imported
    finally:
        names = function.module_names()
        unload_function(function, "envtest")
    assert len(names) == 2
