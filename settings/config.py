"""The settings as one value: config.toml plus the environment, validated once at start."""

from __future__ import annotations

import datetime as dt
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

from settings import environment, sections, values
from settings.base import ROOT, WEEKDAYS, ConfigError
from settings.sections import Agent, CallbackSettings, Language, OutboundSettings, QueueSettings, WebSettings

# Every key config.toml may hold, so a typo ("max_wiat", "[queu]") is refused instead of silently ignored. The
# tables whose keys are data (queue.names, holidays.extra, wording) are checked where they are read.
KNOWN_KEYS: dict[str, frozenset[str]] = {
    "city": frozenset({"name", "numbers", "timezone"}),
    "languages": frozenset({"code", "name", "key", "voice", "words"}),
    "hours": frozenset(WEEKDAYS),
    "holidays": frozenset({"country", "subdivision", "extra"}),
    "queue": frozenset(
        {"names", "callback_queue", "offer_every", "max_wait", "max_size", "agents", "handle_time", "hold_music"}
    ),
    "agents": frozenset({"name", "phone", "languages"}),
    "service_levels": frozenset({"workdays", "workday_ends"}),
    "crm": frozenset({"adapter", "open311_endpoint", "jurisdiction_id"}),
    "voice": frozenset({"speech_model", "welcome_speech_language", "gather_timeout", "speech_confidence_floor"}),
    "knowledge": frozenset({"directory", "answer_threshold", "confirm_threshold"}),
    "web": frozenset({"header_timeout", "body_timeout", "keep_alive", "max_connections", "max_header_bytes"}),
    "outbound": frozenset({"countries", "texts_per_call", "texts_per_number_per_day", "texts_per_hour"}),
    "emergency": frozenset({"gas_line"}),
    "menus": frozenset({"file"}),
    "callbacks": frozenset(
        {
            "slot_minutes",
            "per_slot",
            "days_ahead",
            "retries",
            "retry_minutes",
            "lead_seconds",
            "machine_detection",
            "reminder_minutes",
            "requests_per_number_per_day",
            "requests_per_hour",
            "max_numbers_per_requester",
        }
    ),
    "wording": frozenset(),
}


