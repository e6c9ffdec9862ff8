"""Rendering a conversation Turn as a text message: its sentences, the prompt, and "Reply 1 for …" choices."""

from __future__ import annotations

from flows.turns import Turn
from messaging import segments

MAX_SEGMENTS = 6


def render(turn: Turn, wording, *, footer: str | None = None) -> str:
    """The message for a turn, cut at a word boundary to at most MAX_SEGMENTS segments."""
    parts = [text for _, text in turn.lines] + [text for _, text in turn.prompt]
    listed = [o for o in turn.options if o.key.isdigit()] if turn.list_options else []
    if listed:
        choices = [wording(turn.language, _joiner(o, turn), key=o.key, label=o.label) for o in listed]
        parts.append(wording(turn.language, "reply_choices", choices="; ".join(choices)))
    if footer:
        parts.append(footer)
    return segments.fit(" ".join(p for p in parts if p), MAX_SEGMENTS)


def _joiner(option, turn) -> str:
    # "Reply 1 to say yes" for an action, "Reply 1 for Pothole" for one item of a list.
    return "reply_for" if (option.style or turn.option_style) in ("topic_option", "slot_option") else "reply_to"


def reply(text: str) -> str:
    """A text (already worded) cut to MAX_SEGMENTS segments."""
    return segments.fit(text, MAX_SEGMENTS)
