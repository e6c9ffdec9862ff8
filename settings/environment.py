"""Settings from the environment: Twilio credentials, database and Redis URLs, and the secrets kept under var/."""

from __future__ import annotations

import contextlib
import ipaddress
import os
import re
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any

import redis
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError

from settings import values
from settings.base import ROOT, ConfigError

ACCOUNT_SID = re.compile(r"^AC[0-9a-fA-F]{32}$")
OPEN311_KEY_MIN_CHARS = 24  # a key is a password a program types: long and random, never guessed


def read(env: dict[str, str]) -> dict[str, Any]:
    """Settings' fields that the environment gives, each variable checked and named when it is wrong."""
    var_dir = Path(env.get("ONECALL_VAR_DIR") or ROOT / "var")
    check_twilio_credentials(env)
    token, dev_mode = auth_token(env, var_dir)
    shared_redis = redis_url(env.get("REDIS_URL") or None)
    check_shared_database(env, shared_redis)
    return dict(
        account_sid=env.get("TWILIO_ACCOUNT_SID") or "AC" + "0" * 32,
        auth_token=token,
        public_base_url=public_base_url(env.get("PUBLIC_BASE_URL", "http://127.0.0.1:8311")),
        twilio_api_base_url=env.get("TWILIO_API_BASE_URL") or None,
        crm_open311_api_key=env.get("CRM_OPEN311_API_KEY") or None,
        open311_api_keys=open311_api_keys(env.get("OPEN311_API_KEYS", "")),
        database_url=database_url(env.get("DATABASE_URL") or f"sqlite:///{var_dir / 'onecall.db'}"),
        redis_url=shared_redis,
        dev_mode=dev_mode,
        var_dir=var_dir,
        console_secret=console_secret(env, var_dir),
        allowed_hosts=allowed_hosts(env.get("ALLOWED_HOSTS")),
        metrics_token=metrics_token(env.get("METRICS_TOKEN") or None),
    )


def public_base_url(value: str) -> str:
    try:
        return values.base_url(value)
    except values.Problem as exc:
        raise ConfigError("PUBLIC_BASE_URL", exc.message) from None


def check_twilio_credentials(env: dict[str, str]) -> None:
    # Both or neither: a token alone would send texts with a made-up account, a SID alone could not sign.
    sid, token = env.get("TWILIO_ACCOUNT_SID"), env.get("TWILIO_AUTH_TOKEN")
    if token and not sid:
        raise ConfigError(
            "TWILIO_ACCOUNT_SID", "is not set but TWILIO_AUTH_TOKEN is: set both, or neither for development mode"
        )
    if sid and not token:
        raise ConfigError(
            "TWILIO_AUTH_TOKEN", "is not set but TWILIO_ACCOUNT_SID is: set both, or neither for development mode"
        )
    if sid and not ACCOUNT_SID.match(sid):
        raise ConfigError("TWILIO_ACCOUNT_SID", f"{sid[:6]!r}... is not an account SID (AC and 32 hex digits)")


def check_shared_database(env: dict[str, str], shared_redis: str | None) -> None:
    """A shared Redis means several processes or machines: each needs the shared database, never its own SQLite."""
    # Without this, a machine missing DATABASE_URL would quietly serve from an empty file under its own var/.
    if shared_redis and not env.get("DATABASE_URL"):
        raise ConfigError(
            "DATABASE_URL",
            "is not set but REDIS_URL is: set the shared database (postgresql+psycopg://user@host/db), or "
            "sqlite:////path/onecall.db to mean this machine's own file",
        )


def redact(url: str) -> str:
    """A URL safe to print: any password replaced by ***."""
    return re.sub(r"(//[^/@]*?:)[^/@]*@", r"\1***@", url)


def database_url(value: str) -> str:
    example = "like postgresql+psycopg://user@host/db or sqlite:////path/onecall.db"
    try:
        url = make_url(value)
    except ArgumentError:
        raise ConfigError("DATABASE_URL", f"{redact(value)!r} is not a database URL {example}") from None
    try:
        url.get_dialect().import_dbapi()
    except NoSuchModuleError:
        raise ConfigError(
            "DATABASE_URL", f"unknown database {url.drivername!r} in {redact(value)!r}; use a URL {example}"
        ) from None
    except ImportError as exc:
        raise ConfigError(
            "DATABASE_URL", f"the driver for {url.drivername!r} is not installed ({exc}); use a URL {example}"
        ) from None
    return value


