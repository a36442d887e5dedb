"""Layering: the handlers (functions/*/app.py and oms.api) get their services from `oms.wiring`, the
composition root, and never reach into the store (`oms.store`) themselves."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.helpers.sources import parse

ROOT = Path(__file__).resolve().parents[2]
HANDLER_FILES = sorted([*(ROOT / "functions").rglob("*.py"), *(ROOT / "layers/oms/oms/api").rglob("*.py")])
FORBIDDEN = "oms.store"


def imported_modules(path: Path) -> list[tuple[int, str]]:
    """Every module an import statement of the file names (`from a import b` names a and a.b)."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(parse(path)):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
            found.extend((node.lineno, f"{node.module}.{alias.name}") for alias in node.names)
    return found


def test_there_are_handlers_to_check() -> None:
    names = {p.relative_to(ROOT).as_posix() for p in HANDLER_FILES}
    assert "functions/orders/app.py" in names and "layers/oms/oms/api/http.py" in names


@pytest.mark.parametrize("path", HANDLER_FILES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_no_handler_imports_the_store(path: Path) -> None:
    offending = [
        f"{path.relative_to(ROOT)}:{line}: {module}"
        for line, module in imported_modules(path)
        if module == FORBIDDEN or module.startswith(FORBIDDEN + ".")
    ]
    assert not offending, "handlers get services from oms.wiring, never the store:\n" + "\n".join(offending)


def test_the_scan_sees_every_spelling_of_a_store_import(tmp_path: Path) -> None:
    source = tmp_path / "app.py"
    source.write_text(
        "import oms.store.models\nfrom oms.store.catalog import X\nfrom oms import store\n"
        "def f():\n    from oms.store import keys\n",
        encoding="utf-8",
    )
    lines = {line for line, m in imported_modules(source) if m == FORBIDDEN or m.startswith(FORBIDDEN + ".")}
    assert lines == {1, 2, 3, 5}
