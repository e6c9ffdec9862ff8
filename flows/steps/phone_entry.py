"""Keying in a phone number, for a ticket's texts or a call-back: one prompt, one check, one reason when refused."""

from __future__ import annotations

from core.phones import normalize, outbound_refusal
from crm_bridge import ticket_numbers
from flows.engine import Conversation
from flows.session import Session
from flows.turns import Input, InputKind, Turn


def number_prompt(c: Conversation, s: Session, step: str) -> Turn:
    """Ask for a ten-digit number on the keypad, in the step's own words."""
    turn = c.build(s.lang, step, [c.w(s.lang, step)], [])
    turn.expect, turn.num_digits = "digits", 10
    return turn


def keyed_number(c: Conversation, s: Session, inp: Input, step: str) -> tuple[str | None, Turn | None]:
    """The keyed number when we may text and call it; else the step's prompt again, saying why (None, None: no keys)."""
    if inp.kind is not InputKind.KEY:
        return None, None
    phone = normalize(ticket_numbers.clean(inp.value))
    if phone is not None and outbound_refusal(phone, c.d.settings.outbound.countries) is None:
        return phone, None
    # The number gets our texts and call-backs: premium-rate, foreign or short codes are refused like typos, saying so.
    turn = number_prompt(c, s, step)
    turn.lines.insert(0, (s.lang, c.w(s.lang, "number_not_right" if phone is None else "number_not_allowed")))
    return None, turn
