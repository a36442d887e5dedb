"""The documentation's links and the README's promise: every relative link in README.md and docs/*.md
points to a file that exists (and, when it names a heading, to a heading that exists), the README
links every file in docs/, and the README's first code block is exactly its two set-up commands."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
DOCS = ROOT / "docs"
PAGES = [README, *sorted(DOCS.glob("*.md"))]

SETUP_COMMANDS = [
    "python3 -m venv .venv && .venv/bin/pip install -q -e '.[dev]' && npm ci --prefix console"
    " && npm run build --prefix console && .venv/bin/oms-local",
    "python3 -m venv .venv && .venv/bin/pip install -q -e '.[dev]' && .venv/bin/python -m pytest -n 2"
    " && npm ci --prefix console && npm test --prefix console && npm run e2e --prefix console",
]

_FENCE = re.compile(r"^```[^\n]*\n(.*?)^```", re.M | re.S)
_INLINE_CODE = re.compile(r"`[^`\n]*`")
_LINK = re.compile(r"\[[^\]\n]*\]\(([^)\s]+)\)")
_HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*\s*$", re.M)
_EXTERNAL = ("http://", "https://", "mailto:")


def _prose(text: str) -> str:
    """The text outside fenced and inline code, where a link is a link."""
    return _INLINE_CODE.sub("", _FENCE.sub("", text))


def _slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = heading.replace("`", "").strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def _anchors(page: Path) -> set[str]:
    seen: dict[str, int] = {}
    anchors = set()
    for heading in _HEADING.findall(_FENCE.sub("", page.read_text(encoding="utf-8"))):
        slug = _slug(heading)
        count = seen.get(slug, 0)
        seen[slug] = count + 1
        anchors.add(slug if count == 0 else f"{slug}-{count}")
    return anchors


def _relative_links(page: Path) -> list[str]:
    links = _LINK.findall(_prose(page.read_text(encoding="utf-8")))
    return [link for link in links if not link.startswith(_EXTERNAL)]


def test_the_pages_have_links() -> None:
    assert len(PAGES) > 2
    assert _relative_links(README)


@pytest.mark.parametrize("page", PAGES, ids=lambda page: str(page.relative_to(ROOT)))
def test_every_relative_link_points_to_an_existing_file_and_heading(page: Path) -> None:
    broken = []
    for link in _relative_links(page):
        path, _, anchor = link.partition("#")
        target = (page.parent / path).resolve() if path else page
        if not target.is_file():
            broken.append(f"{link}: no file {target.relative_to(ROOT) if target.is_relative_to(ROOT) else target}")
        elif anchor and target.suffix == ".md" and anchor not in _anchors(target):
            broken.append(f"{link}: no heading #{anchor} in {target.relative_to(ROOT)}")
    assert not broken, f"{page.relative_to(ROOT)} has broken links: {broken}"


def test_the_readme_links_every_file_in_docs() -> None:
    linked = {(README.parent / link.partition("#")[0]).resolve() for link in _relative_links(README)}
    unlinked = sorted(path.name for path in DOCS.iterdir() if path.is_file() and path.resolve() not in linked)
    assert not unlinked, f"README.md does not link docs/{unlinked}"


def test_the_readme_first_code_block_is_the_two_setup_commands() -> None:
    first = _FENCE.search(README.read_text(encoding="utf-8"))
    assert first is not None
    lines = [line for line in first.group(1).splitlines() if line.strip()]
    assert lines == SETUP_COMMANDS


def test_ci_runs_the_readme_test_command() -> None:
    assert SETUP_COMMANDS[1] in (ROOT / ".ci" / "run").read_text(encoding="utf-8")
