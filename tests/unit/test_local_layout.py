"""The local runtime's layout rules (issue 10 item 5): nothing in the Lambda layer exists only for the
local stack, and the generic core of `oms_local` knows nothing about OMS."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.helpers.sources import parse

ROOT = Path(__file__).resolve().parents[2]
LAYER = ROOT / "layers" / "oms" / "oms"
CORE = ROOT / "local" / "core"


def imported_modules(path: Path) -> set[str]:
    """Absolute module names a file imports (relative imports resolved against oms_local's layout)."""
    package = (
        ["oms_local", *path.relative_to(ROOT / "local").parent.parts] if path.is_relative_to(ROOT / "local") else []
    )
    names: set[str] = set()
    for node in ast.walk(parse(path)):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                names.add(".".join([*base, *([node.module] if node.module else [])]))
            elif node.module:
                names.add(node.module)
    return names


def test_the_layer_ships_no_sandbox() -> None:
    offenders = []
    for path in sorted(LAYER.rglob("*.py")):
        tree = parse(path)
        offenders += [
            f"{path.relative_to(ROOT)}: class {node.name}"
            for node in ast.walk(tree)
            if isinstance(node, ast.ClassDef) and node.name.startswith("Sandbox")
        ]
        offenders += [
            f"{path.relative_to(ROOT)} imports {name}"
            for name in imported_modules(path)
            if name.startswith("oms_local")
        ]
        if "sandbox" in path.stem:
            offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []


def test_the_core_imports_nothing_from_oms_or_its_extension() -> None:
    offenders = [
        f"{path.relative_to(ROOT)} imports {name}"
        for path in sorted(CORE.rglob("*.py"))
        for name in imported_modules(path)
        if name == "oms" or name.startswith(("oms.", "oms_local.oms", "oms_local.stack", "oms_local.cli"))
    ]
    assert offenders == []
