"""Checks at start that the database and Redis answer, so a wrong or dead server is one line, not a traceback."""

from __future__ import annotations

import redis
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, pool, text
from sqlalchemy.exc import SQLAlchemyError

from core.db import create_owner_only
from core.instance import StartError
from core.migrate import alembic_config
from settings import ConfigError, redact

TIMEOUT_SECONDS = 5


def check_database(url: str) -> None:
    """Connect once; raise ConfigError naming DATABASE_URL and the reason when that fails."""
    connect_args = {"connect_timeout": TIMEOUT_SECONDS} if url.startswith("postgresql") else {}
    create_owner_only(url)
    engine = create_engine(url, poolclass=pool.NullPool, connect_args=connect_args)
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        raise ConfigError("DATABASE_URL", f"cannot connect to {redact(url)}: {reason}") from None
    finally:
        engine.dispose()


def check_redis(url: str) -> None:
    """PING once; raise ConfigError naming REDIS_URL and the reason when that fails."""
    client = redis.Redis.from_url(url, socket_connect_timeout=TIMEOUT_SECONDS, socket_timeout=TIMEOUT_SECONDS)
    try:
        client.ping()
    except (redis.RedisError, OSError) as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ConfigError("REDIS_URL", f"cannot connect to {redact(url)}: {reason}") from None
    finally:
        client.close()


def check_schema(url: str) -> None:
    """Raise StartError when the database is not migrated to the code's schema (a command would only crash)."""
    head = ScriptDirectory.from_config(alembic_config(url)).get_current_head()
    engine = create_engine(url, poolclass=pool.NullPool)
    try:
        with engine.connect() as connection:
            current = MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()
    if current != head:
        state = "has no tables yet" if current is None else f"is at revision {current}, the code needs {head}"
        raise StartError(f"the database {redact(url)} {state}: run `.venv/bin/python run.py migrate` first "
                         "(or start the server once)")
