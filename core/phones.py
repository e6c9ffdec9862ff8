"""Phone numbers: normalising, and masking them before they are stored or logged."""

from __future__ import annotations

import hashlib
import hmac
from enum import Enum

import phonenumbers
from phonenumbers import PhoneNumberType

from core.memo import keep_short_answers

# Numbers we text or call back: ordinary lines only. Premium-rate, shared-cost, toll-free, personal, pager, UAN and
# voicemail numbers are how toll fraud turns a city's outbound texts and calls into someone else's revenue.
OUTBOUND_TYPES = {PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE, PhoneNumberType.FIXED_LINE_OR_MOBILE}


class Refusal(str, Enum):
    """Why a number may not get our texts or calls."""

    INVALID = "invalid"  # not a real number (short codes, anonymous, junk)
    REGION = "region"  # a country the city does not allow
    NUMBER_TYPE = "number_type"  # premium-rate, shared-cost, toll-free and the like


def normalize(number: str, region: str = "US") -> str | None:
    """The number in E.164 form, or None when it is not a real, textable number (anonymous, short junk)."""
    return _e164(number, region, phonenumbers.is_valid_number)


def mask(number: str) -> str:
    """A number safe to store in reports: all but the last four digits hidden."""
    # ASCII digits only ("²".isdigit() is True); no phone number has more than 15 digits (E.164).
    digits = [c for c in number or "" if "0" <= c <= "9"]
    if not 4 <= len(digits) <= 15:
        return "unknown"
    return ("+" if number.startswith("+") else "") + "*" * (len(digits) - 4) + "".join(digits[-4:])


def number_key(secret: str, number: str | None) -> str | None:
    """A keyed digest of the number, stored to find one number's contacts without keeping the number itself."""
    found = e164(number or "")
    if found is None:
        return None
    return hmac.new(secret.encode(), found.encode(), hashlib.sha256).hexdigest()[:32]


def e164(number: str, region: str = "US") -> str | None:
    """The number in E.164 form if it is at least possible (staff and test numbers like 555-0101 included)."""
    return _e164(number, region, phonenumbers.is_possible_number)


# Every webhook of a call names the same two numbers and parses them two or three times, at 15 to 40 us each.
@keep_short_answers(longest=40, most=8192)
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


def outbound_refusal(number: str | None, allowed_regions: frozenset[str]) -> Refusal | None:
    """Why we must not text or call this number, or None when it is an ordinary line in an allowed country."""
    try:
        parsed = phonenumbers.parse(number or "", None)
    except phonenumbers.NumberParseException:
        return Refusal.INVALID
    if not phonenumbers.is_valid_number(parsed):
        return Refusal.INVALID
    if phonenumbers.region_code_for_number(parsed) not in allowed_regions:
        return Refusal.REGION
    if phonenumbers.number_type(parsed) not in OUTBOUND_TYPES:
        return Refusal.NUMBER_TYPE
    return None
