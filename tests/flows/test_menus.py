"""Menus as data: a city changes options by editing a file, and a wrong file is refused with the key named."""

from __future__ import annotations

import dataclasses
import re

import pytest

from flows.engine import REGISTRY
from flows.menus import MENUS_FILE, MenuError
from flows.turns import Input, InputKind
from settings import ROOT, ConfigError, load_settings
from tests.conftest import running_app
from tests.flows.builders import conversation, key, menus, session, spoken
from tests.helpers import Caller, Texter

SHIPPED = MENUS_FILE.read_text(encoding="utf-8")
MAIN_END = '  { key = "*", do = "repeat_menu" },\n]'
ELECTION = (
    '  { key = "4", article = "absentee-ballot", label = { "en-US" = "hear about voting by mail", '
    '"es-US" = "escuchar sobre el voto por correo" }, words = { "en-US" = ["vote by mail"], "es-US" = ["voto"] } },\n'
    '  { key = "5", message = { "en-US" = "Polls are open from 6 a.m. to 7 p.m.", "es-US" = "Se vota de 6 a 19." }, '
    'label = { "en-US" = "hear polling hours", "es-US" = "escuchar el horario de votación" } },\n'
)


def city_file(tmp_path, text: str):
    path = tmp_path / "menus.toml"
    path.write_text(text, encoding="utf-8")
    return path


def election_file(tmp_path):
    """The documented example (docs/architecture.md, "Changing a menu without Python"): two lines added to [main].

    The first MAIN_END is the ordinary main menu's.
    """
    assert SHIPPED.index(MAIN_END) < SHIPPED.index("[storm.main]")
    return city_file(tmp_path, SHIPPED.replace(MAIN_END, MAIN_END[:-1] + ELECTION + "]", 1))


def test_the_shipped_menus_file_loads():
    assert [o.key for o in menus().get("after").options] == ["1", "2", "3", "4", "0", "9"]
    assert [o.key for o in menus().get("main", storm=True).options] == ["1", "0", "*"]


def test_an_informational_option_is_a_data_only_change(tmp_path):
    conv, s = conversation(menu_file=election_file(tmp_path)), session()
    main = conv.show(s, "main")
    assert [o.key for o in main.options] == ["1", "2", "3", "0", "*", "4", "5"]
    assert main.options[5].label == "hear about voting by mail"
    ballot = conv.advance(s, "main", key("4"))
    assert ballot.node == "after" and ballot.lines[0][1] == conv.d.kb.article("en-US", "absentee-ballot").spoken
    assert conv.advance(session(), "main", Input(InputKind.SPEECH, "vote by mail", 0.9)).node == "after"
    hours = conv.advance(s, "main", key("5"))
    assert hours.node == "main" and spoken(hours).startswith("Polls are open from 6 a.m. to 7 p.m.")
    assert conv.show(session(lang="es-US"), "main").options[6].label == "escuchar el horario de votación"


def test_reordering_a_menu_changes_what_callers_hear_first(tmp_path):
    after = SHIPPED[SHIPPED.index("[after]") : SHIPPED.index("[unsure]")]
    goodbye_first = after.replace('  { key = "9", do = "goodbye" },\n', "").replace(
        "options = [\n", 'options = [\n  { key = "9", do = "goodbye" },\n'
    )
    conv = conversation(menu_file=city_file(tmp_path, SHIPPED.replace(after, goodbye_first)))
    options = conv.show(session(), "after").options
    assert [(o.key, o.action.name) for o in options][:2] == [("9", "goodbye"), ("1", "repeat")]


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ('{ key = "2", do = "report" }', '{ key = "2", do = "reprot" }',
         "menus.toml: [main].options[1].do: unknown action 'reprot'"),
        ('{ key = "3", to = "check_number", label = "check" }', '{ key = "1", to = "check_number", label = "check" }',
         "menus.toml: [main].options: key '1' is used twice"),
        ('{ key = "3", to = "check_number", label = "check" }', '{ key = "33", to = "check_number", label = "check" }',
         "[main].options[2].key: must be one keypad key"),
        ('{ key = "1", to = "topics" }', '{ key = "1", to = "topix" }',
         "[ask].options[0].to: unknown menu or step 'topix'"),
        ('free_text = true\noptions', 'free_txt = true\noptions', "[main].free_txt: unknown setting"),
        ('{ key = "1", to = "ask" }', '{ key = "1", article = "absentee-ballot", label = { "en-US" = "vote" } }',
         "[main].options[0].label: no words for es-US"),
        ("[check_done]", "[check_dune]", "the menu [check_done] is missing"),
        ('when = "article_has_service"', 'when = "sunny"', "[after].options[3].when: unknown condition 'sunny'"),
        ('when = "article_has_service"', 'when = ["sunny"]', "[after].options[3].when: unknown condition ['sunny']"),
        ('prompt = "main_menu_intro"', 'prompt = "main_menu_intr"',
         "[main].prompt: 'main_menu_intr' is not a wording key"),
    ],
)
def test_a_wrong_menus_file_is_refused_naming_the_place(tmp_path, old, new, message):
    assert old in SHIPPED
    with pytest.raises(MenuError) as refused:
        menus(city_file(tmp_path, SHIPPED.replace(old, new, 1)))
    assert message in str(refused.value)


