"""The times offered: slots inside agent hours in the city's time zone, holidays skipped, full ones left out."""

from __future__ import annotations

import dataclasses
import datetime as dt
from zoneinfo import ZoneInfo

from callbacks.slots import next_free
from core.calendar import BusinessCalendar
from tests.flows.builders import settings as shipped

CHICAGO = ZoneInfo("America/Chicago")


def local(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=CHICAGO)


def free(now: dt.datetime, taken=None, limit: int = 3, **changes):
    config = dataclasses.replace(shipped().callbacks, **changes)
    return [s.astimezone(CHICAGO) for s in
            next_free(BusinessCalendar(shipped()), config, now=now, taken=taken or {}, limit=limit,
                      notice_minutes=10)]


def test_slots_start_after_a_little_notice_and_stay_inside_the_day():
    assert free(local(2026, 11, 17, 10, 5)) == [local(2026, 11, 17, 10, 30), local(2026, 11, 17, 11, 0),
                                                local(2026, 11, 17, 11, 30)]
    # 17:45 on a Tuesday: the last slot ends at 18:00 closing, so the next ones are Wednesday morning.
    assert free(local(2026, 11, 17, 17, 15), limit=2) == [local(2026, 11, 17, 17, 30), local(2026, 11, 18, 8, 0)]


def test_sundays_and_holidays_are_skipped_and_saturday_keeps_its_short_hours():
    # Wednesday evening before Thanksgiving (Thursday, a holiday): Friday, then Saturday 9-13, then Monday.
    slots = free(local(2026, 11, 25, 19, 0), limit=30, slot_minutes=60, days_ahead=5)
    days = sorted({s.date() for s in slots})
    assert days == [dt.date(2026, 11, 27), dt.date(2026, 11, 28), dt.date(2026, 11, 30)]
    assert [s.hour for s in slots if s.date() == dt.date(2026, 11, 28)] == [9, 10, 11, 12]


def test_a_full_slot_is_not_offered_and_the_window_is_days_ahead():
    now = local(2026, 11, 17, 10, 5)
    full = {local(2026, 11, 17, 10, 30).astimezone(dt.UTC): 4}
    assert free(now, taken=full, limit=1) == [local(2026, 11, 17, 11, 0)]
    assert free(local(2026, 11, 21, 14, 0), limit=5, days_ahead=1) == []  # Saturday after closing; Sunday closed


def test_the_calendar_finds_the_next_opening():
    calendar = BusinessCalendar(shipped())
    assert calendar.next_open(local(2026, 11, 17, 9, 0)) == local(2026, 11, 17, 9, 0)
    assert calendar.next_open(local(2026, 11, 17, 18, 5)) == local(2026, 11, 18, 8, 0)
    assert calendar.next_open(local(2026, 12, 23, 19, 0)) == local(2026, 12, 26, 9, 0)  # Christmas Eve, Christmas
