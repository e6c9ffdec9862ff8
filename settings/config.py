"""The settings as one value: config.toml plus the environment, validated once at start."""

from __future__ import annotations

import datetime as dt
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import phonenumbers
from pydantic import Field, TypeAdapter, ValidationError, model_validator

from settings import environment
from settings.base import ROOT, ConfigError
from settings.errors import config_error, declared_keys, section_at
from settings.sections import (
    Agent,
    Agents,
    AlertSettings,
    CallbackSettings,
    City,
    ConsoleSettings,
    Crm,
    Emergency,
    Holidays,
    Hours,
    Knowledge,
    Language,
    Languages,
    Menus,
    OutboundSettings,
    PlacesSettings,
    QueueSettings,
    ServiceLevels,
    Voice,
    WebSettings,
    Wording,
)
from settings.values import Problem, required, section, suggest

WORDING_DIR = ROOT / "flows" / "wording"


@section
class ConfigFile:
    """config.toml: its sections, in the order their problems are reported."""

    city: City
    hours: Hours
    languages: Languages = required("[[languages]]: the languages offered, in menu order")
    holidays: Holidays = Field(default_factory=Holidays)
    queue: QueueSettings = Field(default_factory=QueueSettings)
    agents: Agents = Field(default=(), description="[[agents]]: staff who take calls")
    service_levels: ServiceLevels = Field(default_factory=ServiceLevels)
    crm: Crm = Field(default_factory=Crm)
    voice: Voice = Field(default_factory=Voice)
    knowledge: Knowledge = Field(default_factory=Knowledge)
    web: WebSettings = Field(default_factory=WebSettings)
    outbound: OutboundSettings = required("[outbound]; its countries default to the city's own (see below)")
    emergency: Emergency = Field(default_factory=Emergency)
    menus: Menus = Field(default_factory=Menus)
    callbacks: CallbackSettings = Field(default_factory=CallbackSettings)
    alerts: AlertSettings = Field(default_factory=AlertSettings)
    places: PlacesSettings = Field(default_factory=PlacesSettings)
    console: ConsoleSettings = Field(default_factory=ConsoleSettings)
    wording: Wording = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _defaults_from_other_sections(cls, raw: Any) -> Any:
        # One queue per configured language, and texts to the city's own country, unless config.toml says otherwise.
        if not isinstance(raw, dict):
            return raw
        raw = dict(raw)
        queue, outbound = raw.get("queue", {}), raw.get("outbound", {})
        if isinstance(queue, dict) and "names" not in queue:
            raw["queue"] = {**queue, "names": _queue_per_language(raw.get("languages"))}
        if isinstance(outbound, dict) and "countries" not in outbound:
            raw["outbound"] = {**outbound, "countries": [_home_country(raw.get("city"))]}
        return raw

    @model_validator(mode="after")
    def _sections_agree(self) -> ConfigFile:
        codes = {language.code for language in self.languages}
        _check_language_files(self.languages, self.knowledge.directory)
        if codes - set(self.queue.names):
            raise Problem("must name a queue for every configured language", "queue", "names")
        for index, agent in enumerate(self.agents):
            if not agent.languages or not set(agent.languages) <= codes:
                spoken = f"must list configured languages ({', '.join(sorted(codes))})"
                raise Problem(spoken, "agents", index, "languages")
        _check_wording(self.wording, codes)
        return self


def _queue_per_language(languages: Any) -> dict[str, str]:
    entries = languages if isinstance(languages, list) else []  # a wrong [[languages]] is named by its own rule
    codes = [entry.get("code") for entry in entries if isinstance(entry, dict)]
    return {code: f"311-{code.lower()}" for code in codes if isinstance(code, str)}


def _home_country(city: Any) -> str | None:
    numbers = city.get("numbers") if isinstance(city, dict) else None
    try:  # a bad number is named by city.numbers' own rule
        return phonenumbers.region_code_for_number(phonenumbers.parse(str((numbers or [""])[0]), None))
    except phonenumbers.NumberParseException:
        return "US"


def _check_language_files(languages: tuple[Language, ...], knowledge_dir: Path) -> None:
    # Adding a language is data only, so a missing file is a configuration error, caught before the first call.
    for index, language in enumerate(languages):
        for folder in (knowledge_dir, WORDING_DIR):
            if not (folder / f"{language.code}.toml").is_file():
                raise Problem(f"no file {folder / (language.code + '.toml')}", "languages", index, "code")


def _check_wording(wording: dict[str, dict[str, str]], codes: set[str]) -> None:
    for code, table in wording.items():
        if code not in codes:
            raise Problem("is not a configured language" + suggest(code, codes), "wording", code)
        known = tomllib.loads((WORDING_DIR / f"{code}.toml").read_text(encoding="utf-8"))
        for key in table:
            if key not in known:
                raise Problem("unknown wording key" + suggest(key, known), "wording", code, key)


