"""A yes-or-no question's two options (key 1 or a spoken yes, key 2 or a spoken no), the same in every step."""

from __future__ import annotations

from flows.engine import Conversation
from flows.turns import Action, Option


def spoken(c: Conversation, lang: str, answer: str) -> tuple[str, ...]:
    """The words that answer "yes" (or "no") in this language."""
    return tuple(c.w(lang, f"words_{answer}").split(","))


def yes_no(c: Conversation, lang: str, action_name: str) -> list[Option]:
    """Options 1 (yes) and 2 (no), both leading to `action_name` with "yes" or "no" as its argument."""
    return [
        Option("1", Action(action_name, "yes"), c.w(lang, "opt_notify_yes"), spoken(c, lang, "yes")),
        Option("2", Action(action_name, "no"), c.w(lang, "opt_notify_no"), spoken(c, lang, "no")),
    ]
