"""The layers hold: lint-imports checks the packages (make test); these check what it cannot see."""

from __future__ import annotations

import ast
from pathlib import Path

from settings import ROOT

PACKAGES = [
    "app", "console", "ivr", "sms", "outreach", "flows", "knowledge", "queueing", "callbacks", "crm_bridge", "surge",
    "messaging", "simulator", "hours", "alerts", "places", "core", "settings",
]
PROJECT = {*PACKAGES, "run"}


def _project_imports(tree: ast.AST) -> list[tuple[int, str, bool]]:
    """(line, module, inside a function) for every import of a project module."""
    found = []

    def visit(node: ast.AST, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            nested = in_function or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef)
            if isinstance(child, ast.Import):
                names = [a.name for a in child.names if a.name.split(".")[0] in PROJECT]
                found.extend((child.lineno, name, in_function) for name in names)
            elif isinstance(child, ast.ImportFrom) and child.module and child.module.split(".")[0] in PROJECT:
                found.append((child.lineno, child.module, in_function))
            visit(child, nested)

    visit(tree, False)
    return found


def test_settings_imports_nothing_else_of_ours():
    for path in sorted(Path(ROOT, "settings").glob("*.py")):
        imported = {module.split(".")[0] for _, module, _ in _project_imports(ast.parse(path.read_text("utf-8")))}
        assert imported <= {"settings"}, path


def test_no_package_hides_an_import_inside_a_function():
    # A function-level import is how a cycle is dodged; the layers make none necessary. (run.py, the command line,
    # imports what each sub-command needs when it runs, so `run.py --help` starts fast; it is not a package.)
    hidden = []
    for package in PACKAGES:
        for path in sorted(Path(ROOT, package).rglob("*.py")):
            for line, module, in_function in _project_imports(ast.parse(path.read_text(encoding="utf-8"))):
                if in_function:
                    hidden.append(f"{path.relative_to(ROOT)}:{line} imports {module}")
    assert hidden == []


def test_the_contract_lists_every_package():
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    on_disk = {p.parent.name for p in ROOT.glob("*/__init__.py")} - {"tests", "bench", "migrations"}
    assert on_disk == set(PACKAGES)
    for package in PACKAGES:
        assert f'"{package}"' in pyproject
