"""Menus as data: flows/menus.toml (or the city's own file) says which options each menu offers, checked at start
against the step registry (flows.engine.Registry): the actions, steps, menus and conditions it names are the ones
flows/steps registers."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from core import text_rules
from flows.turns import Action, goto

if TYPE_CHECKING:
    from flows.engine import Registry

MENUS_FILE = Path(__file__).resolve().parent / "menus.toml"
# The actions behind `to`, `article` and `message`: a file names them by those keys, never with `do`.
_BUILT_IN = {"goto", "article", "message"}
# Actions that only moved to a step, now `to` entries: a city's older file, or a version stored from the console,
# still loads. Names only: nothing of the behaviour lives here (former action -> step it went to).
FORMER_ACTIONS = {"ask": "ask", "check": "check_number", "check_another": "check_number",
                  "voicemail": "voicemail_record"}
_MENU_KEYS = {"prompt", "simple_prompt", "free_text", "options"}
_OPTION_KEYS = {"key", "do", "to", "article", "message", "label", "words", "when"}
_KEY = re.compile(r"[0-9*#]")


class MenuError(ValueError):
    """A menus file that cannot be used; the message names the file, the menu, the option and the problem."""


@dataclass(frozen=True)
class OptionSpec:
    """One option as the file declares it."""

    key: str
    action: Action
    label: str | dict[str, str]  # a wording key suffix (opt_<label>), or the words per language
    words: dict[str, tuple[str, ...]] | None = None  # per language; None: the wording's words_<label>
    message: dict[str, str] | None = None  # an informational option's words, per language
    when: str | None = None


@dataclass(frozen=True)
class MenuSpec:
    """One menu: its prompt, whether a question may be asked at it, and its options in order."""

    name: str
    prompt: str | None
    simple_prompt: str | None
    free_text: bool
    options: tuple[OptionSpec, ...]


@dataclass(frozen=True)
class Menus:
    """Every menu, and the storm variants that replace some of them in storm mode."""

    ordinary: dict[str, MenuSpec]
    storm: dict[str, MenuSpec]

    def get(self, name: str, *, storm: bool = False) -> MenuSpec:
        """The menu by name; its storm variant when storm mode is on and the file has one."""
        return (self.storm.get(name) if storm else None) or self.ordinary[name]

    def message(self, ref: str, language: str) -> str:
        """An informational option's words (ref is "<menu>/<key>" or "storm.<menu>/<key>")."""
        where, _, key = ref.partition("/")
        table = self.storm if where.startswith("storm.") else self.ordinary
        menu = table[where.removeprefix("storm.")]
        option = next(o for o in menu.options if o.key == key)
        assert option.message is not None
        return option.message.get(language) or next(iter(option.message.values()))


def read_document(path: Path) -> dict:
    """A menus file as its document (the TOML's tables), before any check."""
    try:
        return tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise MenuError(f"{path}: cannot read it ({exc.strerror})") from None
    except tomllib.TOMLDecodeError as exc:
        raise MenuError(f"{path}: not valid TOML ({exc})") from None


def parse_menus(document: dict, *, source: str, registry: Registry, languages: list[str], wording) -> Menus:
    """Check a menus document (a file's, or one edited in the console) against the step registry and build the
    menus; MenuError names the place and the problem. The document itself is left as it was."""
    raw = dict(document)
    checker = _Checker(source, registry, languages, wording)
    required = set(registry.menus())
    storm_raw = raw.pop("storm", {})
    ordinary = {name: checker.menu(name, body) for name, body in raw.items()}
    if not isinstance(storm_raw, dict):
        raise MenuError(f"{checker.file}: [storm] must hold menus such as [storm.main]")
    storm = {name: checker.menu(f"storm.{name}", body) for name, body in storm_raw.items()}
    missing = sorted(required - set(ordinary))
    if missing:
        needed = ", ".join(sorted(required))
        raise MenuError(f"{checker.file}: the menu [{missing[0]}] is missing (the steps need {needed})")
    unknown = sorted(set(storm) - set(ordinary))
    if unknown:
        raise MenuError(f"{checker.file}: [storm.{unknown[0]}] replaces no menu; known menus: {', '.join(ordinary)}")
    return Menus(ordinary, storm)


