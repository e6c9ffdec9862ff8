"""Settings: config.toml plus the environment, validated once at start."""

from __future__ import annotations

import contextlib
import datetime as dt
import difflib
import os
import re
import secrets
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays as holidays_lib
import phonenumbers

ROOT = Path(__file__).resolve().parent
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_HOURS = re.compile(r"^(\d{2}):(\d{2})-(\d{2}):(\d{2})$")
_ACCOUNT_SID = re.compile(r"^AC[0-9a-fA-F]{32}$")
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
        {"slot_minutes", "per_slot", "days_ahead", "retries", "retry_minutes", "lead_seconds", "machine_detection",
         "reminder_minutes", "requests_per_number_per_day", "requests_per_hour"}
    ),
    "wording": frozenset(),
}


class ConfigError(ValueError):
    """A bad configuration value; the message names the key and the problem."""

    def __init__(self, key: str, problem: str):
        super().__init__(f"{key}: {problem}")
        self.key = key


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
    _check_known_keys(raw)
    city = _table(raw, "city")
    voice = _table(raw, "voice", required=False)
    knowledge = _table(raw, "knowledge", required=False)
    hol = _table(raw, "holidays", required=False)
    _check_twilio_credentials(env)
    token, dev_mode = _auth_token(env, var_dir)
    levels = _table(raw, "service_levels", required=False)
    crm = _table(raw, "crm", required=False)
    answer = _number(knowledge, "knowledge.answer_threshold", 0.55, 0.0, 1.0)
    confirm = _number(knowledge, "knowledge.confirm_threshold", 0.35, 0.0, 1.0)
    if confirm > answer:
        raise ConfigError("knowledge.confirm_threshold", f"{confirm} is above answer_threshold {answer}")
    knowledge_dir = _directory(knowledge.get("directory", "flows/knowledge"), "knowledge.directory")
    outbound = _outbound(_table(raw, "outbound", required=False), city)
    emergency = _table(raw, "emergency", required=False)
    gas_line = str(emergency.get("gas_line", "")).strip()
    if len(gas_line) > 40 or any(c in gas_line for c in "<>&{}"):
        raise ConfigError("emergency.gas_line", f"{gas_line!r} must be a short phone number, as it is read out")
    menus_file = _file(_table(raw, "menus", required=False).get("file", "flows/menus.toml"), "menus.file")
    languages = _languages(raw.get("languages"))
    _check_language_files(languages, knowledge_dir)
    return Settings(
        city_name=_text(city, "city.name"),
        numbers=tuple(_phone(n, f"city.numbers[{i}]") for i, n in enumerate(_list(city, "city.numbers"))),
        timezone=_zone(_text(city, "city.timezone")),
        languages=languages,
        hours=_hours(_table(raw, "hours")),
        holiday_country=_holiday_country(hol),
        holiday_subdivision=_holiday_subdivision(hol),
        extra_holidays=_extra_holidays(hol.get("extra", {})),
        speech_model=str(voice.get("speech_model", "deepgram_nova-3")),
        welcome_speech_language=str(voice.get("welcome_speech_language", "multi")),
        gather_timeout=int(_number(voice, "voice.gather_timeout", 6, 1, 60)),
        speech_confidence_floor=_number(voice, "voice.speech_confidence_floor", 0.4, 0.0, 1.0),
        knowledge_dir=knowledge_dir,
        menus_file=menus_file,
        gas_emergency_line=gas_line,
        outbound=outbound,
        answer_threshold=answer,
        confirm_threshold=confirm,
        wording=_wording(raw.get("wording", {}), languages),
        workdays=_workdays(levels.get("workdays", list(WEEKDAYS[:5]))),
        workday_ends=_clock(levels.get("workday_ends", "17:00"), "service_levels.workday_ends"),
        queue=_queue(_table(raw, "queue", required=False), languages),
        agents=_agents(raw.get("agents", []), languages),
        crm_adapter=_choice(crm, "crm.adapter", ("builtin", "open311"), "builtin"),
        crm_open311_endpoint=_open311_endpoint(crm),
        crm_open311_jurisdiction=str(crm.get("jurisdiction_id")) if crm.get("jurisdiction_id") else None,
        account_sid=env.get("TWILIO_ACCOUNT_SID") or "AC" + "0" * 32,
        auth_token=token,
        public_base_url=_base_url(env.get("PUBLIC_BASE_URL", "http://127.0.0.1:8311"), "PUBLIC_BASE_URL"),
        twilio_api_base_url=env.get("TWILIO_API_BASE_URL") or None,
        crm_open311_api_key=env.get("CRM_OPEN311_API_KEY") or None,
        open311_api_keys=tuple(k.strip() for k in env.get("OPEN311_API_KEYS", "").split(",") if k.strip()),
        database_url=_database_url(env.get("DATABASE_URL") or f"sqlite:///{var_dir / 'onecall.db'}"),
        redis_url=_redis_url(env.get("REDIS_URL") or None),
        dev_mode=dev_mode,
        var_dir=var_dir,
        web=_web(_table(raw, "web", required=False)),
        callbacks=_callbacks(_table(raw, "callbacks", required=False)),
        console_secret=_console_secret(env, var_dir),
    )


