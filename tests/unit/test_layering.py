"""The layers' walls, read from the source: every `import` and `from ... import` of a package's
modules (at module level or inside functions) must stay clear of the packages it may not know."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.helpers.sources import parse

OMS = Path(__file__).resolve().parents[2] / "layers" / "oms" / "oms"

FORBIDDEN = {
    "domain": (
        "boto3",
        "botocore",
        "pynamodb",
        "aws_lambda_powertools",
        "oms.store",
        "oms.services",
        "oms.adapters",
        "oms.api",
        "oms.views",
    ),
    "services": ("pynamodb", "oms.store.models"),
    "store": ("oms.views", "oms.services", "oms.api"),
    "views": ("pynamodb", "boto3", "botocore", "oms.store.models", "oms.services", "oms.api", "oms.adapters"),
}


def _module_name(path: Path) -> str:
    parts = path.relative_to(OMS.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(path: Path) -> set[str]:
    """The modules a source file imports (relative imports resolved; `from a import b` counts `a.b` too)."""
    tree = parse(path)
    package = _module_name(path).split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package[: len(package) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def _hits(module: str, forbidden: tuple[str, ...]) -> list[str]:
    return [f for f in forbidden if module == f or module.startswith(f + ".")]


def test_the_scanner_sees_imports_of_every_form() -> None:
    # Guard the guard: a scanner that saw nothing would pass every rule.
    modules = imported_modules(OMS / "store" / "transactions.py")
    assert "pynamodb.transactions" in modules
    assert "oms.store.models.Item" in modules


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_layer_imports_stay_inside_its_walls(layer: str) -> None:
    sources = sorted((OMS / layer).rglob("*.py"))
    assert sources, f"no sources under oms/{layer}"
    breaches = [
        f"{path.relative_to(OMS)} imports {module}"
        for path in sources
        for module in sorted(imported_modules(path))
        if _hits(module, FORBIDDEN[layer])
    ]
    assert not breaches, "\n".join(breaches)


def test_only_the_store_knows_pynamodb() -> None:
    # Repositories hand out records (oms.store.records), never rows: no module of oms outside
    # oms/store imports pynamodb or the store's models, and the records module itself does not either.
    sources = [p for p in sorted(OMS.rglob("*.py")) if p.relative_to(OMS).parts[0] != "store"]
    sources.append(OMS / "store" / "records.py")
    assert len(sources) > 20
    breaches = [
        f"{path.relative_to(OMS)} imports {module}"
        for path in sources
        for module in sorted(imported_modules(path))
        if _hits(module, ("pynamodb", "oms.store.models", "oms.store.rows"))
    ]
    assert not breaches, "\n".join(breaches)
