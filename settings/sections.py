"""config.toml's sections as typed values: languages and hours, the queue and agents, outbound limits, the web server
and call-backs, each read and checked by its own function."""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import holidays as holidays_lib
import phonenumbers

from settings import values
from settings.base import ROOT, WEEKDAYS, ConfigError

HOURS = re.compile(r"^(\d{2}):(\d{2})-(\d{2}):(\d{2})$")


@dataclass(frozen=True)
class Language:
    code: str
    name: str
    key: str
    voice: str
    words: tuple[str, ...]


@dataclass(frozen=True)
class Agent:
    name: str
    phone: str
    languages: tuple[str, ...]


@dataclass(frozen=True)
class QueueSettings:
    names: dict[str, str]  # language code -> Twilio queue name
    callback_queue: str
    offer_every: int
    max_wait: int
    max_size: int
    agents: int
    handle_time: int
    hold_music: str


@dataclass(frozen=True)
class OutboundSettings:
    """Who may get our texts and calls, and how many: the defence against toll fraud and runaway costs."""

    countries: frozenset[str]  # ISO country codes of numbers we text or call
    texts_per_call: int
    texts_per_number_per_day: int
    texts_per_hour: int  # for the whole service


@dataclass(frozen=True)
class WebSettings:
    """How the web server treats slow or numerous clients (config.toml [web])."""

    header_timeout: float = 10.0  # seconds from the first byte to the end of the request headers
    body_timeout: float = 10.0  # seconds from the headers to the end of the body (Twilio gives up after 15)
    keep_alive: int = 5  # seconds an idle keep-alive connection stays open
    max_connections: int = 200  # open connections or running requests; past it new requests get 503
    max_header_bytes: int = 16384  # request line plus headers


@dataclass(frozen=True)
class CallbackSettings:
    """Call-backs (config.toml [callbacks]): bookable slots, retries, when a kept place is dialled, request limits."""

    slot_minutes: int = 30  # length of a bookable call-back slot
    per_slot: int = 4  # call-backs booked into one slot at most
    days_ahead: int = 3  # how far ahead slots are offered
    retries: int = 2  # further attempts after an unanswered one (Amazon Connect's default)
    retry_minutes: int = 10  # between attempts
    lead_seconds: int = 30  # a kept place is dialled this long before its turn, by the wait estimate
    machine_detection: bool = True  # ask Twilio whether a person or a machine answered
    reminder_minutes: int = 15  # a reminder text this long before a chosen time (0: none)
    requests_per_number_per_day: int = 5
    requests_per_hour: int = 200  # for the whole service
    max_numbers_per_requester: int = 3  # numbers other than its own one line may ask call-backs for in a day


def read_web(raw: dict) -> WebSettings:
    default = WebSettings()
    return WebSettings(
        header_timeout=values.number(raw, "web.header_timeout", default.header_timeout, 1, 300),
        body_timeout=values.number(raw, "web.body_timeout", default.body_timeout, 1, 300),
        keep_alive=int(values.number(raw, "web.keep_alive", default.keep_alive, 1, 300)),
        max_connections=int(values.number(raw, "web.max_connections", default.max_connections, 1, 100_000)),
        max_header_bytes=int(values.number(raw, "web.max_header_bytes", default.max_header_bytes, 1024, 1_048_576)),
    )


def read_callbacks(raw: dict) -> CallbackSettings:
    d = CallbackSettings()
    detection = raw.get("machine_detection", d.machine_detection)
    if not isinstance(detection, bool):
        raise ConfigError("callbacks.machine_detection", f"must be true or false, got {detection!r}")

    def whole(key: str, default: int, low: int, high: int) -> int:
        value = values.number(raw, f"callbacks.{key}", default, low, high)
        if value != int(value):
            raise ConfigError(f"callbacks.{key}", f"must be a whole number, got {value!r}")
        return int(value)

    return CallbackSettings(
        slot_minutes=whole("slot_minutes", d.slot_minutes, 5, 240),
        per_slot=whole("per_slot", d.per_slot, 1, 1000),
        days_ahead=whole("days_ahead", d.days_ahead, 1, 30),
        retries=whole("retries", d.retries, 0, 10),
        retry_minutes=whole("retry_minutes", d.retry_minutes, 1, 1440),
        lead_seconds=whole("lead_seconds", d.lead_seconds, 0, 3600),
        machine_detection=detection,
        reminder_minutes=whole("reminder_minutes", d.reminder_minutes, 0, 1440),
        requests_per_number_per_day=whole("requests_per_number_per_day", d.requests_per_number_per_day, 1, 1000),
        requests_per_hour=whole("requests_per_hour", d.requests_per_hour, 1, 1_000_000),
        max_numbers_per_requester=whole("max_numbers_per_requester", d.max_numbers_per_requester, 0, 100),
    )


