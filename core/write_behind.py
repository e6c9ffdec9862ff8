"""Records written behind: a webhook appends what it did to a Redis stream and answers; a job writes them in batches.

A webhook's answer never waits for a record it does not depend on (a call's steps, a delivery acted on). Its records
go into one stream entry, added in the same MULTI as the replay answer (core.replay), so a retry either finds both or
neither. `drain` (a periodic job, one run at a time) reads entries through a consumer group, writes a batch in one
transaction and acknowledges the entries only after the commit: a drainer killed mid-batch leaves them pending, and
the next run claims them back. Each entry carries a delivery key recorded (core.deliveries) in the same transaction,
so an entry drained twice (committed, then killed before the acknowledgement) is written once. What a Redis crash
costs is in docs/performance.md.
"""

from __future__ import annotations

import contextlib
import contextvars
import dataclasses
import datetime as dt
import json
import logging
import os
import secrets
import socket
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from redis.exceptions import ResponseError
from sqlalchemy import Table, insert
from sqlmodel import Session

from core import clock, deliveries, test_traffic
from core.db import UNAVAILABLE, in_session
from core.defaults import WRITE_BEHIND_BATCH, WRITE_BEHIND_LOCK_SECONDS, WRITE_BEHIND_RUN_SECONDS
from core.logs import quiet_job
from core.redis import sync_client
from core.worker import periodic_run

STREAM = "records:stream"
GROUP = "records:drain"
FAILED = "records:failed"  # entries no transaction could write, kept for a person to look at
log = logging.getLogger("onecall.write_behind")


@dataclass(frozen=True)
class Kind:
    """One kind of record: its name in the stream and how the drain writes it (session, payload, time of the event);
    `prepare`, given a batch's payloads of this kind before any is written, may look up what they share at once."""

    name: str
    write: Callable[[Session, dict[str, Any], dt.datetime], None]
    prepare: Callable[[Session, list[dict[str, Any]]], None] | None = None

    def __post_init__(self) -> None:
        if KINDS.setdefault(self.name, self) is not self:
            raise ValueError(f"write-behind kind {self.name!r} is registered twice")


KINDS: dict[str, Kind] = {}


@dataclass
class Batch:
    """The records of one webhook delivery, written behind together under its delivery key."""

    key: str
    # kind, payload, ISO time, and the test run that made it (None: a resident's), which the drain's records carry
    records: list[tuple[str, dict[str, Any], str, str | None]] = field(default_factory=list)

    def fields(self) -> dict[str, str]:
        """The stream entry."""
        return {"key": self.key, "records": json.dumps(self.records, separators=(",", ":"))}


_open: contextvars.ContextVar[Batch | None] = contextvars.ContextVar("write_behind_batch", default=None)


def fresh_key() -> str:
    """A delivery key for records outside a webhook delivery (each entry is written once all the same)."""
    return f"wb:{secrets.token_hex(16)}"


@contextlib.contextmanager
def collecting(key: str) -> Iterator[Batch]:
    """Collect the records added while this delivery is handled into one batch (the caller appends it)."""
    batch = Batch(key)
    token = _open.set(batch)
    try:
        yield batch
    finally:
        _open.reset(token)


def append_to(pipe, batch: Batch) -> None:
    """Queue the batch's stream entry on a Redis pipeline (nothing when it holds no records and no key)."""
    pipe.xadd(STREAM, batch.fields())


async def add(redis, kind: Kind, payload: dict[str, Any]) -> None:
    """Write a record behind: into the delivery being handled, or (outside one) its own stream entry now."""
    record = (kind.name, payload, clock.now().isoformat(), test_traffic.current_run())
    batch = _open.get()
    if batch is not None:
        batch.records.append(record)
        return
    await redis.xadd(STREAM, Batch(fresh_key(), [record]).fields())


_ROWS = "write_behind.rows"  # Session.info: the plain rows a batch inserts at its end


def insert_later(session: Session, table: Table, row: dict[str, Any]) -> None:
    """Insert a plain row (every column given) with the rest of the drain's batch, one statement per table at its end:
    a record nothing reads back in the batch needs no ORM object, which costs more to build than to insert."""
    session.info.setdefault(_ROWS, {}).setdefault(table, []).append(row)


def _insert_rows(session: Session) -> None:
    for table, rows in session.info.pop(_ROWS, {}).items():
        connection = session.connection()
        if connection.dialect.name == "postgresql":
            _copy_rows(connection, table, rows)
        else:
            session.execute(insert(table), rows)


def _copy_rows(connection, table: Table, rows: list[dict[str, Any]]) -> None:
    # PostgreSQL's COPY takes the batch's rows as one stream: a fraction of the CPU an INSERT per row costs the
    # drain (docs/performance.md). Each value goes through its column type's bind processing, as an INSERT's would.
    names = list(rows[0])
    processors = [table.c[name].type.bind_processor(connection.dialect) for name in names]
    quote = connection.dialect.identifier_preparer
    columns = ", ".join(quote.quote(name) for name in names)
    statement = f"COPY {quote.format_table(table)} ({columns}) FROM STDIN"
    with connection.connection.driver_connection.cursor() as cursor, cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row([value if process is None else process(value)
                            for value, process in zip((row[name] for name in names), processors, strict=True)])


def as_json(value) -> Any:
    """A dataclass (or list of them) as plain JSON values for a payload."""
    if isinstance(value, list):
        return [as_json(v) for v in value]
    return dataclasses.asdict(value) if dataclasses.is_dataclass(value) else value


