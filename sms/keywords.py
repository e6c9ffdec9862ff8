"""Keywords a resident can text: Twilio's opt-out words (whole body, any case) and the service's own commands."""

from __future__ import annotations

from enum import Enum

from flows.turns import fold

# Twilio's default opt-out, opt-in and help keywords; the whole message must be the word.
STOP_WORDS = {"stop", "stopall", "unsubscribe", "cancel", "end", "quit", "optout", "revoke"}
START_WORDS = {"start", "yes", "unstop"}
HELP_WORDS = {"help", "info"}


class Keyword(str, Enum):
    STOP = "stop"
    START = "start"
    HELP = "help"
    MENU = "menu"
    REPORT = "report"
    STATUS = "status"
    AGENT = "agent"
    LANGUAGE = "language"
    UPDATES = "updates"  # the surge messages on the air (the storm footer advertises it)
    THANKS = "thanks"  # "thanks", "no thanks": a courtesy, not a question
    CALLBACK = "callback"  # CALL ME: choose a time for a call-back ("call me about request 123-456-789" too)
    CALLBACK_CANCEL = "callback_cancel"  # CANCEL CALL (CANCEL alone is one of Twilio's opt-out words)
    FORGET_ADDRESS = "forget_address"  # FORGET ADDRESS: the address remembered for this number is forgotten
    NONE = "none"


def classify(
    body: str, commands: dict[str, dict[str, set[str]]], opt_out_type: str = "", prefer: str | None = None
) -> tuple[Keyword, str]:
    """The keyword a text is, and its argument: a ticket number, or the language whose words it used ("gracias").

    The resident's current language (`prefer`) is tried first, so "menu", a word of both, keeps their language.
    """
    if opt_out_type.upper() in ("STOP", "START", "HELP"):
        return Keyword(opt_out_type.lower()), ""
    words = fold(body).split()
    whole = " ".join(words)
    if whole in STOP_WORDS:
        return Keyword.STOP, ""
    if whole in START_WORDS:
        return Keyword.START, ""
    if whole in HELP_WORDS:
        return Keyword.HELP, ""
    if not words:
        return Keyword.NONE, ""
    for code, table in commands.items():
        if whole in table.get("language", set()):
            return Keyword.LANGUAGE, code
    ordered = sorted(commands.items(), key=lambda item: item[0] != prefer)
    for code, table in ordered:
        found = _callback(whole, table)
        if found is not None:
            return found, code
    for code, table in ordered:
        for keyword in (Keyword.MENU, Keyword.REPORT, Keyword.AGENT, Keyword.UPDATES, Keyword.THANKS,
                        Keyword.FORGET_ADDRESS):
            if whole in {fold(w) for w in table.get(keyword.value, set())}:
                return keyword, code
        if words[0] in table.get("status", set()):
            return Keyword.STATUS, " ".join(words[1:])
    return Keyword.NONE, ""


def _callback(whole: str, table: dict[str, set[str]]) -> Keyword | None:
    # The whole text is the phrase, or the phrase followed by a request's number ("call me about request 123...").
    if whole in {fold(w) for w in table.get("callback_cancel", set())}:
        return Keyword.CALLBACK_CANCEL
    phrases = {fold(w) for w in table.get("callback", set())}
    if whole in phrases:
        return Keyword.CALLBACK
    if any(whole.startswith(phrase + " ") for phrase in phrases) and any(c.isdigit() for c in whole):
        return Keyword.CALLBACK
    return None
