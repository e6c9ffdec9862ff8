"""config.toml's sections, one class each: every key is declared once here, with its rule, default and meaning.
Keys a section does not declare are refused as typos; rules that join two sections are in settings.config."""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any
from urllib.parse import quote, urlsplit

import holidays as holidays_lib
import phonenumbers
from pydantic import AfterValidator, BeforeValidator, Field, model_validator

from settings import values
from settings.base import WEEKDAYS
from settings.values import (
    AnyText,
    Directory,
    FilePath,
    Flag,
    OpeningHours,
    OptionalText,
    OptionalUrl,
    Phone,
    Problem,
    Text,
    TimeOfDay,
    Zone,
    choice,
    number,
    required,
    rule,
    section,
    whole,
)


def _language_tag(value: Any) -> str:
    code = values.text(value)
    if not re.fullmatch(r"[a-z]{2,3}-[A-Z]{2}", code):
        raise Problem(f"{code!r} is not a language tag like en-US")
    return code


def _digit(value: Any) -> str:
    digit = "" if value is None else str(value)
    if not re.fullmatch(r"[1-9]", digit):
        raise Problem(f"{digit!r} must be one keypad digit 1-9")
    return digit


def _words(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list | tuple) or not all(isinstance(w, str) for w in value):
        raise Problem("must be a list of strings")
    return tuple(w.lower() for w in value)


@section
class Language:
    """A [[languages]] entry: one language offered, in menu order."""

    code: rule(str, _language_tag) = required("a tag like en-US; flows/wording/<code>.toml and a knowledge file exist")
    name: Text = required("the language's own name, as menus show it")
    key: rule(str, _digit) = required("keypad digit that selects it at the welcome prompt")
    voice: Text = required("<Say voice>")
    words: rule(tuple, _words) = Field(default=(), description="what a caller may say to pick it (lowercased)")


def _spoken(value: Any) -> tuple[str, ...]:
    # Which codes are configured is [[languages]]' business: settings.config checks them.
    if not isinstance(value, list | tuple) or not all(isinstance(code, str) for code in value):
        raise Problem("must list configured languages")
    return tuple(value)


@section
class Agent:
    """An [[agents]] entry: staff who take calls by dialling the agent line from their phone."""

    name: Text = required("how the console and the agent line name them")
    phone: Phone = required("the number they dial in from, E.164")
    languages: rule(tuple, _spoken) = Field(default=(), description="codes of the configured languages they speak")


def _entries(what: str) -> Any:
    def check(value: Any) -> Any:
        if not isinstance(value, list | tuple):
            raise Problem(what)
        return value

    return BeforeValidator(check)


def _listed_once(languages: tuple[Language, ...]) -> tuple[Language, ...]:
    codes, keys = set(), set()
    for index, language in enumerate(languages):
        if language.code in codes or language.key in keys:
            raise Problem(f"language {language.code} or key {language.key} is listed twice", index)
        codes.add(language.code)
        keys.add(language.key)
    return languages


def _at_least_one(languages: tuple[Language, ...]) -> tuple[Language, ...]:
    if not languages:
        raise Problem("at least one [[languages]] entry is required")
    return languages


Languages = Annotated[
    tuple[Language, ...],
    _entries("at least one [[languages]] entry is required"),
    AfterValidator(_at_least_one),
    AfterValidator(_listed_once),
]
Agents = Annotated[tuple[Agent, ...], _entries("must be a list of [[agents]] tables")]


def _phones(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list | tuple) or not value:
        raise Problem("must be a non-empty list")
    result = []
    for index, entry in enumerate(value):
        try:
            result.append(values.phone(entry))
        except values.Problem as exc:
            raise Problem(exc.message, index) from None
    return tuple(result)


@section
class City:
    """[city]"""

    name: Text = required("the city's name, as residents hear it")
    numbers: rule(tuple, _phones) = required("the numbers residents dial or text, E.164")
    timezone: Zone = required("an IANA time zone like America/Chicago")


@section
class Hours:
    """[hours]: when agents answer, "HH:MM-HH:MM" or "closed" (read as ()). Self-service works around the clock."""

    monday: OpeningHours = required("agent hours on Mondays")
    tuesday: OpeningHours = required("agent hours on Tuesdays")
    wednesday: OpeningHours = required("agent hours on Wednesdays")
    thursday: OpeningHours = required("agent hours on Thursdays")
    friday: OpeningHours = required("agent hours on Fridays")
    saturday: OpeningHours = required("agent hours on Saturdays")
    sunday: OpeningHours = required("agent hours on Sundays")

    def by_weekday(self) -> dict[int, tuple[dt.time, dt.time] | None]:
        """Opening and closing time per weekday (Monday 0), None when closed."""
        return {index: getattr(self, day) or None for index, day in enumerate(WEEKDAYS)}