def test_config_names_the_menus_file_and_a_missing_one_is_refused_with_its_key(tmp_path):
    config = (ROOT / "config.toml").read_text(encoding="utf-8")
    assert 'file = "flows/menus.toml"' in config
    (tmp_path / "config.toml").write_text(config.replace("flows/menus.toml", str(tmp_path / "nope.toml")))
    with pytest.raises(ConfigError) as refused:
        load_settings(tmp_path / "config.toml", {"ONECALL_VAR_DIR": str(tmp_path)})
    assert str(refused.value).startswith("menus.file:")


def test_callers_and_texters_get_the_city_s_added_option(tmp_path, settings, engine, redis, clock):
    city = dataclasses.replace(settings, menus_file=election_file(tmp_path))
    with running_app(city, clock) as app:
        caller = Caller(app)
        caller.dial()
        heard = caller.press("1")
        assert "To hear about voting by mail, press 4." in heard.text
        assert "absentee" in caller.press("4").text.lower()
        texter = Texter(app)
        assert "absentee" in texter.send("absentee ballot").lower()


@pytest.mark.parametrize(
    ("old", "new", "menu", "lands"),
    [
        ('{ key = "1", to = "ask" }', '{ key = "1", do = "ask" }', "main", "ask"),
        ('{ key = "3", to = "check_number", label = "check" }', '{ key = "3", do = "check" }', "main", "check_number"),
        ('{ key = "1", to = "voicemail_record", label = "voicemail" }', '{ key = "1", do = "voicemail" }',
         "voicemail_offer", "voicemail_record"),
    ],
)
def test_an_older_menus_file_naming_a_former_go_to_action_still_loads_and_goes_there(tmp_path, old, new, menu, lands):
    assert old in SHIPPED
    conv, s = conversation(menu_file=city_file(tmp_path, SHIPPED.replace(old, new, 1))), session()
    shown = conv.show(s, menu)
    assert shown.options == conversation().show(session(), menu).options  # same label, words and step as today
    assert conv.advance(s, menu, key(new.split('"')[1])).node == lands


def test_the_menus_file_header_points_to_the_registry_and_its_examples_are_registered():
    header = SHIPPED[: SHIPPED.index("[main]")]
    kinds = {"do": REGISTRY.actions, "to": REGISTRY.targets(), "when": REGISTRY.conditions}
    for kind, decorator in (("do", "action"), ("to", "node"), ("when", "condition")):
        line = next(line for line in header.splitlines() if line.startswith(f"#   {kind} "))
        assert f"@REGISTRY.{decorator}(" in line and callable(getattr(REGISTRY, decorator))
        examples = re.findall(r"\(([\w, ]+), \.\.\.\)", line)
        assert examples or kind == "when", line
        assert all(name in kinds[kind] for name in ", ".join(examples).split(", ") if name), line
    assert "@REGISTRY.node(\"<name>\", menu=" in header and set(REGISTRY.menus()) <= set(menus().ordinary)