def _check_known_keys(raw: dict) -> None:
    for section, value in raw.items():
        if section not in KNOWN_KEYS:
            raise ConfigError(section, "unknown section" + _suggest(section, KNOWN_KEYS))
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
                    raise ConfigError(f"{prefix}.{key}", "unknown key" + _suggest(key, known))


def _suggest(word: str, known) -> str:
    close = difflib.get_close_matches(word, sorted(known), n=1)
    if close:
        return f" (did you mean {close[0]}?)"
    return f" (known: {', '.join(sorted(known))})" if len(known) <= 12 else ""


def _check_twilio_credentials(env: dict[str, str]) -> None:
    # Both or neither: a token alone would send texts with a made-up account, a SID alone could not sign.
    sid, token = env.get("TWILIO_ACCOUNT_SID"), env.get("TWILIO_AUTH_TOKEN")
    if token and not sid:
        raise ConfigError("TWILIO_ACCOUNT_SID", "is not set but TWILIO_AUTH_TOKEN is: set both, or neither for "
                                                "development mode")
    if sid and not token:
        raise ConfigError("TWILIO_AUTH_TOKEN", "is not set but TWILIO_ACCOUNT_SID is: set both, or neither for "
                                               "development mode")
    if sid and not _ACCOUNT_SID.match(sid):
        raise ConfigError("TWILIO_ACCOUNT_SID", f"{sid[:6]!r}... is not an account SID (AC and 32 hex digits)")


def redact(url: str) -> str:
    """A URL safe to print: any password replaced by ***."""
    return re.sub(r"(//[^/@]*?:)[^/@]*@", r"\1***@", url)


def _database_url(value: str) -> str:
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError

    example = "like postgresql+psycopg://user@host/db or sqlite:////path/onecall.db"
    try:
        url = make_url(value)
    except ArgumentError:
        raise ConfigError("DATABASE_URL", f"{redact(value)!r} is not a database URL {example}") from None
    try:
        url.get_dialect().import_dbapi()
    except NoSuchModuleError:
        raise ConfigError("DATABASE_URL", f"unknown database {url.drivername!r} in {redact(value)!r}; use a URL "
                                          f"{example}") from None
    except ImportError as exc:
        raise ConfigError("DATABASE_URL", f"the driver for {url.drivername!r} is not installed ({exc}); use a URL "
                                          f"{example}") from None
    return value


def _redis_url(value: str | None) -> str | None:
    import redis

    if value is None:
        return None
    try:
        redis.ConnectionPool.from_url(value)
    except ValueError as exc:
        problem = f"{redact(value)!r} is not a Redis URL like redis://host:6379/0 ({exc})"
        raise ConfigError("REDIS_URL", problem) from None
    return value


