"""Every relative link in README.md and docs/*.md points to a file (and heading) that exists."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from .scripts import DOCS, ROOT

PAGES = [ROOT / "README.md", *sorted(DOCS.glob("*.md"))]
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
FENCE = re.compile(r"^```.*?^```", re.S | re.M)


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to dashes."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def anchors(page: Path) -> set[str]:
    text = FENCE.sub("", page.read_text("utf-8"))
    return {slug(h) for h in re.findall(r"^#+ (.+)$", text, flags=re.M)}


def relative_links(page: Path) -> list[str]:
    text = FENCE.sub("", page.read_text("utf-8"))
    return [t for t in LINK.findall(text) if not re.match(r"^[a-z]+:", t)]


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_relative_links_resolve(page: Path) -> None:
    for target in relative_links(page):
        path, _, anchor = target.partition("#")
        file = (page.parent / path).resolve() if path else page
        assert file.exists(), f"{page.name}: link to missing {target}"
        if anchor and file.suffix == ".md":
            assert anchor in anchors(file), f"{page.name}: no heading for {target}"


def test_slug_matches_github() -> None:
    assert slug("Configuration (`--config events.yaml`)") == "configuration---config-eventsyaml"
    assert slug("`pdsync emulator serve`") == "pdsync-emulator-serve"


def test_index_links_every_page() -> None:
    linked = {link.partition("#")[0] for link in relative_links(DOCS / "index.md")}
    for page in DOCS.glob("*.md"):
        if page.name != "index.md":
            assert page.name in linked, f"docs/index.md does not link {page.name}"
