"""Hours changed without a restart: a closure with its reason, a late opening, an added holiday, at once or
scheduled, heard on the next call and read by texters, in this process and in a fresh one on the same DB and Redis."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from console import hours
from core.audit import AuditEntry
from core.calendar import ChangeKind
from hours.service import ChangeRequest, HoursChangeError
from tests.conftest import running_app
from tests.helpers import Caller, Texter

CHICAGO = ZoneInfo("America/Chicago")
SNOW = {"en-US": "Snow emergency: city offices are closed today.",
        "es-US": "Emergencia por nieve: las oficinas de la ciudad están cerradas hoy."}


def local(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=CHICAGO).astimezone(dt.UTC)


def change(app, kind: ChangeKind, starts: dt.datetime, ends: dt.datetime | None, reason: dict | None = None):
    """A supervisor's change through the console's operation, as the hours page makes it."""
    ctx = app.app.state.ctx
    request = ChangeRequest(kind, starts, ends, reason or {})
    return app.portal.call(lambda: hours.change_hours(ctx, request=request, actor="ana"))


def asks_for_a_person(app) -> str:
    caller = Caller(app)
    caller.dial()
    caller.press("1")
    return caller.press("0").xml


def test_close_now_the_next_caller_hears_the_reason_and_joins_no_queue(app, clock, session):
    assert "<Enqueue" in asks_for_a_person(app)  # Tuesday 10:00: open
    change(app, ChangeKind.CLOSE, clock.now, None, SNOW)
    heard = Caller(app).dial()
    assert "Snow emergency: city offices are closed today." in heard.text
    assert "Our agents are not available right now." in heard.text
    xml = asks_for_a_person(app)
    assert "<Enqueue" not in xml and "Snow emergency" in xml
    spanish = Caller(app)
    spanish.dial()
    spanish.press("2")
    assert "Emergencia por nieve: las oficinas de la ciudad están cerradas hoy." in spanish.press("0").text
    assert [e.action for e in session.exec(select(AuditEntry)).all()] == ["hours.close"]


def test_a_texter_asking_for_a_person_reads_the_reason(app, clock):
    change(app, ChangeKind.CLOSE, clock.now, None, SNOW)
    reply = Texter(app).send("AGENT")
    assert "Snow emergency: city offices are closed today." in reply


def test_reopening_brings_the_queue_back(app, clock):
    closed = change(app, ChangeKind.CLOSE, clock.now, None, SNOW)
    ctx = app.app.state.ctx
    app.portal.call(lambda: hours.cancel_change(ctx, change_id=closed.id, actor="ana"))
    assert "Snow emergency" not in Caller(app).dial().text
    assert "<Enqueue" in asks_for_a_person(app)


def test_open_late_lets_a_call_through_to_agents_at_21(app, clock):
    clock.now = local(2026, 11, 17, 21, 0)  # Tuesday 21:00: after the 18:00 closing
    assert "<Enqueue" not in asks_for_a_person(app)
    change(app, ChangeKind.OPEN, clock.now - dt.timedelta(hours=3), local(2026, 11, 17, 22, 0))
    assert "not available" not in Caller(app).dial().text
    assert "<Enqueue" in asks_for_a_person(app)
    clock.now = local(2026, 11, 17, 22, 0)
    assert "<Enqueue" not in asks_for_a_person(app)


def test_an_added_holiday_closes_the_day_with_its_name(app, clock):
    change(app, ChangeKind.HOLIDAY, local(2026, 11, 17, 0, 0), local(2026, 11, 18, 0, 0),
           {"en-US": "Founders Day", "es-US": "el Día de los Fundadores"})
    heard = Caller(app).dial()
    assert "Our call center is closed today for Founders Day." in heard.text
    assert "<Enqueue" not in asks_for_a_person(app)
    clock.now = local(2026, 11, 18, 10, 0)
    assert "<Enqueue" in asks_for_a_person(app)


def test_a_closure_scheduled_in_advance_takes_effect_at_its_time(app, clock):
    starts = clock.now + dt.timedelta(hours=2)
    change(app, ChangeKind.CLOSE, starts, starts + dt.timedelta(hours=1), SNOW)
    assert "Snow emergency" not in Caller(app).dial().text
    assert "<Enqueue" in asks_for_a_person(app)
    clock.now = starts
    assert "Snow emergency" in Caller(app).dial().text
    clock.now = starts + dt.timedelta(hours=1)
    assert "Snow emergency" not in Caller(app).dial().text


def test_another_process_on_the_same_database_and_redis_hears_it(settings, engine, redis, clock):
    with running_app(settings, clock) as first, running_app(settings, clock) as second:
        assert "Snow emergency" not in Caller(second).dial().text  # the second process has loaded its hours
        change(first, ChangeKind.CLOSE, clock.now, None, SNOW)
        assert "Snow emergency" in Caller(second).dial().text
        assert first.app.state.ctx.calendar is not second.app.state.ctx.calendar


def test_a_change_without_a_reason_or_with_markup_is_refused(app, clock):
    with pytest.raises(HoursChangeError, match="reason"):
        change(app, ChangeKind.CLOSE, clock.now, None, {})
    with pytest.raises(HoursChangeError, match="markup"):
        change(app, ChangeKind.CLOSE, clock.now, None, {"en-US": "<Play>x</Play>"})
    with pytest.raises(HoursChangeError, match="end"):
        change(app, ChangeKind.OPEN, clock.now, clock.now - dt.timedelta(minutes=1))
