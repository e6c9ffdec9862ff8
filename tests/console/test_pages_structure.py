"""The console's pages reach the database only through console functions: no page imports the database layer."""

from __future__ import annotations

import ast
from pathlib import Path

import console.pages

PAGES = Path(console.pages.__file__).parent
DATABASE = ("sqlmodel", "sqlalchemy", "core.db")


def _imported(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_console_pages_never_import_the_database_layer():
    reaching = {
        path.name: sorted(n for n in _imported(path) if n in DATABASE or n.startswith(tuple(f"{d}." for d in DATABASE)))
        for path in sorted(PAGES.glob("*.py"))
    }
    assert {name: found for name, found in reaching.items() if found} == {}