def _country(value: Any) -> str:
    country = str(value)
    if country not in holidays_lib.list_supported_countries():
        raise Problem(f"{country!r} is not a country code the holidays package knows")
    return country


def _extra_holidays(value: Any) -> dict[dt.date, str]:
    if not isinstance(value, dict):
        raise Problem('must be a table of "YYYY-MM-DD" = "name"')
    result = {}
    for day, name in value.items():
        try:
            result[dt.date.fromisoformat(str(day))] = str(name)
        except ValueError:
            raise Problem("is not a date like 2026-12-24", str(day)) from None
    return result


@section
class Holidays:
    """[holidays]: days agents are off, besides closed weekdays."""

    country: rule(str, _country) = Field(default="US", description="a country code the holidays package knows")
    subdivision: OptionalText = Field(default=None, description="optional state or province")
    extra: rule(dict, _extra_holidays) = Field(default_factory=dict, description='closures: "YYYY-MM-DD" = "name"')

    @model_validator(mode="after")
    def _subdivision_of_the_country(self) -> Holidays:
        if self.subdivision and self.subdivision not in holidays_lib.list_supported_countries().get(self.country, []):
            raise Problem(f"{self.subdivision!r} is not a subdivision of {self.country}", "subdivision")
        return self


def _queue_names(value: Any) -> dict[str, str]:
    if not isinstance(value, dict):
        raise Problem("must name a queue for every configured language")
    for code, name in value.items():
        if not isinstance(name, str) or not 0 < len(name) <= 64:
            raise Problem("must be a queue name of 1 to 64 characters", code)
    return dict(value)


def _hold_music(value: Any) -> str:
    music = str(value)
    if music and not re.match(r"^https?://", music):
        raise Problem(f"{music!r} must be an http(s) URL of an audio file")
    return music


@section
class QueueSettings:
    """[queue]: callers who ask for a person wait in one queue per language."""

    names: rule(dict, _queue_names) = Field(
        default_factory=dict, description="language code -> Twilio queue name (default 311-<code>), every language"
    )
    callback_queue: rule(str, lambda value: str(value)[:64]) = Field(
        default="311-callbacks", description="the queue of call-backs agents take"
    )
    offer_every: whole(15, 600) = Field(default=45, description="seconds between call-back offers while waiting")
    max_wait: whole(60, 7200) = Field(
        default=900, description="an estimated wait above this offers a voice message instead of holding"
    )
    max_size: whole(1, 1000) = Field(default=50, description="callers per queue before it counts as full")
    agents: whole(1, 1000) = Field(default=4, description="planned agents: wait estimates before there is history")
    handle_time: whole(10, 7200) = Field(default=240, description="planned average handle time, seconds")
    hold_music: rule(str, _hold_music) = Field(default="", description="http(s) URL of an audio file, or empty")


def _workdays(value: Any) -> frozenset[int]:
    if isinstance(value, frozenset):
        return value
    if not isinstance(value, list | tuple) or not value or any(str(d).lower() not in WEEKDAYS for d in value):
        raise Problem(f'must be a list of day names like "monday", got {value!r}')
    return frozenset(WEEKDAYS.index(str(d).lower()) for d in value)


@section
class ServiceLevels:
    """[service_levels]: agreements count working days (minus holidays); a request is due at the end of its day."""

    workdays: rule(frozenset, _workdays) = Field(
        default=WEEKDAYS[:5], validate_default=True, description="day names counted as working days"
    )
    workday_ends: TimeOfDay = Field(default=dt.time(17), description="when a working day ends")


@section
class Crm:
    """[crm]: where tickets go."""

    adapter: choice("builtin", "open311") = Field(
        default="builtin", description="builtin: our database is the CRM; open311: also the city's GeoReport v2"
    )
    open311_endpoint: OptionalUrl = Field(default=None, description="the city's Open311 endpoint (adapter open311)")
    jurisdiction_id: OptionalText = Field(default=None, description="Open311 jurisdiction_id, if the city needs one")

    @model_validator(mode="after")
    def _open311_has_an_endpoint(self) -> Crm:
        if self.adapter == "open311" and not self.open311_endpoint:
            raise Problem('is required when crm.adapter is "open311"', "open311_endpoint")
        return self