CONFIG_FILE = TypeAdapter(ConfigFile)

# Each section's class, by its name in config.toml (None: wording, a table of data checked by its rule).
SECTIONS: dict[str, type | None] = {name: section_at(ConfigFile, (name,)) for name in ConfigFile.__pydantic_fields__}

# Every key config.toml may hold, as the sections declare them (the keys of queue.names, holidays.extra and
# wording are data, checked by their rules).
KNOWN_KEYS: dict[str, frozenset[str]] = {name: declared_keys(ConfigFile, (name,)) for name in SECTIONS}


@dataclass(frozen=True)
class Settings:
    """What the service runs on. From config.toml (each key's default and meaning: settings.sections) and the
    environment (settings.environment). Secrets stay out of repr()."""

    city_name: str
    numbers: tuple[str, ...]
    timezone: ZoneInfo
    languages: tuple[Language, ...]
    hours: dict[int, tuple[dt.time, dt.time] | None]
    holiday_country: str
    holiday_subdivision: str | None
    extra_holidays: dict[dt.date, str]
    speech_model: str
    welcome_speech_language: str
    gather_timeout: int
    speech_confidence_floor: float
    knowledge_dir: Path
    menus_file: Path
    gas_emergency_line: str
    outbound: OutboundSettings
    answer_threshold: float
    confirm_threshold: float
    wording: dict[str, dict[str, str]]
    workdays: frozenset[int]
    workday_ends: dt.time
    queue: QueueSettings
    agents: tuple[Agent, ...]
    crm_adapter: str
    crm_open311_endpoint: str | None
    crm_open311_jurisdiction: str | None
    web: WebSettings
    callbacks: CallbackSettings
    alerts: AlertSettings
    places: PlacesSettings
    console: ConsoleSettings
    # From the environment.
    account_sid: str
    auth_token: str = field(repr=False)
    public_base_url: str
    twilio_api_base_url: str | None
    crm_open311_api_key: str | None = field(repr=False)
    open311_api_keys: tuple[str, ...] = field(repr=False)
    database_url: str = field(repr=False)  # may hold a password
    redis_url: str | None = field(repr=False)  # may hold a password
    dev_mode: bool
    var_dir: Path
    console_secret: str = field(repr=False)  # signs the console's session cookies
    allowed_hosts: tuple[str, ...]  # Host names served besides PUBLIC_BASE_URL's and this machine's loopback
    metrics_token: str | None = field(repr=False)  # the bearer token a Prometheus scrape of /metrics sends

    @property
    def default_language(self) -> Language:
        return self.languages[0]

    def language(self, code: str | None) -> Language:
        """The configured language with this code, or the default one."""
        for lang in self.languages:
            if lang.code == code:
                return lang
        return self.default_language


def load_settings(path: str | Path = ROOT / "config.toml", env: dict[str, str] | None = None) -> Settings:
    """Read and validate config.toml and the environment; raise ConfigError naming the bad key."""
    config = read_config_file(Path(path))
    return Settings(**from_config_file(config), **environment.read(dict(os.environ if env is None else env)))


def read_config_file(path: Path) -> ConfigFile:
    """config.toml checked against the sections; ConfigError names the first bad key."""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(str(path), "file not found") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(str(path), f"not valid TOML ({exc})") from None
    try:
        return CONFIG_FILE.validate_python(raw)
    except ValidationError as exc:
        raise config_error(exc, ConfigFile) from None


def from_config_file(config: ConfigFile) -> dict[str, Any]:
    """Settings' fields that config.toml gives, by the names the rest of the code reads."""
    return dict(
        city_name=config.city.name,
        numbers=config.city.numbers,
        timezone=config.city.timezone,
        languages=config.languages,
        hours=config.hours.by_weekday(),
        holiday_country=config.holidays.country,
        holiday_subdivision=config.holidays.subdivision,
        extra_holidays=config.holidays.extra,
        speech_model=config.voice.speech_model,
        welcome_speech_language=config.voice.welcome_speech_language,
        gather_timeout=config.voice.gather_timeout,
        speech_confidence_floor=config.voice.speech_confidence_floor,
        knowledge_dir=config.knowledge.directory,
        menus_file=config.menus.file,
        gas_emergency_line=config.emergency.gas_line,
        outbound=config.outbound,
        answer_threshold=config.knowledge.answer_threshold,
        confirm_threshold=config.knowledge.confirm_threshold,
        wording=config.wording,
        workdays=config.service_levels.workdays,
        workday_ends=config.service_levels.workday_ends,
        queue=config.queue,
        agents=config.agents,
        crm_adapter=config.crm.adapter,
        crm_open311_endpoint=config.crm.open311_endpoint,
        crm_open311_jurisdiction=config.crm.jurisdiction_id,
        web=config.web,
        callbacks=config.callbacks,
        alerts=config.alerts,
        places=config.places,
        console=config.console,
    )
