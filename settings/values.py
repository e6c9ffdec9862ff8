"""Typed readers for config.toml values: each checks one value and names its key when it is wrong."""

from __future__ import annotations

import datetime as dt
import difflib
import re
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers

from settings.base import ROOT, ConfigError


def table(raw: dict, key: str, required: bool = True) -> dict:
    value = raw.get(key)
    if value is None and not required:
        return {}
    if not isinstance(value, dict):
        raise ConfigError(key, "missing table" if value is None else "must be a table")
    return value


def text(table: dict, key: str) -> str:
    value = table.get(key.rsplit(".", 1)[-1])
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(key, "must be a non-empty string")
    return value.strip()


def items(table: dict, key: str) -> list:
    value = table.get(key.rsplit(".", 1)[-1])
    if not isinstance(value, list) or not value:
        raise ConfigError(key, "must be a non-empty list")
    return value


def number(table: dict, key: str, default: float, low: float, high: float) -> float:
    value = table.get(key.rsplit(".", 1)[-1], default)
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
        raise ConfigError(key, f"must be a number from {low} to {high}, got {value!r}")
    return float(value)


def phone(value: Any, key: str) -> str:
    try:
        number = phonenumbers.parse(str(value), None)
    except phonenumbers.NumberParseException:
        raise ConfigError(key, f"{value!r} is not a phone number in E.164 form like +15555550311") from None
    if not phonenumbers.is_possible_number(number):
        raise ConfigError(key, f"{value!r} is not a possible phone number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError("city.timezone", f"{name!r} is not an IANA time zone like America/Chicago") from None


def time_of_day(raw: Any, key: str) -> dt.time:
    try:
        return dt.time.fromisoformat(str(raw))
    except ValueError:
        raise ConfigError(key, f"{raw!r} is not a time like 17:00") from None


def choice(table: dict, key: str, allowed: tuple[str, ...], default: str) -> str:
    value = table.get(key.rsplit(".", 1)[-1], default)
    if value not in allowed:
        raise ConfigError(key, f"{value!r} must be one of {', '.join(allowed)}")
    return value


def directory(value: Any, key: str) -> Path:
    path = Path(str(value))
    path = path if path.is_absolute() else ROOT / path
    if not path.is_dir():
        raise ConfigError(key, f"{value!r} is not a directory")
    return path


def file_path(value: Any, key: str) -> Path:
    path = Path(str(value))
    path = path if path.is_absolute() else ROOT / path
    if not path.is_file():
        raise ConfigError(key, f"{value!r} is not a file")
    return path


def base_url(value: str, key: str) -> str:
    if not re.match(r"^https?://[^/\s]+", value):
        raise ConfigError(key, f"{value!r} must be an http(s) URL like https://311.example.gov")
    return value.rstrip("/")


def suggest(word: str, known) -> str:
    close = difflib.get_close_matches(word, sorted(known), n=1)
    if close:
        return f" (did you mean {close[0]}?)"
    return f" (known: {', '.join(sorted(known))})" if len(known) <= 12 else ""