@section
class Voice:
    """[voice]: speech recognition for <Gather>."""

    speech_model: AnyText = Field(default="deepgram_nova-3", description="Twilio speechModel")
    welcome_speech_language: AnyText = Field(
        default="multi", description="the welcome prompt listens in every offered language at once"
    )
    gather_timeout: whole(1, 60) = Field(default=6, description="seconds of silence before a prompt counts as none")
    speech_confidence_floor: number(0.0, 1.0) = Field(
        default=0.4, description="below this Twilio speech confidence the caller is asked to confirm"
    )


@section
class Knowledge:
    """[knowledge]: the answers self-service gives."""

    directory: Directory = Field(
        default="knowledge/files", validate_default=True, description="one file per language code"
    )
    answer_threshold: number(0.0, 1.0) = Field(default=0.55, description="matcher confidence to answer directly")
    confirm_threshold: number(0.0, 1.0) = Field(
        default=0.35, description='between this and answer_threshold: "I think you asked about X"'
    )

    @model_validator(mode="after")
    def _confirm_below_answer(self) -> Knowledge:
        if self.confirm_threshold > self.answer_threshold:
            problem_text = f"{self.confirm_threshold} is above answer_threshold {self.answer_threshold}"
            raise Problem(problem_text, "confirm_threshold")
        return self


@section
class WebSettings:
    """[web]: how the web server treats slow or numerous clients."""

    header_timeout: number(1, 300) = Field(default=10.0, description="seconds from the first byte to the headers' end")
    body_timeout: number(1, 300) = Field(
        default=10.0, description="seconds from the headers to the end of the body (Twilio gives up after 15)"
    )
    keep_alive: whole(1, 300) = Field(default=5, description="seconds an idle keep-alive connection stays open")
    max_connections: whole(1, 100_000) = Field(
        default=200, description="open connections or running requests; past it new requests get 503"
    )
    max_header_bytes: whole(1024, 1_048_576) = Field(default=16384, description="request line plus headers")


def _countries(value: Any) -> frozenset[str]:
    if isinstance(value, frozenset):
        return value
    if (
        not isinstance(value, list)
        or not value
        or not all(isinstance(c, str) and c.upper() in phonenumbers.SUPPORTED_REGIONS for c in value)
    ):
        raise Problem(f'{value!r} must list country codes such as ["US", "CA"]')
    return frozenset(c.upper() for c in value)


@section
class OutboundSettings:
    """[outbound]: who may get our texts and calls, and how many: the defence against toll fraud and runaway costs."""

    countries: rule(frozenset, _countries) = required(
        "ISO codes of the countries whose numbers we text or call (default: the country of city.numbers[0])"
    )
    texts_per_call: whole(0, 20) = Field(default=3, description="texts one call may send")
    texts_per_number_per_day: whole(0, 1000) = Field(default=20, description="texts one number may get in a day")
    texts_per_hour: whole(0, 1_000_000) = Field(default=500, description="texts per hour for the whole service")


@section
class CallbackSettings:
    """[callbacks]: bookable slots, retries, when a kept place is dialled, request limits."""

    slot_minutes: whole(5, 240) = Field(default=30, description="length of a bookable call-back slot")
    per_slot: whole(1, 1000) = Field(default=4, description="call-backs booked into one slot at most")
    days_ahead: whole(1, 30) = Field(default=3, description="how far ahead slots are offered")
    retries: whole(0, 10) = Field(
        default=2, description="further attempts after an unanswered one (Amazon Connect's default)"
    )
    retry_minutes: whole(1, 1440) = Field(default=10, description="minutes between attempts")
    lead_seconds: whole(0, 3600) = Field(
        default=30, description="a kept place is dialled this long before its turn, by the wait estimate"
    )
    machine_detection: Flag = Field(default=True, description="ask Twilio whether a person or a machine answered")
    reminder_minutes: whole(0, 1440) = Field(
        default=15, description="a reminder text this long before a chosen time (0: none)"
    )
    requests_per_number_per_day: whole(1, 1000) = Field(default=5, description="call-backs one number may ask a day")
    requests_per_hour: whole(1, 1_000_000) = Field(default=200, description="for the whole service")
    max_numbers_per_requester: whole(0, 100) = Field(
        default=3, description="numbers other than its own one line may ask call-backs for in a day"
    )


def _on_call(value: Any) -> tuple[str, ...]:
    return () if value in ((), []) else _phones(value)


