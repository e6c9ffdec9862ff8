"""Twilio's webhook fields read safely at the edge: SIDs of Twilio's shape, numbers in ASCII digits within bounds, text
without NUL bytes and of a sane length. A bad required field is refused; a bad optional one is treated as absent."""

from __future__ import annotations

import re

from starlette.exceptions import HTTPException

from core.defaults import MAX_CALL_SECONDS, MAX_QUEUE_SIZE, WEBHOOK_FIELD_MAX_CHARS

# Two letters naming the kind, then 32 hex digits, as in Twilio's OpenAPI description (e.g. ^CA[0-9a-fA-F]{32}$).
_SID = re.compile(r"[A-Z]{2}[0-9a-fA-F]{32}")
# [0-9], never \d or str.isdigit(): those accept "²" and "٣", which int() then refuses or reads as another number.
_WHOLE = re.compile(r"[0-9]{1,18}")
_DECIMAL = re.compile(r"[0-9]{1,6}(\.[0-9]{1,12})?|\.[0-9]{1,12}")
# C0 control characters but tab, newline and carriage return: NUL cannot be stored in PostgreSQL text.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def is_sid(value: str | None, *kinds: str) -> bool:
    """True when value is a Twilio SID of one of these kinds ("CA", "SM", ...)."""
    return bool(value and _SID.fullmatch(value) and value[:2] in kinds)


def require_sid(form: dict[str, str], name: str, *kinds: str) -> str:
    """The SID in form[name], or a 400 when it is missing or not Twilio's shape."""
    if not is_sid(form.get(name), *kinds):
        raise HTTPException(400, f"{name} is missing or not a Twilio SID")
    return form[name]


def check_account(form: dict[str, str]) -> None:
    """A 400 when AccountSid is present and not an account SID (Twilio always sends one; some tools do not)."""
    if "AccountSid" in form and not is_sid(form["AccountSid"], "AC"):
        raise HTTPException(400, "AccountSid is not a Twilio account SID")


def whole(value: str | None, *, maximum: int) -> int | None:
    """A whole number from 0 to maximum written in ASCII digits; None for anything else (absent, "²", 2^64, "-1")."""
    value = (value or "").strip()
    if not _WHOLE.fullmatch(value):
        return None
    number = int(value)
    return number if number <= maximum else None


def seconds(value: str | None) -> int | None:
    """Seconds of a call (QueueTime, CallDuration), or None when absent or not a believable number."""
    return whole(value, maximum=MAX_CALL_SECONDS)


def queue_figure(value: str | None) -> int | None:
    """A place in or size of a queue (QueuePosition, CurrentQueueSize), or None when absent or not believable."""
    return whole(value, maximum=MAX_QUEUE_SIZE)


def fraction(value: str | None) -> float | None:
    """A decimal from 0 to 1 in ASCII digits (Twilio's Confidence); None for anything else ("nan", "1e309", "٠.٥")."""
    value = (value or "").strip()
    if not _DECIMAL.fullmatch(value):
        return None
    number = float(value)
    return number if number <= 1.0 else None


def clean(form: dict[str, str]) -> dict[str, str]:
    """The form with control characters removed and every value cut to WEBHOOK_FIELD_MAX_CHARS."""
    return {name: _CONTROL.sub("", value)[:WEBHOOK_FIELD_MAX_CHARS] for name, value in form.items()}
