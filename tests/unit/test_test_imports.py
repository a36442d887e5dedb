"""The test suite's own layering: a test module imports helpers from tests/helpers (or a conftest),
never from another test module (importing one re-registers its fixtures and couples the two files)."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.helpers.sources import parse

TESTS = Path(__file__).resolve().parents[1]


def _is_test_module(name: str) -> bool:
    return any(part.startswith("test_") for part in name.split("."))


def test_no_test_module_imports_another_test_module() -> None:
    found = []
    for path in sorted(TESTS.rglob("*.py")):
        for node in ast.walk(parse(path)):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("tests"):
                names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names if alias.name.startswith("tests")]
            else:
                continue
            found += [f"{path.relative_to(TESTS)}:{node.lineno} {name}" for name in names if _is_test_module(name)]
    assert found == []
