"""Edits a supervisor may make to the menus: informational options only (an option that plays a knowledge-base
article, or says a message), added, moved or removed. Everything else in a menu stays as the file has it.

Each edit takes a menus document (the file's tables, or the newest console version) and returns a new one; a refusal
is a MenuEditError naming the form field and the reason. The caller then checks the whole document as the file is
checked at start (flows.runner.menus_of) before storing it.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable

from core import text_rules

MAX_OPTIONS = 9  # callers lose track of longer menus; the keypad has 1-9 for informational options anyway
MAX_LABEL = 80
RESERVED_KEYS = {
    "0": "0 is kept for speaking to a person in every menu",
    "*": "* is kept for going back or hearing the menu again",
    "#": "# is kept for ending what is typed on the keypad",
}
_DIGIT = re.compile(r"[1-9]")
_MARKUP = re.compile(r"[<>]|&[a-zA-Z#0-9]+;|\{|\}")
INFORMATIONAL = ("article", "message")


class MenuEditError(ValueError):
    """An edit that cannot be made; `field` is the form field it is about."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def menu_names(document: dict) -> list[str]:
    """Every menu of a document: the ordinary ones, then the storm variants as "storm.<menu>"."""
    ordinary = [name for name in document if name != "storm"]
    return ordinary + [f"storm.{name}" for name in document.get("storm", {})]


def is_informational(option: dict) -> bool:
    """An option that only plays an article or says a message: the kind the console may change."""
    return any(kind in option for kind in INFORMATIONAL)


def _options(document: dict, menu: str) -> list[dict]:
    where, _, name = menu.partition(".") if menu.startswith("storm.") else ("", "", menu)
    table = document.get("storm", {}) if where else document
    body = table.get(name)
    if menu not in menu_names(document) or not isinstance(body, dict):
        raise MenuEditError("menu", "choose one of the menus listed")
    return body["options"]


def add_article(
    document: dict,
    *,
    menu: str,
    key: str,
    article: str,
    labels: dict[str, str],
    languages: list[str],
    article_exists: Callable[[str, str], bool],
) -> dict:
    """A new document with an option playing `article` under `key` at the end of `menu`, read as its labels."""
    changed = copy.deepcopy(document)
    options = _options(changed, menu)
    key = key.strip()
    if key in RESERVED_KEYS:
        raise MenuEditError("key", RESERVED_KEYS[key])
    if not _DIGIT.fullmatch(key):
        raise MenuEditError("key", "one keypad digit from 1 to 9")
    taken = next((o for o in options if o.get("key") == key), None)
    if taken is not None:
        raise MenuEditError("key", f"{key} is already used in this menu ({describe(taken)}); choose a free key")
    if len(options) >= MAX_OPTIONS:
        raise MenuEditError(
            "menu", f"this menu already has {len(options)} options, the most a caller can follow; remove one first"
        )
    article = article.strip()
    missing = [code for code in languages if not article_exists(code, article)]
    if not article or missing:
        raise MenuEditError(
            "article",
            "choose an article of the knowledge base"
            if not article
            else f"the knowledge base has no article {article!r} in {missing[0]}",
        )
    cleaned = {}
    for code in languages:
        field = f"label-{code}"
        problem = text_rules.refusal(labels.get(code, ""))
        if problem:
            raise MenuEditError(field, f"the label {problem}")
        label = " ".join(labels.get(code, "").split())
        if not label:
            raise MenuEditError(field, "say what the option is, as callers will hear it: “To …, press 4”")
        if len(label) > MAX_LABEL:
            raise MenuEditError(field, f"the label is {len(label)} characters; at most {MAX_LABEL}")
        if _MARKUP.search(label):
            raise MenuEditError(field, "markup (<, >, &...;, braces) is not allowed; write plain words")
        cleaned[code] = label
    options.append({"key": key, "article": article, "label": cleaned})
    return changed


def _informational(options: list[dict], key: str) -> int:
    index = next((i for i, o in enumerate(options) if o.get("key") == key), None)
    if index is None:
        raise MenuEditError("key", "this menu has no option with that key; reload the page")
    if not is_informational(options[index]):
        raise MenuEditError("key", "only informational options (an article or a message) can be changed here")
    return index


def move(document: dict, *, menu: str, key: str, direction: str) -> dict:
    """A new document with the informational option under `key` one place earlier ("up") or later ("down")."""
    changed = copy.deepcopy(document)
    options = _options(changed, menu)
    index = _informational(options, key)
    other = index - 1 if direction == "up" else index + 1 if direction == "down" else -1
    if not 0 <= other < len(options):
        raise MenuEditError(
            "key",
            "the option is already first"
            if direction == "up"
            else "the option is already last"
            if direction == "down"
            else "move it up or down",
        )
    options[index], options[other] = options[other], options[index]
    return changed


def remove(document: dict, *, menu: str, key: str) -> dict:
    """A new document without the informational option under `key`."""
    changed = copy.deepcopy(document)
    options = _options(changed, menu)
    del options[_informational(options, key)]
    return changed


def describe(option: dict) -> str:
    """One option as a line of the audit trail: its key and what it does."""
    for kind in ("do", "to", "article"):
        if kind in option:
            return f"{option.get('key')}: {kind} {option[kind]}"
    return f"{option.get('key')}: message"


def summary(document: dict, menu: str) -> list[str]:
    """A menu's options in order, one line each (what the audit trail keeps before and after a change)."""
    try:
        return [describe(o) for o in _options(document, menu)]
    except MenuEditError:
        return []
