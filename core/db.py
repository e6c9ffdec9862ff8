"""Database engine and sessions. Work runs in a worker thread so the event loop never waits on the DB."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from sqlalchemy import event
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session, create_engine

from core import threads

T = TypeVar("T")

# What a database outage raises: no connection, a connection lost mid-query, or no free connection in the pool.
UNAVAILABLE = (sa_exc.OperationalError, sa_exc.InterfaceError, sa_exc.TimeoutError)


def make_engine(url: str) -> Engine:
    """An engine for SQLite (default, under var/) or PostgreSQL."""
    if url.startswith("sqlite"):
        create_owner_only(url)
        # A pool as large as PostgreSQL's: a connection opened afresh for each request past the pool (SQLAlchemy's
        # default keeps 5) costs more than the query it runs.
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, pool_size=10,
                               max_overflow=20)
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "connect", _owner_only(engine.url.database))
        return engine
    # No ping on every checkout (a round trip per request): a connection found dead is retried once, see in_session.
    return create_engine(url, pool_size=10, max_overflow=20)


def create_owner_only(url: str) -> None:
    """Create a missing SQLite file readable by its owner only (0600); SQLite gives its WAL files the same mode.

    SQLite itself would create it with the process's umask (often world-readable), and it holds residents' numbers
    and words, so it is created here first rather than narrowed after.
    """
    database = make_url(url).database if url.startswith("sqlite") else None
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    path = Path(database)
    if path.parent.is_dir():  # else SQLite's own error names the missing folder
        with contextlib.suppress(FileExistsError):
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    # WAL lets readers run beside the writer; foreign keys are off by default in SQLite.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _owner_only(database: str | None):
    # The file holds residents' numbers and words: readable by the service's own user only (0600), WAL files too.
    def restrict(_dbapi_connection, _record) -> None:
        if not database or database == ":memory:":
            return
        for suffix in ("", "-wal", "-shm"):
            path = Path(database + suffix)
            if path.exists() and path.stat().st_mode & 0o077:
                path.chmod(0o600)

    return restrict


def _retried_once(work: Callable[[], T]) -> T:
    # A pooled connection the database dropped (it restarted, or failed over) fails its first statement; SQLAlchemy
    # then discards every connection of that age, so the same work, whose transaction never happened, is run again
    # once on a fresh one. A database still away fails the second time too: that is the caller's outage.
    try:
        return work()
    except sa_exc.DBAPIError as exc:
        if not exc.connection_invalidated:
            raise
    return work()


def in_session(engine: Engine, fn: Callable[..., T], /, **kwargs) -> T:
    """Run fn(session, **kwargs) in one transaction, committed when fn returns."""

    def work() -> T:
        with Session(engine, expire_on_commit=False) as session:
            result = fn(session, **kwargs)
            session.commit()
            return result

    return _retried_once(work)


def on_connection(engine: Engine, fn: Callable[..., T], /, **kwargs) -> T:
    """Run fn(connection, **kwargs) on a bare connection, no ORM session nor transaction: for a read on every
    request."""

    def work() -> T:
        # Autocommit: a read needs no transaction, and PostgreSQL is then spared the BEGIN and ROLLBACK round trips
        # that would wrap its one statement.
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            return fn(connection, **kwargs)

    return _retried_once(work)


async def run_db(engine: Engine, fn: Callable[..., T], /, **kwargs) -> T:
    """Run fn(session, **kwargs) in a worker thread and one transaction."""
    return await threads.run(lambda: in_session(engine, fn, **kwargs))


async def read_db(engine: Engine, fn: Callable[..., T], /, **kwargs) -> T:
    """Run fn(connection, **kwargs) in a worker thread on a bare connection (on_connection)."""
    return await threads.run(lambda: on_connection(engine, fn, **kwargs))