def read_languages(raw: Any) -> tuple[Language, ...]:
    if not isinstance(raw, list) or not raw:
        raise ConfigError("languages", "at least one [[languages]] entry is required")
    seen_codes, seen_keys, result = set(), set(), []
    for i, entry in enumerate(raw):
        key = f"languages[{i}]"
        if not isinstance(entry, dict):
            raise ConfigError(key, "must be a table")
        code = values.text(entry, f"{key}.code")
        if not re.fullmatch(r"[a-z]{2,3}-[A-Z]{2}", code):
            raise ConfigError(f"{key}.code", f"{code!r} is not a language tag like en-US")
        digit = str(entry.get("key", ""))
        if not re.fullmatch(r"[1-9]", digit):
            raise ConfigError(f"{key}.key", f"{digit!r} must be one keypad digit 1-9")
        if code in seen_codes or digit in seen_keys:
            raise ConfigError(key, f"language {code} or key {digit} is listed twice")
        seen_codes.add(code)
        seen_keys.add(digit)
        words = entry.get("words", [])
        if not isinstance(words, list) or not all(isinstance(w, str) for w in words):
            raise ConfigError(f"{key}.words", "must be a list of strings")
        result.append(
            Language(
                code,
                values.text(entry, f"{key}.name"),
                digit,
                values.text(entry, f"{key}.voice"),
                tuple(w.lower() for w in words),
            )
        )
    return tuple(result)


def check_language_files(languages: tuple[Language, ...], knowledge_dir: Path) -> None:
    # Adding a language is data only, so a missing file is a configuration error, caught before the first call.
    for i, language in enumerate(languages):
        for folder in (knowledge_dir, ROOT / "flows" / "wording"):
            if not (folder / f"{language.code}.toml").is_file():
                raise ConfigError(f"languages[{i}].code", f"no file {folder / (language.code + '.toml')}")


def read_hours(raw: dict) -> dict[int, tuple[dt.time, dt.time] | None]:
    result: dict[int, tuple[dt.time, dt.time] | None] = {}
    for index, day in enumerate(WEEKDAYS):
        key = f"hours.{day}"
        value = raw.get(day)
        if not isinstance(value, str):
            raise ConfigError(key, 'must be "HH:MM-HH:MM" or "closed"')
        if value.strip().lower() == "closed":
            result[index] = None
            continue
        match = HOURS.match(value.strip())
        if not match:
            raise ConfigError(key, f'{value!r} is not "HH:MM-HH:MM" or "closed"')
        h1, m1, h2, m2 = map(int, match.groups())
        if h1 > 23 or h2 > 24 or m1 > 59 or m2 > 59:
            raise ConfigError(key, f"{value!r} is not a valid time range")
        opens = dt.time(h1, m1)
        closes = dt.time.max if h2 == 24 else dt.time(h2, m2)
        if closes <= opens:
            raise ConfigError(key, f"{value!r} closes before it opens")
        result[index] = (opens, closes)
    return result


def read_queue(raw: dict, languages: tuple[Language, ...]) -> QueueSettings:
    names = raw.get("names", {lang.code: f"311-{lang.code.lower()}" for lang in languages})
    if not isinstance(names, dict) or {lang.code for lang in languages} - set(names):
        raise ConfigError("queue.names", "must name a queue for every configured language")
    for code, name in names.items():
        if not isinstance(name, str) or not 0 < len(name) <= 64:
            raise ConfigError(f"queue.names.{code}", "must be a queue name of 1 to 64 characters")
    music = str(raw.get("hold_music", ""))
    if music and not re.match(r"^https?://", music):
        raise ConfigError("queue.hold_music", f"{music!r} must be an http(s) URL of an audio file")
    return QueueSettings(
        names=dict(names),
        callback_queue=str(raw.get("callback_queue", "311-callbacks"))[:64],
        offer_every=int(values.number(raw, "queue.offer_every", 45, 15, 600)),
        max_wait=int(values.number(raw, "queue.max_wait", 900, 60, 7200)),
        max_size=int(values.number(raw, "queue.max_size", 50, 1, 1000)),
        agents=int(values.number(raw, "queue.agents", 4, 1, 1000)),
        handle_time=int(values.number(raw, "queue.handle_time", 240, 10, 7200)),
        hold_music=music,
    )