def redis_url(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        redis.ConnectionPool.from_url(value)
    except ValueError as exc:
        problem = f"{redact(value)!r} is not a Redis URL like redis://host:6379/0 ({exc})"
        raise ConfigError("REDIS_URL", problem) from None
    return value


_LABEL = r"[a-z0-9_]([a-z0-9_-]{0,62}[a-z0-9_])?"
HOST_NAME = re.compile(rf"^(?=.{{1,253}}$){_LABEL}(\.{_LABEL})*\.?$")


def allowed_hosts(value: str | None) -> tuple[str, ...]:
    """ALLOWED_HOSTS: further names (comma-separated) this service answers to, besides PUBLIC_BASE_URL's host."""
    names = tuple(name.strip().lower() for name in (value or "").split(",") if name.strip())
    for name in names:
        if not (HOST_NAME.match(name) or _ipv6(name.strip("[]"))):
            raise ConfigError(
                "ALLOWED_HOSTS", f"{name!r} is not a host name like 311.example.gov (no scheme, port, path or *)"
            )
    return tuple(name.strip("[]").rstrip(".") for name in names)


def _ipv6(name: str) -> bool:
    try:
        return ipaddress.ip_address(name).version == 6
    except ValueError:
        return False


def auth_token(env: dict[str, str], var_dir: Path) -> tuple[str, bool]:
    """The Twilio auth token, or a random local one kept under var/ for development."""
    token = env.get("TWILIO_AUTH_TOKEN")
    if token:
        return token, False
    return secret_file(var_dir / "dev-auth-token", lambda: secrets.token_hex(16)), True


def open311_api_keys(value: str) -> tuple[str, ...]:
    """The keys our Open311 server accepts (comma-separated), each at least OPEN311_KEY_MIN_CHARS long."""
    keys = tuple(key.strip() for key in value.split(",") if key.strip())
    for number, key in enumerate(keys, 1):
        if len(key) < OPEN311_KEY_MIN_CHARS:
            raise ConfigError(
                "OPEN311_API_KEYS",
                f"key {number} is {len(key)} characters; use at least {OPEN311_KEY_MIN_CHARS} random ones "
                "(e.g. python -c 'import secrets; print(secrets.token_urlsafe(24))')",
            )
    return keys


def metrics_token(value: str | None) -> str | None:
    """METRICS_TOKEN: the bearer token /metrics asks of a scraper; unset, /metrics is off."""
    if value is not None and len(value) < OPEN311_KEY_MIN_CHARS:
        problem = f"is {len(value)} characters; use at least {OPEN311_KEY_MIN_CHARS} random ones"
        raise ConfigError("METRICS_TOKEN", problem)
    return value


def console_secret(env: dict[str, str], var_dir: Path) -> str:
    """The key that signs console session cookies: CONSOLE_SECRET, or a random one generated once under var/."""
    secret = env.get("CONSOLE_SECRET", "")
    if secret:
        if len(secret) < 32:
            raise ConfigError("CONSOLE_SECRET", f"is {len(secret)} characters; use at least 32 random ones")
        return secret
    # Every process on this folder shares the file; several machines share CONSOLE_SECRET instead.
    return secret_file(var_dir / "console-secret", lambda: secrets.token_hex(32))


def secret_file(path: Path, make: Callable[[], str]) -> str:
    """The secret kept in path; the first process to need it writes it, readable by its owner only from the start."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)  # a new var/ is the service's alone
    if not path.exists():
        # Created 0600 by open() itself (never widened, then narrowed) under a name of its own, written, then linked
        # into place: no one reads a half-written secret, and two processes starting at once share the first one.
        draft = path.with_name(f".{path.name}.{secrets.token_hex(8)}")
        descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(descriptor, "w") as out:
                out.write(make())
            with contextlib.suppress(FileExistsError):
                os.link(draft, path)
        finally:
            draft.unlink(missing_ok=True)
    elif path.stat().st_mode & 0o077:
        path.chmod(0o600)  # a file left by an older version that others could read
    return path.read_text().strip()
