"""The README fits on a screen, and every link in it and in docs/ leads somewhere: a file, and a heading in it."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

from settings import ROOT

README_MAX_LINES = 150  # issue 18: what a new user needs in the first minutes; the rest is in docs/

FENCE = re.compile(r"^ {0,3}(```|~~~)")
HEADING = re.compile(r"^ {0,3}#{1,6}\s+(.*?)(?:\s+#+)?\s*$")
CODE_SPAN = re.compile(r"`[^`]*`")
LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
EXTERNAL = re.compile(r"^[a-z][a-z0-9+.-]*:", re.IGNORECASE)  # https:, mailto:, ...


@dataclass(frozen=True)
class Link:
    """One link as written: the page it is on, its line, and its target."""

    page: Path
    line: int
    target: str


def pages(root: Path = ROOT) -> list[Path]:
    """README.md and every page in docs/."""
    return [root / "README.md", *sorted((root / "docs").glob("*.md"))]


def _prose(text: str) -> list[tuple[int, str]]:
    """(line number, line) outside fenced code blocks."""
    kept, fenced = [], False
    for number, line in enumerate(text.splitlines(), start=1):
        if FENCE.match(line):
            fenced = not fenced
        elif not fenced:
            kept.append((number, line))
    return kept


def slug(heading: str) -> str:
    """The anchor GitHub gives a heading: link and code marks dropped, lower case, punctuation gone, spaces to '-'."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", heading).replace("`", "").replace("*", "")
    return re.sub(r"[^\w\- ]", "", text.strip().lower()).replace(" ", "-")


def anchors(page: Path) -> set[str]:
    """Every heading's anchor on a page, a repeated one numbered as GitHub numbers it (-1, -2, ...)."""
    seen: dict[str, int] = {}
    found = set()
    for _, line in _prose(page.read_text(encoding="utf-8")):
        if match := HEADING.match(line):
            base = slug(match.group(1))
            found.add(f"{base}-{seen[base]}" if base in seen else base)
            seen[base] = seen.get(base, 0) + 1
    return found


def links(page: Path) -> list[Link]:
    """Every link and image on a page outside code, a link wrapped over two lines included."""
    prose = dict(_prose(text := page.read_text(encoding="utf-8")))
    kept = "\n".join(prose.get(number, "") for number in range(1, text.count("\n") + 2))
    kept = CODE_SPAN.sub(lambda span: "\n" * span.group().count("\n"), kept)  # keeps the line numbers
    return [Link(page, kept.count("\n", 0, found.start()) + 1, found.group(1)) for found in LINK.finditer(kept)]


def broken(link: Link, root: Path = ROOT) -> str | None:
    """Why a relative link leads nowhere (a missing file, a file outside the repository, no such heading), or None."""
    if EXTERNAL.match(link.target):
        return None
    path, _, anchor = unquote(link.target).partition("#")
    target = (link.page.parent / path).resolve() if path else link.page
    if not target.is_relative_to(root.resolve()):
        return f"{path} is outside the repository"
    if not target.exists():
        return f"{path} does not exist"
    if anchor and target.suffix == ".md" and anchor not in anchors(target):
        return f"{target.name} has no heading with the anchor #{anchor}"
    return None


def problems(root: Path = ROOT) -> list[str]:
    """Each broken link in the README and docs/, as 'page:line: target: why'."""
    return [
        f"{link.page.relative_to(root)}:{link.line}: {link.target}: {why}"
        for page in pages(root)
        for link in links(page)
        if (why := broken(link, root))
    ]


def test_readme_fits_on_a_screen():
    assert len((ROOT / "README.md").read_text(encoding="utf-8").splitlines()) <= README_MAX_LINES


def test_readme_keeps_the_two_commands():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "make run" in readme and "make test" in readme


def test_every_relative_link_and_anchor_in_the_readme_and_docs_resolves():
    assert problems() == []


def test_every_docs_page_is_linked_from_the_readme():
    linked = {(ROOT / unquote(link.target).partition("#")[0]).resolve() for link in links(ROOT / "README.md")}
    assert [page.name for page in pages()[1:] if page.resolve() not in linked] == []


def _source_files(root: Path = ROOT) -> list[Path]:
    """Our code, templates and configuration (no virtualenv, no var/, no caches)."""
    found = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith((".", "__")) and d not in {"var", "node_modules"})
        found += [Path(folder, f) for f in sorted(files) if Path(f).suffix in {".py", ".html", ".js", ".toml", ".cfg"}]
    return found


def test_no_file_sends_readers_to_a_readme_section():
    mentions = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in _source_files()
        if path.resolve() != Path(__file__).resolve()
        for number, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), start=1)
        if "README" in line
    ]
    assert mentions == []


def test_heading_anchors_are_githubs():
    assert slug("Configuration (`config.toml`)") == "configuration-configtoml"
    assert slug("Reports, call-backs due and how good the estimates are") == (
        "reports-call-backs-due-and-how-good-the-estimates-are"
    )
    assert slug("Supervisors' console") == "supervisors-console"
    assert slug("`run.py simulate`") == "runpy-simulate"


def test_the_check_finds_a_missing_file_a_missing_anchor_and_a_heading_inside_code(tmp_path):
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "page.md").write_text(
        "# Page\n\n## Two words\n\n## Two words\n\n```toml\n# not a heading\n```\n", encoding="utf-8"
    )
    (tmp_path / "README.md").write_text(
        "[ok](docs/page.md#two-words) [twice](docs/page.md#two-words-1) [web](https://example.org/x.md)\n"
        "[gone](docs/gone.md) [no heading](docs/page.md#three-words) [code](docs/page.md#not-a-heading)\n"
        "`[in code](docs/none.md)` ![picture](docs/missing.png) [up](../elsewhere.md) [two\n"
        "lines](docs/wrapped.md)\n",
        encoding="utf-8",
    )
    assert problems(tmp_path) == [
        "README.md:2: docs/gone.md: docs/gone.md does not exist",
        "README.md:2: docs/page.md#three-words: page.md has no heading with the anchor #three-words",
        "README.md:2: docs/page.md#not-a-heading: page.md has no heading with the anchor #not-a-heading",
        "README.md:3: docs/missing.png: docs/missing.png does not exist",
        "README.md:3: ../elsewhere.md: ../elsewhere.md is outside the repository",
        "README.md:3: docs/wrapped.md: docs/wrapped.md does not exist",
    ]