def _web(raw: dict) -> WebSettings:
    default = WebSettings()
    return WebSettings(
        header_timeout=_number(raw, "web.header_timeout", default.header_timeout, 1, 300),
        body_timeout=_number(raw, "web.body_timeout", default.body_timeout, 1, 300),
        keep_alive=int(_number(raw, "web.keep_alive", default.keep_alive, 1, 300)),
        max_connections=int(_number(raw, "web.max_connections", default.max_connections, 1, 100_000)),
        max_header_bytes=int(_number(raw, "web.max_header_bytes", default.max_header_bytes, 1024, 1_048_576)),
    )


def _callbacks(raw: dict) -> CallbackSettings:
    d = CallbackSettings()
    detection = raw.get("machine_detection", d.machine_detection)
    if not isinstance(detection, bool):
        raise ConfigError("callbacks.machine_detection", f"must be true or false, got {detection!r}")

    def whole(key: str, default: int, low: int, high: int) -> int:
        value = _number(raw, f"callbacks.{key}", default, low, high)
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
    )


def _auth_token(env: dict[str, str], var_dir: Path) -> tuple[str, bool]:
    """The Twilio auth token, or a random local one kept under var/ for development."""
    token = env.get("TWILIO_AUTH_TOKEN")
    if token:
        return token, False
    var_dir.mkdir(parents=True, exist_ok=True)
    token_file = var_dir / "dev-auth-token"
    if not token_file.exists():
        token_file.write_text(secrets.token_hex(16))
        token_file.chmod(0o600)
    return token_file.read_text().strip(), True


def _console_secret(env: dict[str, str], var_dir: Path) -> str:
    """The key that signs console session cookies: CONSOLE_SECRET, or a random one generated once under var/."""
    secret = env.get("CONSOLE_SECRET", "")
    if secret:
        if len(secret) < 32:
            raise ConfigError("CONSOLE_SECRET", f"is {len(secret)} characters; use at least 32 random ones")
        return secret
    # Every process on this folder shares the file; several machines share CONSOLE_SECRET instead.
    var_dir.mkdir(parents=True, exist_ok=True)
    secret_file = var_dir / "console-secret"
    if not secret_file.exists():
        # Written aside, then linked into place: two processes starting at once end up with the same secret.
        draft = var_dir / f".console-secret.{os.getpid()}"
        draft.touch(mode=0o600)
        draft.write_text(secrets.token_hex(32))
        with contextlib.suppress(FileExistsError):
            os.link(draft, secret_file)
        draft.unlink()
    return secret_file.read_text().strip()


def _table(raw: dict, key: str, required: bool = True) -> dict:
    value = raw.get(key)
    if value is None and not required:
        return {}
    if not isinstance(value, dict):
        raise ConfigError(key, "missing table" if value is None else "must be a table")
    return value


def _text(table: dict, key: str) -> str:
    value = table.get(key.rsplit(".", 1)[-1])
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(key, "must be a non-empty string")
    return value.strip()


def _list(table: dict, key: str) -> list:
    value = table.get(key.rsplit(".", 1)[-1])
    if not isinstance(value, list) or not value:
        raise ConfigError(key, "must be a non-empty list")
    return value


def _number(table: dict, key: str, default: float, low: float, high: float) -> float:
    value = table.get(key.rsplit(".", 1)[-1], default)
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
        raise ConfigError(key, f"must be a number from {low} to {high}, got {value!r}")
    return float(value)


