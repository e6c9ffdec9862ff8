"""Phone numbers: normalising, and masking them before they are stored or logged."""

from __future__ import annotations

import phonenumbers


def normalize(number: str, region: str = "US") -> str | None:
    """The number in E.164 form, or None when it is not a real, textable number (anonymous, short junk)."""
    return _e164(number, region, phonenumbers.is_valid_number)


def mask(number: str) -> str:
    """A number safe to store in reports: all but the last four digits hidden."""
    digits = [c for c in number or "" if c.isdigit()]
    if len(digits) < 4:
        return "unknown"
    return ("+" if number.startswith("+") else "") + "*" * (len(digits) - 4) + "".join(digits[-4:])


def e164(number: str, region: str = "US") -> str | None:
    """The number in E.164 form if it is at least possible (staff and test numbers like 555-0101 included)."""
    return _e164(number, region, phonenumbers.is_possible_number)


def _e164(number: str, region: str, acceptable) -> str | None:
    try:
        parsed = phonenumbers.parse(number or "", region)
    except phonenumbers.NumberParseException:
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164) if acceptable(parsed) else None


def display(number: str) -> str:
    """A number as residents read it: 555-555-0311 for North American numbers, E.164 otherwise."""
    if number.startswith("+1") and len(number) == 12:
        return f"{number[2:5]}-{number[5:8]}-{number[8:]}"
    return number
