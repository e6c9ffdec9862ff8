"""Applying the Alembic migrations to a database, one `migrate` at a time however many machines start one."""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, pool, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
# The key of the PostgreSQL advisory lock every `migrate` takes: any fixed number unlikely to be another program's.
ADVISORY_KEY = 311_0019


def alembic_config(database_url: str) -> Config:
    """Alembic's configuration for this repository and database."""
    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "migrations"))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    """Bring the database's schema up to the revision, keeping every row; a second run at once waits its turn."""
    with migration_lock(database_url):
        command.upgrade(alembic_config(database_url), revision)


@contextlib.contextmanager
def migration_lock(database_url: str) -> Iterator[None]:
    """Held while migrating: a PostgreSQL advisory lock, or a lock on a file beside the SQLite database.

    Two machines upgrading at once would both try to create the same tables; the second waits, then finds the
    schema already at the revision and does nothing."""
    if database_url.startswith("sqlite"):
        with _file_lock(make_url(database_url).database):
            yield
        return
    engine = create_engine(database_url, poolclass=pool.NullPool)
    try:
        with engine.connect() as connection:
            # Session-level: held by this connection until unlocked or closed, outside Alembic's transactions.
            connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": ADVISORY_KEY})
            connection.commit()
            try:
                yield
            finally:
                connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": ADVISORY_KEY})
                connection.commit()
    finally:
        engine.dispose()


@contextlib.contextmanager
def _file_lock(database: str | None) -> Iterator[None]:
    if not database or database == ":memory:" or database.startswith("file:"):
        yield  # a database of this process alone: nobody to race
        return
    path = Path(database).with_name(Path(database).name + ".migrate-lock")
    if not path.parent.is_dir():
        yield  # SQLite's own error will name the missing folder
        return
    with os.fdopen(os.open(path, os.O_RDWR | os.O_CREAT, 0o600), "r+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)  # released when the file closes, even if this process dies
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