def _phone(value: Any, key: str) -> str:
    try:
        number = phonenumbers.parse(str(value), None)
    except phonenumbers.NumberParseException:
        raise ConfigError(key, f"{value!r} is not a phone number in E.164 form like +15555550311") from None
    if not phonenumbers.is_possible_number(number):
        raise ConfigError(key, f"{value!r} is not a possible phone number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError("city.timezone", f"{name!r} is not an IANA time zone like America/Chicago") from None


def _languages(raw: Any) -> tuple[Language, ...]:
    if not isinstance(raw, list) or not raw:
        raise ConfigError("languages", "at least one [[languages]] entry is required")
    seen_codes, seen_keys, result = set(), set(), []
    for i, entry in enumerate(raw):
        key = f"languages[{i}]"
        if not isinstance(entry, dict):
            raise ConfigError(key, "must be a table")
        code = _text(entry, f"{key}.code")
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
                code, _text(entry, f"{key}.name"), digit, _text(entry, f"{key}.voice"), tuple(w.lower() for w in words)
            )
        )
    return tuple(result)


def _check_language_files(languages: tuple[Language, ...], knowledge_dir: Path) -> None:
    # Adding a language is data only, so a missing file is a configuration error, caught before the first call.
    for i, language in enumerate(languages):
        for folder in (knowledge_dir, ROOT / "flows" / "wording"):
            if not (folder / f"{language.code}.toml").is_file():
                raise ConfigError(f"languages[{i}].code", f"no file {folder / (language.code + '.toml')}")


def _hours(raw: dict) -> dict[int, tuple[dt.time, dt.time] | None]:
    result: dict[int, tuple[dt.time, dt.time] | None] = {}
    for index, day in enumerate(WEEKDAYS):
        key = f"hours.{day}"
        value = raw.get(day)
        if not isinstance(value, str):
            raise ConfigError(key, 'must be "HH:MM-HH:MM" or "closed"')
        if value.strip().lower() == "closed":
            result[index] = None
            continue
        match = _HOURS.match(value.strip())
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


def _queue(raw: dict, languages: tuple[Language, ...]) -> QueueSettings:
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
        offer_every=int(_number(raw, "queue.offer_every", 45, 15, 600)),
        max_wait=int(_number(raw, "queue.max_wait", 900, 60, 7200)),
        max_size=int(_number(raw, "queue.max_size", 50, 1, 1000)),
        agents=int(_number(raw, "queue.agents", 4, 1, 1000)),
        handle_time=int(_number(raw, "queue.handle_time", 240, 10, 7200)),
        hold_music=music,
    )


def _agents(raw: Any, languages: tuple[Language, ...]) -> tuple[Agent, ...]:
    if not isinstance(raw, list):
        raise ConfigError("agents", "must be a list of [[agents]] tables")
    codes = {lang.code for lang in languages}
    result = []
    for i, entry in enumerate(raw):
        key = f"agents[{i}]"
        spoken = entry.get("languages", [])
        if not isinstance(spoken, list) or not spoken or not set(spoken) <= codes:
            raise ConfigError(f"{key}.languages", f"must list configured languages ({', '.join(sorted(codes))})")
        result.append(Agent(_text(entry, f"{key}.name"), _phone(entry.get("phone"), f"{key}.phone"), tuple(spoken)))
    return tuple(result)


def _workdays(raw: Any) -> frozenset[int]:
    if not isinstance(raw, list) or not raw or any(str(d).lower() not in WEEKDAYS for d in raw):
        raise ConfigError("service_levels.workdays", f"must be a list of day names like \"monday\", got {raw!r}")
    return frozenset(WEEKDAYS.index(str(d).lower()) for d in raw)


def _clock(raw: Any, key: str) -> dt.time:
    try:
        return dt.time.fromisoformat(str(raw))
    except ValueError:
        raise ConfigError(key, f"{raw!r} is not a time like 17:00") from None


def _choice(table: dict, key: str, allowed: tuple[str, ...], default: str) -> str:
    value = table.get(key.rsplit(".", 1)[-1], default)
    if value not in allowed:
        raise ConfigError(key, f"{value!r} must be one of {', '.join(allowed)}")
    return value


