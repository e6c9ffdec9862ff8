"""docs/changing-a-menu.md is true: its three blocks (a new step module, one line of the menus file, its test) are
the whole change, and they work over signed webhooks and on the console's Menus page."""

from __future__ import annotations

import dataclasses
import html
import re
import sys

import pytest

from console.models import Role
from flows import steps
from flows.engine import REGISTRY
from flows.menus import MENUS_FILE
from settings import ROOT
from tests.conftest import running_app
from tests.console.browser_session import signed_in

DOC = ROOT / "docs" / "changing-a-menu.md"
STEP, MENUS, TEST = "flows/steps/changing_language.py", "flows/menus.toml", "tests/flows/test_changing_language.py"
BLOCK = re.compile(r"^```\w+ (\S+)\n(.*?)^```$", re.S | re.M)  # ```python flows/steps/x.py: a file's content
MAIN_END = '  { key = "*", do = "repeat_menu" },\n]'  # the end of the ordinary main menu's options


def blocks() -> dict[str, str]:
    """The page's code blocks, by the file each belongs to."""
    return dict(BLOCK.findall(DOC.read_text(encoding="utf-8")))


@pytest.fixture
def example_step(tmp_path):
    """The page's module dropped into flows/steps and registered as at start; afterwards the registry is as it was."""
    kept = {name: dict(getattr(REGISTRY, name)) for name in ("nodes", "actions", "conditions", "continuations")}
    folder = tmp_path / "steps"
    folder.mkdir()
    (folder / "changing_language.py").write_text(blocks()[STEP], encoding="utf-8")
    steps.__path__.append(str(folder))
    try:
        yield steps.register_all()
    finally:
        steps.__path__.remove(str(folder))
        sys.modules.pop("flows.steps.changing_language", None)
        vars(steps).pop("changing_language", None)
        for name, table in kept.items():
            setattr(REGISTRY, name, table)


@pytest.fixture
def example_app(example_step, tmp_path, settings, engine, redis, clock):
    """The service on the shipped menus file with the page's line added at the end of [main]'s options."""
    shipped = MENUS_FILE.read_text(encoding="utf-8")
    assert shipped.index(MAIN_END) < shipped.index("[storm.main]")
    path = tmp_path / "menus.toml"
    path.write_text(shipped.replace(MAIN_END, MAIN_END[:-1] + blocks()[MENUS] + "]", 1), encoding="utf-8")
    with running_app(dataclasses.replace(settings, menus_file=path), clock) as app:
        yield app


def test_the_worked_example_is_three_files_the_step_module_the_menus_file_and_its_test():
    assert list(blocks()) == [STEP, MENUS, TEST]
    assert not (ROOT / STEP).exists() and not (ROOT / TEST).exists()  # the example is new, not shipped
    assert blocks()[MENUS].count("\n") == 1  # one line of the menus file


def test_a_new_module_in_flows_steps_registers_itself_without_being_listed(example_step):
    assert "changing_language" in example_step
    assert "language" in REGISTRY.nodes and "several_languages" in REGISTRY.conditions
    assert "changing_language" not in (ROOT / "flows" / "steps" / "__init__.py").read_text(encoding="utf-8")


def test_the_worked_example_works_over_signed_webhooks(example_app):
    namespace: dict = {}
    exec(compile(blocks()[TEST], TEST, "exec"), namespace)  # noqa: S102 - our own page's test block
    tests = [fn for name, fn in namespace.items() if name.startswith("test_")]
    assert len(tests) == 2
    for test in tests:
        test(example_app)


def test_the_menus_page_describes_the_new_option_from_its_registration(example_app):
    signed_in(example_app, Role.CONTENT_EDITOR, name="editor")
    page = html.unescape(example_app.get("/console/menus").text)
    card = page[page.index('id="menu-en-US-main"') : page.index("</ol>", page.index('id="menu-en-US-main"'))]
    flat = " ".join(card.split())
    assert "change the language" in flat and "the choice of language, each offered in its own words" in flat
    assert "only when more than one language is configured" in flat
    doc = " ".join(DOC.read_text(encoding="utf-8").split())
    assert '"the choice of language, each offered in its own words"' in doc
    assert '"only when more than one language is configured"' in doc
