"""Reads asked on every request ("was this delivery handled?", "has this number said STOP?"), run on PostgreSQL
straight from the event loop with psycopg's asynchronous connections: 110 to 135 us of CPU a read, against 400 to 480
through a worker thread and a SQLAlchemy connection (docs/performance.md). Elsewhere (SQLite) they go to a worker
thread as before (core.db.read_db). A few connections per engine and event loop, autocommit, opened on first use."""

from __future__ import annotations

import asyncio
import contextlib
import weakref
from typing import Any

import psycopg
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Engine
from sqlalchemy.sql import Executable

from core.db import read_db
from core.defaults import EVENT_LOOP_READ_CONNECT_SECONDS, EVENT_LOOP_READ_CONNECTIONS

APPLICATION_NAME = "onecall-reads"  # how these connections show in pg_stat_activity


class _Reads:
    """One engine's connections for the running event loop; those of a loop that ended are closed, not reused."""

    def __init__(self, conninfo: str) -> None:
        self.conninfo = conninfo
        self.idle: list[psycopg.AsyncConnection] = []
        self.loop: asyncio.AbstractEventLoop | None = None
        self.slots: asyncio.Semaphore | None = None
        self.compiled: dict[int, tuple[Executable, str, dict[str, Any]]] = {}

    def _for_this_loop(self) -> asyncio.Semaphore:
        loop = asyncio.get_running_loop()
        if loop is not self.loop:
            self.discard()
            self.loop, self.slots = loop, asyncio.Semaphore(EVENT_LOOP_READ_CONNECTIONS)
        return self.slots

    async def first(self, sql: str, params: dict[str, Any]) -> tuple | None:
        async with self._for_this_loop():
            # A pooled connection the database dropped (it restarted) fails once; the read then runs on a fresh one,
            # as core.db does for its own connections. A database still away fails that one too: the caller's outage.
            for pooled in (True, False):
                connection = self.idle.pop() if pooled and self.idle else None
                try:
                    if connection is None:
                        pooled = False
                        connection = await psycopg.AsyncConnection.connect(
                            self.conninfo, autocommit=True, connect_timeout=EVENT_LOOP_READ_CONNECT_SECONDS,
                            application_name=APPLICATION_NAME)
                    cursor = await connection.execute(sql, params)
                    row = await cursor.fetchone()
                except (psycopg.OperationalError, psycopg.InterfaceError) as error:
                    _close_now(connection)
                    if pooled:
                        continue
                    raise sa_exc.OperationalError(sql, params, error) from error
                except BaseException:  # cancelled mid-read, say: what the connection holds is unknown
                    _close_now(connection)
                    raise
                self.idle.append(connection)
                return row
        raise AssertionError("unreachable")  # the fresh connection's attempt returns or raises

    def discard(self) -> None:
        """Close every idle connection at once (they may belong to an event loop that has ended)."""
        while self.idle:
            _close_now(self.idle.pop())


def _close_now(connection: psycopg.AsyncConnection | None) -> None:
    # Closing the underlying libpq connection needs no event loop, so it is safe from any state.
    if connection is not None:
        with contextlib.suppress(Exception):
            connection.pgconn.finish()


_reads: weakref.WeakKeyDictionary[Engine, _Reads] = weakref.WeakKeyDictionary()


def _reads_for(engine: Engine) -> _Reads:
    reads = _reads.get(engine)
    if reads is None:
        url = engine.url.set(drivername="postgresql")
        reads = _reads[engine] = _Reads(url.render_as_string(hide_password=False))
    return reads


def _compiled(engine: Engine, reads: _Reads, statement: Executable) -> tuple[str, dict[str, Any]]:
    # Kept with the statement itself: an id alone could be reused by another statement once the first is freed.
    found = reads.compiled.get(id(statement))
    if found is None or found[0] is not statement:
        compiled = statement.compile(dialect=engine.dialect)
        found = reads.compiled[id(statement)] = (statement, compiled.string, dict(compiled.params))
    return found[1], found[2]


async def first_row(engine: Engine, statement: Executable, /, **params: Any) -> tuple | None:
    """The first row of a module-level statement (compiled once, its bindparams filled from params), or None."""
    if engine.dialect.name != "postgresql":
        return await read_db(engine, lambda connection: connection.execute(statement, params).first())
    reads = _reads_for(engine)
    sql, defaults = _compiled(engine, reads, statement)
    return await reads.first(sql, {**defaults, **params})


def close(engine: Engine) -> None:
    """Close this engine's event-loop connections (the app's shutdown)."""
    reads = _reads.pop(engine, None)
    if reads is not None:
        reads.discard()