class _Checker:
    def __init__(self, file: str, registry: Registry, languages: list[str], wording) -> None:
        self.file, self.languages, self.wording = file, languages, wording
        self.actions, self.nodes = set(registry.actions) - _BUILT_IN, registry.targets()
        self.conditions = set(registry.conditions)

    def fail(self, where: str, problem: str) -> MenuError:
        return MenuError(f"{self.file}: {where}: {problem}")

    def menu(self, name: str, body) -> MenuSpec:
        where = f"[{name}]"
        if not isinstance(body, dict):
            raise self.fail(where, "must be a table of prompt, free_text and options")
        unknown = sorted(set(body) - _MENU_KEYS)
        if unknown:
            raise self.fail(f"{where}.{unknown[0]}", f"unknown setting; known: {', '.join(sorted(_MENU_KEYS))}")
        for key in ("prompt", "simple_prompt"):
            if key in body:
                self.wording_key(f"{where}.{key}", body[key])
        if not isinstance(body.get("free_text", False), bool):
            raise self.fail(f"{where}.free_text", "must be true or false")
        raw_options = body.get("options")
        if not isinstance(raw_options, list) or not raw_options:
            raise self.fail(f"{where}.options", "give at least one option")
        options = [self.option(f"{where}.options[{i}]", name, raw) for i, raw in enumerate(raw_options)]
        keys = [o.key for o in options]
        repeated = next((k for k in keys if keys.count(k) > 1), None)
        if repeated is not None:
            raise self.fail(f"{where}.options", f"key {repeated!r} is used twice")
        return MenuSpec(name, body.get("prompt"), body.get("simple_prompt"), body.get("free_text", False),
                        tuple(options))

    def option(self, where: str, menu: str, raw) -> OptionSpec:
        if not isinstance(raw, dict):
            raise self.fail(where, "must be a table like { key = \"1\", do = \"ask\" }")
        unknown = sorted(set(raw) - _OPTION_KEYS)
        if unknown:
            raise self.fail(f"{where}.{unknown[0]}", f"unknown setting; known: {', '.join(sorted(_OPTION_KEYS))}")
        key = raw.get("key")
        if not isinstance(key, str) or not _KEY.fullmatch(key):
            raise self.fail(f"{where}.key", f"must be one keypad key (0-9, * or #), not {key!r}")
        targets = [t for t in ("do", "to", "article", "message") if t in raw]
        if len(targets) != 1:
            raise self.fail(where, "give exactly one of do, to, article or message")
        action, default_label = self.action(where, menu, key, targets[0], raw[targets[0]])
        label = raw.get("label", default_label)
        if label is None:
            raise self.fail(f"{where}.label", "an article or message option needs its label, per language")
        if isinstance(label, str):
            self.wording_key(f"{where}.label", f"opt_{label}")
        else:
            label = self.per_language(f"{where}.label", label)
        words = raw.get("words")
        if words is not None:
            if not isinstance(words, dict) or not all(isinstance(v, list) for v in words.values()):
                raise self.fail(f"{where}.words", "must list words per language: { \"en-US\" = [\"vote\"] }")
            words = {lang: tuple(str(w) for w in ws) for lang, ws in words.items()}
        when = raw.get("when")
        if when is not None and (not isinstance(when, str) or when not in self.conditions):
            known = ", ".join(sorted(self.conditions))
            raise self.fail(f"{where}.when", f"unknown condition {when!r}; known: {known}")
        message = self.per_language(f"{where}.message", raw["message"]) if "message" in raw else None
        return OptionSpec(key, action, label, words, message, when)

    def action(self, where: str, menu: str, key: str, kind: str, value) -> tuple[Action, str | None]:
        if kind != "message" and (not isinstance(value, str) or not value.strip()):
            raise self.fail(f"{where}.{kind}", "must be a name")
        if kind == "do" and value not in self.actions and value in FORMER_ACTIONS:
            return goto(FORMER_ACTIONS[value]), value
        if kind == "do":
            if value not in self.actions:
                known = ", ".join(sorted(self.actions))
                raise self.fail(f"{where}.do", f"unknown action {value!r}; known: {known}")
            return Action(value), value
        if kind == "to":
            if value not in self.nodes:
                known = ", ".join(sorted(self.nodes))
                raise self.fail(f"{where}.to", f"unknown menu or step {value!r}; known: {known}")
            return goto(value), value
        if kind == "article":
            return Action("article", value), None
        return Action("message", f"{menu}/{key}"), None

    def wording_key(self, where: str, key) -> None:
        if not isinstance(key, str) or not all(self.wording.has(lang, key) for lang in self.languages[:1]):
            raise self.fail(where, f"{key!r} is not a wording key (flows/wording/<language>.toml)")

    def per_language(self, where: str, value) -> dict[str, str]:
        if not isinstance(value, dict) or not all(isinstance(v, str) and v.strip() for v in value.values()):
            raise self.fail(where, "give the words per language: { \"en-US\" = \"...\", \"es-US\" = \"...\" }")
        missing = [lang for lang in self.languages if lang not in value]
        if missing:
            raise self.fail(where, f"no words for {missing[0]} (every configured language needs them)")
        for lang, text in value.items():
            problem = text_rules.refusal(text)
            if problem:
                raise self.fail(f"{where}.{lang}", problem)
        return {lang: " ".join(text.split()) for lang, text in value.items()}