@section
class AlertSettings:
    """[alerts]: when supervisors are warned (a banner on Live, a text to on-call numbers), and surge detection."""

    window_minutes: whole(5, 240) = Field(default=15, description="the window service level and abandonment cover")
    service_level_below: number(0, 1) = Field(
        default=0.8, description="warn when fewer callers than this share were answered within service_level_seconds"
    )
    service_level_seconds: whole(5, 600) = Field(default=30, description="the service level's answer time")
    longest_wait_minutes: whole(1, 240) = Field(default=10, description="warn when a caller has waited this long")
    abandonment_above: number(0, 1) = Field(default=0.1, description="warn when more callers than this share hang up")
    callbacks_due_above: whole(0, 100_000) = Field(
        default=10, description="warn when more call-backs than this are owed now"
    )
    min_calls: whole(1, 10_000) = Field(
        default=5, description="service level and abandonment are judged on at least this many calls in the window"
    )
    on_call: rule(tuple, _on_call) = Field(default=(), description="supervisors' numbers texted once per episode")
    surge_window_minutes: whole(2, 120) = Field(default=10, description="the longest window a spike is looked for in")
    surge_min_count: whole(2, 10_000) = Field(
        default=3, description="contacts on one key before a spike is named (in a window of at most 2 minutes)"
    )
    surge_usual_per_hour: number(0.01, 10_000) = Field(
        default=1.0, description="a key's usual contacts per hour until a day of history says more"
    )
    surge_p_value: number(1e-12, 0.01) = Field(
        default=1e-6, description="how unlikely the count must be at the usual rate (Poisson upper tail)"
    )
    surge_short_p_value: number(1e-12, 0.01) = Field(
        default=1.3e-5, description="the same for a count of exactly surge_min_count, in windows of 1-2 minutes only"
    )

def _link_template(value: Any) -> str:
    template = str(value or "").strip()
    if not template:
        return ""
    parts = urlsplit(template.replace("{number}", "0"))
    if parts.scheme not in ("https", "http") or not parts.netloc or any(c in template for c in "<>\"' \\"):
        raise Problem(f"{template!r} must be an http(s) address, e.g. https://crm.example/search?phone={{number}}")
    if re.sub(r"\{number\}", "", template).count("{") or template.count("}") != template.count("{number}"):
        raise Problem(f"{template!r} may hold only the placeholder {{number}}")
    return template


@section
class ConsoleSettings:
    """[console]: how the console links out to the city's own systems."""

    crm_link: rule(str, _link_template) = Field(
        default="", description="the agent's link to the city's CRM; {number} becomes the caller's number (encoded)"
    )

    def crm_url(self, number: str) -> str | None:
        """The CRM link for this caller's number, URL-encoded; None when no link is configured."""
        return self.crm_link.replace("{number}", quote(number, safe="")) if self.crm_link else None


def _gas_line(value: Any) -> str:
    gas_line = str(value).strip()
    if len(gas_line) > 40 or any(c in gas_line for c in "<>&{}"):
        raise Problem(f"{gas_line!r} must be a short phone number, as it is read out")
    return gas_line


@section
class Emergency:
    """[emergency]: callers describing an emergency are told first to call 911."""

    gas_line: rule(str, _gas_line) = Field(default="", description="the gas utility's emergency line, read out as is")


@section
class Menus:
    """[menus]"""

    file: FilePath = Field(
        default="flows/menus.toml", validate_default=True, description="which options each phone and text menu offers"
    )


def _wording(value: Any) -> dict[str, dict[str, str]]:
    if not isinstance(value, dict):
        raise Problem("must be a table of language tables")
    for code, table in value.items():
        if not isinstance(table, dict) or not all(isinstance(v, str) for v in table.values()):
            raise Problem("must map wording keys to strings", code)
    return {code: dict(table) for code, table in value.items()}


# [wording."<code>"]: overrides of flows/wording/<code>.toml, keys checked against that file by settings.config.
Wording = rule(dict, _wording)


@section
class Neighbour:
    """A [places] neighbours entry: a body next to the city whose addresses residents may give by mistake."""

    name: Text = required("how residents are told it ('That address is in Shelbyville')")
    number: rule(str, _gas_line) = required("the number to call there, as it is read out")
    words: rule(tuple, _words) = Field(default=(), description="words that name it in an address: town, ZIP codes")


@section
class PlacesSettings:
    """[places]: matching addresses against the city's map, duplicates by distance, remembered addresses."""

    neighbours: Annotated[tuple[Neighbour, ...], _entries("must be a list of tables")] = Field(
        default=(), description="bodies next to the city: an address naming one is told so, with its number"
    )
    duplicate_metres: whole(0, 5000) = Field(
        default=60, description="an open request of the same type this close (metres) is the same problem"
    )
    duplicate_days: whole(0, 365) = Field(default=30, description="...if it was reported within this many days")
    remember_days: whole(0, 3650) = Field(
        default=180, description="a resident's confirmed address is offered again for this long (0: never kept)"
    )
