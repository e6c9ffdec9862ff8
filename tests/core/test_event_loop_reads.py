"""Reads on every request from the event loop: the same answers as through a thread, no thread on PostgreSQL, and a
database that went away or dropped the connections is reported or recovered from like any other read."""

from __future__ import annotations

import asyncio
import time

import pytest
from sqlalchemy import exc as sa_exc
from sqlalchemy import text

from core import deliveries, event_loop_reads, threads
from core.db import UNAVAILABLE, in_session, make_engine
from messaging import consent

_BACKENDS = text("SELECT count(*) FROM pg_stat_activity WHERE application_name = :name")


def _postgresql_only(engine) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("about PostgreSQL's own connections (SQLite reads go through core.db.read_db)")


def test_a_delivery_and_a_stop_read_back_as_recorded(engine, monkeypatch):
    in_session(engine, deliveries.record, key="sms:SMhandled")
    in_session(engine, consent.set_opt_out, phone="+13125550147", opted_out=True, source="STOP")
    if engine.dialect.name == "postgresql":  # straight from the event loop: no worker thread is asked
        monkeypatch.setattr(threads, "run", None)

    async def main():
        return (
            await deliveries.seen_now(engine, key="sms:SMhandled"),
            await deliveries.seen_now(engine, key="sms:SMnew"),
            await consent.opted_out_now(engine, phone="+13125550147"),
            await consent.opted_out_now(engine, phone="+13125550148"),
        )

    try:
        assert asyncio.run(main()) == (True, False, True, False)
    finally:
        event_loop_reads.close(engine)


def test_a_database_that_is_away_is_an_outage_the_caller_already_answers(engine):
    url = engine.url.set(port=1) if engine.dialect.name == "postgresql" else "sqlite:////nonexistent/folder/x.db"
    away = make_engine(url if isinstance(url, str) else url.render_as_string(hide_password=False))
    started = time.monotonic()
    with pytest.raises(UNAVAILABLE):
        asyncio.run(deliveries.seen_now(away, key="voice:anything"))
    assert time.monotonic() - started < 10
    event_loop_reads.close(away)
    away.dispose()


def test_connections_the_database_dropped_are_replaced_on_the_next_read(engine):
    _postgresql_only(engine)

    async def main():
        await asyncio.gather(*(deliveries.seen_now(engine, key=f"voice:{n}") for n in range(4)))  # several open
        with engine.connect() as admin:
            admin.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = :name"),
                          {"name": event_loop_reads.APPLICATION_NAME})
        return await deliveries.seen_now(engine, key="voice:after")

    try:
        assert asyncio.run(main()) is False
    finally:
        event_loop_reads.close(engine)


def test_a_read_cancelled_half_way_leaves_no_connection_in_an_unknown_state(engine):
    _postgresql_only(engine)
    in_session(engine, deliveries.record, key="sms:SMkept")

    async def main():
        slow = asyncio.ensure_future(event_loop_reads.first_row(engine, text("SELECT pg_sleep(5)")))
        await asyncio.sleep(0.3)
        slow.cancel()
        with pytest.raises(asyncio.CancelledError):
            await slow
        started = time.monotonic()
        found = await deliveries.seen_now(engine, key="sms:SMkept")
        return found, time.monotonic() - started

    try:
        found, seconds = asyncio.run(main())
    finally:
        event_loop_reads.close(engine)
    assert found is True and seconds < 2  # not queued behind the cancelled sleep


def test_closing_the_engines_reads_closes_their_connections(engine):
    _postgresql_only(engine)

    async def main():
        await asyncio.gather(*(deliveries.seen_now(engine, key=f"voice:{n}") for n in range(3)))

    def open_now() -> int:
        with engine.connect() as admin:
            return admin.execute(_BACKENDS, {"name": event_loop_reads.APPLICATION_NAME}).scalar()

    asyncio.run(main())
    assert open_now() >= 1
    event_loop_reads.close(engine)
    deadline = time.monotonic() + 5
    while open_now() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert open_now() == 0


def test_an_error_that_is_not_an_outage_is_not_reported_as_one(engine):
    _postgresql_only(engine)
    with pytest.raises(Exception) as raised:
        asyncio.run(event_loop_reads.first_row(engine, text("SELECT * FROM no_such_table")))
    event_loop_reads.close(engine)
    assert not isinstance(raised.value, sa_exc.OperationalError)
