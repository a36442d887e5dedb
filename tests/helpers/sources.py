"""Parsing the repository's Python sources in tests."""

from __future__ import annotations

import ast
from pathlib import Path


def parse(path: Path) -> ast.Module:
    """The file's syntax tree. CPython 3.11.7's parser can raise `SystemError: AST constructor recursion depth
    mismatch` when other threads run (a local stack in the same worker did; fixed in later 3.11 releases):
    a source that parsed is the same source, so that error is retried, a few times."""
    text = path.read_text(encoding="utf-8")
    for _ in range(4):
        try:
            return ast.parse(text, filename=str(path))
        except SystemError as error:
            if "recursion depth mismatch" not in str(error):
                raise
    return ast.parse(text, filename=str(path))