# --- the drain -------------------------------------------------------------------------------------------------------


def _ensure_group(connection) -> None:
    with contextlib.suppress(ResponseError):  # BUSYGROUP: it exists
        connection.xgroup_create(STREAM, GROUP, id="0", mkstream=True)


def consumer_name() -> str:
    """This drainer's name in the consumer group."""
    return f"{socket.gethostname()}:{os.getpid()}"


def _write_entries(session: Session, *, entries: list[tuple[bytes, dict[bytes, bytes]]]) -> None:
    keys = [fields[b"key"].decode()[: deliveries.KEY_LENGTH] for _, fields in entries]
    written = deliveries.seen_among(session, keys=keys)  # drained before (committed, then the drainer died)
    todo: dict[str, list] = {}
    for key, (_, fields) in zip(keys, entries, strict=True):
        if key not in written:  # else a twin's copy, or written before
            todo[key] = json.loads(fields[b"records"])
            written.add(key)
    _prepare(session, [record for records in todo.values() for record in records])
    for key, records in todo.items():
        _write_entry(session, key, records)
    _insert_rows(session)


def _prepare(session: Session, records: list[list]) -> None:
    payloads: dict[str, list[dict[str, Any]]] = {}
    for name, payload, *_ in records:
        payloads.setdefault(name, []).append(payload)
    for name, found in payloads.items():
        if KINDS[name].prepare is not None:
            KINDS[name].prepare(session, found)


def _write_entry(session: Session, key: str, records: list[list]) -> None:
    for name, payload, at, *run in records:  # entries written before test runs have no run
        with test_traffic.as_run(run[0] if run else None):
            KINDS[name].write(session, payload, dt.datetime.fromisoformat(at))
    insert_later(session, deliveries.ProcessedDelivery.__table__, {"key": key, "created_at": clock.now()})


def _write_batch(engine, entries: list[tuple[bytes, dict[bytes, bytes]]]) -> list[tuple[bytes, dict]]:
    """Write entries in one transaction; if it fails, one transaction each. Returns the entries none could write.

    The database being away is no entry's fault: that raises, and every entry stays pending for the next run.
    """
    try:
        in_session(engine, _write_entries, entries=entries)
        return []
    except UNAVAILABLE:
        raise
    except Exception as exc:  # one bad entry must not hold back the rest: write them one by one
        log.warning("write-behind: a batch of %d failed (%s: %s); writing one at a time", len(entries),
                    type(exc).__name__, exc)
    failed = []
    for entry_id, fields in entries:
        try:
            in_session(engine, _write_entries, entries=[(entry_id, fields)])
        except UNAVAILABLE:
            raise
        except Exception as exc:
            log.error("write-behind: entry %s not written (%s: %s)", entry_id.decode(), type(exc).__name__, exc)
            failed.append((entry_id, fields))
    return failed


def drain_once(engine, connection, *, consumer: str, count: int = WRITE_BEHIND_BATCH, claim: bool = True) -> int:
    """Write one batch: pending entries left by a dead drainer first (`claim`), else new ones; how many went."""
    _ensure_group(connection)
    entries = []
    if claim:  # run under the drain lock: any entry still pending belongs to a drainer that died mid-batch
        entries = connection.xautoclaim(STREAM, GROUP, consumer, min_idle_time=0, start_id="0-0", count=count)[1]
    if not entries:
        found = connection.xreadgroup(GROUP, consumer, {STREAM: ">"}, count=count)
        entries = found[0][1] if found else []
    if not entries:
        return 0
    failed = _write_batch(engine, [(entry_id, fields) for entry_id, fields in entries if fields])  # else deleted
    if failed:
        pipe = connection.pipeline()
        for entry_id, fields in failed:
            pipe.xadd(FAILED, {**fields, b"id": entry_id})
        pipe.execute()
    ids = [entry_id for entry_id, _ in entries]
    pipe = connection.pipeline()  # only now, after the commit: acknowledged and gone
    pipe.xack(STREAM, GROUP, *ids)
    pipe.xdel(STREAM, *ids)
    pipe.execute()
    return len(entries)


def catch_up(engine, redis_url: str) -> int:
    """Write the records waiting now instead of waiting for the drain job (an agent's page showing a caller's steps the
    moment they are put through). Only new entries are read, never ones another drainer holds, so it runs anywhere."""
    connection = sync_client(redis_url)
    try:
        return drain_once(engine, connection, consumer=consumer_name(), claim=False)
    except Exception as exc:  # the page shows what is written; the drain job writes the rest
        log.warning("write-behind: catching up failed (%s: %s)", type(exc).__name__, exc)
        return 0
    finally:
        connection.close()


def drain(engine, connection, *, seconds: float = WRITE_BEHIND_RUN_SECONDS, consumer: str | None = None) -> int:
    """Write batches until the stream is empty (or `seconds` passed); how many entries were written."""
    consumer = consumer or consumer_name()
    deadline, total = time.monotonic() + seconds, 0
    while time.monotonic() < deadline and (done := drain_once(engine, connection, consumer=consumer)):
        total += done
    return total


def drain_job() -> int:
    """Job (every second): write the records waiting in the stream; one run at a time keeps each call in order."""
    with periodic_run("write_behind:cron:drain", WRITE_BEHIND_LOCK_SECONDS) as run:
        if run is None:
            return 0
        return drain(run.ctx.engine, run.connection)


quiet_job(drain_job)  # every second: rq's lines about it would bury the others


def waiting(connection) -> int:
    """Entries not yet written (new or pending)."""
    return connection.xlen(STREAM)