@dataclass(frozen=True)
class Settings:
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
    # From the environment.
    account_sid: str
    auth_token: str
    public_base_url: str
    twilio_api_base_url: str | None
    crm_open311_api_key: str | None
    open311_api_keys: tuple[str, ...]
    database_url: str
    redis_url: str | None
    dev_mode: bool = False
    var_dir: Path = field(default=ROOT / "var")
    web: WebSettings = field(default_factory=WebSettings)
    callbacks: CallbackSettings = field(default_factory=CallbackSettings)
    console_secret: str = field(default="", repr=False)  # signs the console's session cookies
    allowed_hosts: tuple[str, ...] = ()  # Host names served besides PUBLIC_BASE_URL's and this machine's loopback

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
    env = dict(os.environ if env is None else env)
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(str(path), "file not found") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(str(path), f"not valid TOML ({exc})") from None
    var_dir = Path(env.get("ONECALL_VAR_DIR") or ROOT / "var")
    check_known_keys(raw)
    city = values.table(raw, "city")
    voice = values.table(raw, "voice", required=False)
    knowledge = values.table(raw, "knowledge", required=False)
    hol = values.table(raw, "holidays", required=False)
    environment.check_twilio_credentials(env)
    token, dev_mode = environment.auth_token(env, var_dir)
    levels = values.table(raw, "service_levels", required=False)
    crm = values.table(raw, "crm", required=False)
    answer = values.number(knowledge, "knowledge.answer_threshold", 0.55, 0.0, 1.0)
    confirm = values.number(knowledge, "knowledge.confirm_threshold", 0.35, 0.0, 1.0)
    if confirm > answer:
        raise ConfigError("knowledge.confirm_threshold", f"{confirm} is above answer_threshold {answer}")
    knowledge_dir = values.directory(knowledge.get("directory", "knowledge/files"), "knowledge.directory")
    outbound = sections.read_outbound(values.table(raw, "outbound", required=False), city)
    emergency = values.table(raw, "emergency", required=False)
    gas_line = str(emergency.get("gas_line", "")).strip()
    if len(gas_line) > 40 or any(c in gas_line for c in "<>&{}"):
        raise ConfigError("emergency.gas_line", f"{gas_line!r} must be a short phone number, as it is read out")
    menus_file = values.file_path(
        values.table(raw, "menus", required=False).get("file", "flows/menus.toml"), "menus.file"
    )
    languages = sections.read_languages(raw.get("languages"))
    sections.check_language_files(languages, knowledge_dir)
    return Settings(
        city_name=values.text(city, "city.name"),
        numbers=tuple(values.phone(n, f"city.numbers[{i}]") for i, n in enumerate(values.items(city, "city.numbers"))),
        timezone=values.zone(values.text(city, "city.timezone")),
        languages=languages,
        hours=sections.read_hours(values.table(raw, "hours")),
        holiday_country=sections.holiday_country(hol),
        holiday_subdivision=sections.holiday_subdivision(hol),
        extra_holidays=sections.extra_holidays(hol.get("extra", {})),
        speech_model=str(voice.get("speech_model", "deepgram_nova-3")),
        welcome_speech_language=str(voice.get("welcome_speech_language", "multi")),
        gather_timeout=int(values.number(voice, "voice.gather_timeout", 6, 1, 60)),
        speech_confidence_floor=values.number(voice, "voice.speech_confidence_floor", 0.4, 0.0, 1.0),
        knowledge_dir=knowledge_dir,
        menus_file=menus_file,
        gas_emergency_line=gas_line,
        outbound=outbound,
        answer_threshold=answer,
        confirm_threshold=confirm,
        wording=sections.read_wording(raw.get("wording", {}), languages),
        workdays=sections.read_workdays(levels.get("workdays", list(WEEKDAYS[:5]))),
        workday_ends=values.time_of_day(levels.get("workday_ends", "17:00"), "service_levels.workday_ends"),
        queue=sections.read_queue(values.table(raw, "queue", required=False), languages),
        agents=sections.read_agents(raw.get("agents", []), languages),
        crm_adapter=values.choice(crm, "crm.adapter", ("builtin", "open311"), "builtin"),
        crm_open311_endpoint=sections.open311_endpoint(crm),
        crm_open311_jurisdiction=str(crm.get("jurisdiction_id")) if crm.get("jurisdiction_id") else None,
        account_sid=env.get("TWILIO_ACCOUNT_SID") or "AC" + "0" * 32,
        auth_token=token,
        public_base_url=values.base_url(env.get("PUBLIC_BASE_URL", "http://127.0.0.1:8311"), "PUBLIC_BASE_URL"),
        twilio_api_base_url=env.get("TWILIO_API_BASE_URL") or None,
        crm_open311_api_key=env.get("CRM_OPEN311_API_KEY") or None,
        open311_api_keys=environment.open311_api_keys(env.get("OPEN311_API_KEYS", "")),
        database_url=environment.database_url(env.get("DATABASE_URL") or f"sqlite:///{var_dir / 'onecall.db'}"),
        redis_url=environment.redis_url(env.get("REDIS_URL") or None),
        dev_mode=dev_mode,
        var_dir=var_dir,
        web=sections.read_web(values.table(raw, "web", required=False)),
        callbacks=sections.read_callbacks(values.table(raw, "callbacks", required=False)),
        console_secret=environment.console_secret(env, var_dir),
        allowed_hosts=environment.allowed_hosts(env.get("ALLOWED_HOSTS")),
    )


def check_known_keys(raw: dict) -> None:
    for section, value in raw.items():
        if section not in KNOWN_KEYS:
            raise ConfigError(section, "unknown section" + values.suggest(section, KNOWN_KEYS))
        known = KNOWN_KEYS[section]
        if not known:
            continue
        entries = value if isinstance(value, list) else [value]
        for i, entry in enumerate(entries):
            if not isinstance(entry, dict):
                continue  # the section's own check names the wrong type
            prefix = f"{section}[{i}]" if isinstance(value, list) else section
            for key in entry:
                if key not in known:
                    raise ConfigError(f"{prefix}.{key}", "unknown key" + values.suggest(key, known))