def read_agents(raw: Any, languages: tuple[Language, ...]) -> tuple[Agent, ...]:
    if not isinstance(raw, list):
        raise ConfigError("agents", "must be a list of [[agents]] tables")
    codes = {lang.code for lang in languages}
    result = []
    for i, entry in enumerate(raw):
        key = f"agents[{i}]"
        spoken = entry.get("languages", [])
        if not isinstance(spoken, list) or not spoken or not set(spoken) <= codes:
            raise ConfigError(f"{key}.languages", f"must list configured languages ({', '.join(sorted(codes))})")
        result.append(
            Agent(values.text(entry, f"{key}.name"), values.phone(entry.get("phone"), f"{key}.phone"), tuple(spoken))
        )
    return tuple(result)


def read_workdays(raw: Any) -> frozenset[int]:
    if not isinstance(raw, list) or not raw or any(str(d).lower() not in WEEKDAYS for d in raw):
        raise ConfigError("service_levels.workdays", f'must be a list of day names like "monday", got {raw!r}')
    return frozenset(WEEKDAYS.index(str(d).lower()) for d in raw)


def open311_endpoint(crm: dict) -> str | None:
    endpoint = crm.get("open311_endpoint")
    if crm.get("adapter") == "open311" and not endpoint:
        raise ConfigError("crm.open311_endpoint", 'is required when crm.adapter is "open311"')
    return values.base_url(str(endpoint), "crm.open311_endpoint") if endpoint else None


def holiday_country(hol: dict) -> str:
    country = str(hol.get("country", "US"))
    if country not in holidays_lib.list_supported_countries():
        raise ConfigError("holidays.country", f"{country!r} is not a country code the holidays package knows")
    return country


def holiday_subdivision(hol: dict) -> str | None:
    sub = hol.get("subdivision")
    if sub is None or sub == "":
        return None
    country = str(hol.get("country", "US"))
    if str(sub) not in holidays_lib.list_supported_countries().get(country, []):
        raise ConfigError("holidays.subdivision", f"{sub!r} is not a subdivision of {country}")
    return str(sub)


def extra_holidays(raw: Any) -> dict[dt.date, str]:
    if not isinstance(raw, dict):
        raise ConfigError("holidays.extra", 'must be a table of "YYYY-MM-DD" = "name"')
    result = {}
    for day, name in raw.items():
        try:
            result[dt.date.fromisoformat(str(day))] = str(name)
        except ValueError:
            raise ConfigError(f"holidays.extra.{day}", "is not a date like 2026-12-24") from None
    return result


def read_outbound(raw: dict, city: dict) -> OutboundSettings:
    try:  # the city's own country; a bad number is named by city.numbers' own check
        home = phonenumbers.region_code_for_number(phonenumbers.parse(str((city.get("numbers") or [""])[0]), None))
    except phonenumbers.NumberParseException:
        home = "US"
    countries = raw.get("countries", [home])
    if (
        not isinstance(countries, list)
        or not countries
        or not all(isinstance(c, str) and c.upper() in phonenumbers.SUPPORTED_REGIONS for c in countries)
    ):
        raise ConfigError("outbound.countries", f'{countries!r} must list country codes such as ["US", "CA"]')
    return OutboundSettings(
        countries=frozenset(c.upper() for c in countries),
        texts_per_call=int(values.number(raw, "outbound.texts_per_call", 3, 0, 20)),
        texts_per_number_per_day=int(values.number(raw, "outbound.texts_per_number_per_day", 20, 0, 1000)),
        texts_per_hour=int(values.number(raw, "outbound.texts_per_hour", 500, 0, 1_000_000)),
    )


def read_wording(raw: Any, languages: tuple[Language, ...]) -> dict[str, dict[str, str]]:
    if not isinstance(raw, dict):
        raise ConfigError("wording", "must be a table of language tables")
    codes = {language.code for language in languages}
    for code, table in raw.items():
        if code not in codes:
            raise ConfigError(f"wording.{code}", "is not a configured language" + values.suggest(code, codes))
        if not isinstance(table, dict) or not all(isinstance(v, str) for v in table.values()):
            raise ConfigError(f"wording.{code}", "must map wording keys to strings")
        known = tomllib.loads((ROOT / "flows" / "wording" / f"{code}.toml").read_text(encoding="utf-8"))
        for key in table:
            if key not in known:
                raise ConfigError(f"wording.{code}.{key}", "unknown wording key" + values.suggest(key, known))
    return {code: dict(table) for code, table in raw.items()}
