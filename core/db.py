"""Database engine and sessions. Work runs in a worker thread so the event loop never waits on the DB."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import anyio.to_thread
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session, create_engine

T = TypeVar("T")


def make_engine(url: str) -> Engine:
    """An engine for SQLite (default, under var/) or PostgreSQL."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    # WAL lets readers run beside the writer; foreign keys are off by default in SQLite.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def in_session(engine: Engine, fn: Callable[..., T], /, **kwargs) -> T:
    """Run fn(session, **kwargs) in one transaction, committed when fn returns."""
    with Session(engine, expire_on_commit=False) as session:
        result = fn(session, **kwargs)
        session.commit()
        return result


async def run_db(engine: Engine, fn: Callable[..., T], /, **kwargs) -> T:
    """Run fn(session, **kwargs) in a worker thread and one transaction."""
    return await anyio.to_thread.run_sync(lambda: in_session(engine, fn, **kwargs))
