"""Value rules for config.toml keys: each checks one value and says what is wrong in the words the one-line error
prints, so a section declares each key once as `name: Rule = Field(default, description=...)`.

Every rule also accepts its own result unchanged: dataclasses.replace() on a section validates all its fields again.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
from pydantic import ConfigDict, Field, PlainValidator
from pydantic.dataclasses import dataclass

from settings.base import ROOT

HOURS = re.compile(r"^(\d{2}):(\d{2})-(\d{2}):(\d{2})$")

# One [section] or [[section]] entry: its keys are its fields, anything else is refused as a typo.
section = dataclass(frozen=True, config=ConfigDict(extra="forbid"))


class Problem(ValueError):
    """A broken rule: message is printed after the key; at names a key below the value checked (list index or key)."""

    def __init__(self, message: str, *at: str | int):
        super().__init__(message)
        self.message, self.at = message, at


def required(doc: str) -> Any:
    """A key config.toml must set: when absent it is checked as null, so its own rule names the problem."""
    return Field(default=None, validate_default=True, description=doc)


def rule(kind: Any, check: Callable[[Any], Any]) -> Any:
    return Annotated[kind, PlainValidator(check)]


def whole(low: int, high: int) -> Any:
    """An integer from low to high. 7.5, "7" and true are refused, never truncated; 7.0 is 7."""

    def check(value: Any) -> int:
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not low <= value <= high  # before int(): inf and nan are refused here
            or value != int(value)
        ):
            raise Problem(f"must be a whole number from {low} to {high}, got {value!r}")
        return int(value)

    return rule(int, check)


def number(low: float, high: float) -> Any:
    """A number (whole or not) from low to high."""

    def check(value: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
            raise Problem(f"must be a number from {low} to {high}, got {value!r}")
        return float(value)

    return rule(float, check)


def _flag(value: Any) -> bool:
    if not isinstance(value, bool):
        raise Problem(f"must be true or false, got {value!r}")
    return value


def text(value: Any) -> str:
    """A non-empty string, stripped."""
    if not isinstance(value, str) or not value.strip():
        raise Problem("must be a non-empty string")
    return value.strip()


def phone(value: Any) -> str:
    """A possible phone number, in E.164."""
    try:
        parsed = phonenumbers.parse(str(value), None)
    except phonenumbers.NumberParseException:
        raise Problem(f"{value!r} is not a phone number in E.164 form like +15555550311") from None
    if not phonenumbers.is_possible_number(parsed):
        raise Problem(f"{value!r} is not a possible phone number")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def _zone(value: Any) -> ZoneInfo:
    if isinstance(value, ZoneInfo):
        return value
    name = text(value)
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise Problem(f"{name!r} is not an IANA time zone like America/Chicago") from None


def _time_of_day(value: Any) -> dt.time:
    if isinstance(value, dt.time):
        return value
    try:
        return dt.time.fromisoformat(str(value))
    except ValueError:
        raise Problem(f"{value!r} is not a time like 17:00") from None


def _opening_hours(value: Any) -> tuple[dt.time, dt.time] | tuple[()]:
    """ "HH:MM-HH:MM" as (opens, closes), or () for "closed"."""
    if isinstance(value, tuple):
        return value
    if not isinstance(value, str):
        raise Problem('must be "HH:MM-HH:MM" or "closed"')
    if value.strip().lower() == "closed":
        return ()
    match = HOURS.match(value.strip())
    if not match:
        raise Problem(f'{value!r} is not "HH:MM-HH:MM" or "closed"')
    h1, m1, h2, m2 = map(int, match.groups())
    if h1 > 23 or h2 > 24 or m1 > 59 or m2 > 59:
        raise Problem(f"{value!r} is not a valid time range")
    opens = dt.time(h1, m1)
    closes = dt.time.max if h2 == 24 else dt.time(h2, m2)
    if closes <= opens:
        raise Problem(f"{value!r} closes before it opens")
    return opens, closes


def _under_root(value: Any) -> Path:
    path = Path(str(value))
    return path if path.is_absolute() else ROOT / path


# Folders the project has moved: a city's config.toml naming the old place keeps working after an upgrade.
MOVED_DIRECTORIES = {"flows/knowledge": "knowledge/files"}


def _directory(value: Any) -> Path:
    if isinstance(value, str) and not _under_root(value).is_dir() and value.rstrip("/") in MOVED_DIRECTORIES:
        value = MOVED_DIRECTORIES[value.rstrip("/")]
    if not _under_root(value).is_dir():
        raise Problem(f"{value!r} is not a directory")
    return _under_root(value)


def _file(value: Any) -> Path:
    if not _under_root(value).is_file():
        raise Problem(f"{value!r} is not a file")
    return _under_root(value)


def base_url(value: str) -> str:
    """An http(s) URL without its trailing slash; raises the rule's problem otherwise."""
    if not re.match(r"^https?://[^/\s]+", value):
        raise Problem(f"{value!r} must be an http(s) URL like https://311.example.gov")
    return value.rstrip("/")


def _optional_url(value: Any) -> str | None:
    return base_url(str(value)) if value else None


def _optional_text(value: Any) -> str | None:
    return str(value) if value else None


def choice(*allowed: str) -> Any:
    """One of the allowed words."""

    def check(value: Any) -> str:
        if value not in allowed:
            raise Problem(f"{value!r} must be one of {', '.join(allowed)}")
        return value

    return rule(str, check)


Flag = rule(bool, _flag)
Text = rule(str, text)  # a non-empty string, stripped
AnyText = rule(str, str)  # whatever is written, as text
OptionalText = rule(str | None, _optional_text)  # text, or None when empty or absent
Phone = rule(str, phone)  # E.164
Zone = rule(ZoneInfo, _zone)
TimeOfDay = rule(dt.time, _time_of_day)
OpeningHours = rule(tuple, _opening_hours)
Directory = rule(Path, _directory)  # relative to the checkout
FilePath = rule(Path, _file)  # relative to the checkout
OptionalUrl = rule(str | None, _optional_url)


def suggest(word: str, known) -> str:
    close = difflib.get_close_matches(word, sorted(known), n=1)
    if close:
        return f" (did you mean {close[0]}?)"
    return f" (known: {', '.join(sorted(known))})" if len(known) <= 12 else ""