def _open311_endpoint(crm: dict) -> str | None:
    endpoint = crm.get("open311_endpoint")
    if crm.get("adapter") == "open311" and not endpoint:
        raise ConfigError("crm.open311_endpoint", "is required when crm.adapter is \"open311\"")
    return _base_url(str(endpoint), "crm.open311_endpoint") if endpoint else None


def _holiday_country(hol: dict) -> str:
    country = str(hol.get("country", "US"))
    if country not in holidays_lib.list_supported_countries():
        raise ConfigError("holidays.country", f"{country!r} is not a country code the holidays package knows")
    return country


def _holiday_subdivision(hol: dict) -> str | None:
    sub = hol.get("subdivision")
    if sub is None or sub == "":
        return None
    country = str(hol.get("country", "US"))
    if str(sub) not in holidays_lib.list_supported_countries().get(country, []):
        raise ConfigError("holidays.subdivision", f"{sub!r} is not a subdivision of {country}")
    return str(sub)


def _extra_holidays(raw: Any) -> dict[dt.date, str]:
    if not isinstance(raw, dict):
        raise ConfigError("holidays.extra", 'must be a table of "YYYY-MM-DD" = "name"')
    result = {}
    for day, name in raw.items():
        try:
            result[dt.date.fromisoformat(str(day))] = str(name)
        except ValueError:
            raise ConfigError(f"holidays.extra.{day}", "is not a date like 2026-12-24") from None
    return result


def _directory(value: Any, key: str) -> Path:
    path = Path(str(value))
    path = path if path.is_absolute() else ROOT / path
    if not path.is_dir():
        raise ConfigError(key, f"{value!r} is not a directory")
    return path


def _outbound(raw: dict, city: dict) -> OutboundSettings:
    try:  # the city's own country; a bad number is named by city.numbers' own check
        home = phonenumbers.region_code_for_number(phonenumbers.parse(str((city.get("numbers") or [""])[0]), None))
    except phonenumbers.NumberParseException:
        home = "US"
    countries = raw.get("countries", [home])
    if not isinstance(countries, list) or not countries or not all(
        isinstance(c, str) and c.upper() in phonenumbers.SUPPORTED_REGIONS for c in countries
    ):
        raise ConfigError("outbound.countries", f"{countries!r} must list country codes such as [\"US\", \"CA\"]")
    return OutboundSettings(
        countries=frozenset(c.upper() for c in countries),
        texts_per_call=int(_number(raw, "outbound.texts_per_call", 3, 0, 20)),
        texts_per_number_per_day=int(_number(raw, "outbound.texts_per_number_per_day", 20, 0, 1000)),
        texts_per_hour=int(_number(raw, "outbound.texts_per_hour", 500, 0, 1_000_000)),
    )


def _file(value: Any, key: str) -> Path:
    path = Path(str(value))
    path = path if path.is_absolute() else ROOT / path
    if not path.is_file():
        raise ConfigError(key, f"{value!r} is not a file")
    return path


def _wording(raw: Any, languages: tuple[Language, ...]) -> dict[str, dict[str, str]]:
    if not isinstance(raw, dict):
        raise ConfigError("wording", "must be a table of language tables")
    codes = {language.code for language in languages}
    for code, table in raw.items():
        if code not in codes:
            raise ConfigError(f"wording.{code}", "is not a configured language" + _suggest(code, codes))
        if not isinstance(table, dict) or not all(isinstance(v, str) for v in table.values()):
            raise ConfigError(f"wording.{code}", "must map wording keys to strings")
        known = tomllib.loads((ROOT / "flows" / "wording" / f"{code}.toml").read_text(encoding="utf-8"))
        for key in table:
            if key not in known:
                raise ConfigError(f"wording.{code}.{key}", "unknown wording key" + _suggest(key, known))
    return {code: dict(table) for code, table in raw.items()}


def _base_url(value: str, key: str) -> str:
    if not re.match(r"^https?://[^/\s]+", value):
        raise ConfigError(key, f"{value!r} must be an http(s) URL like https://311.example.gov")
    return value.rstrip("/")
