"""The README stays a newcomer's three screens, and every page of docs/ is one click from it with no dead link
(issue 23)."""
from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")


def _links(page: Path) -> list[Path]:
    """Relative link targets of a markdown page, generated outputs (results/<profile>/…) left out."""
    targets = [t for t in LINK.findall(page.read_text()) if "://" not in t]
    return [(page.parent / t).resolve() for t in targets
            if not re.match(r"(\.\./)?results/(default|ci|fsrcnn_cpu|released)/", t)]


def test_the_readme_is_short_and_links_every_docs_page():
    readme = ROOT / "README.md"
    assert len(readme.read_text().splitlines()) <= 150
    linked = set(_links(readme))
    pages = {p.resolve() for p in (ROOT / "docs").glob("*.md")}
    assert pages and pages <= linked, f"docs pages not linked from the README: {sorted(p.name for p in pages - linked)}"


def test_no_dead_relative_link_in_the_readme_or_docs():
    for page in [ROOT / "README.md", *(ROOT / "docs").glob("*.md")]:
        dead = [str(t) for t in _links(page) if not t.exists()]
        assert not dead, f"{page.name}: dead links {dead}"


def test_each_docs_page_says_what_it_is_for():
    for page in (ROOT / "docs").glob("*.md"):
        head = page.read_text().split("\n\n")[:2]
        assert head[0].startswith("# ") and head[1].startswith("For "), page.name
