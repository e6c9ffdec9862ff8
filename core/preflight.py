"""Checks at start that the database and Redis answer, so a wrong or dead server is one line, not a traceback."""

from __future__ import annotations

import redis
from sqlalchemy import create_engine, pool, text
from sqlalchemy.exc import SQLAlchemyError

from settings import ConfigError, redact

TIMEOUT_SECONDS = 5


def check_database(url: str) -> None:
    """Connect once; raise ConfigError naming DATABASE_URL and the reason when that fails."""
    connect_args = {"connect_timeout": TIMEOUT_SECONDS} if url.startswith("postgresql") else {}
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
