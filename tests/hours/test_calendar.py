"""The calendar with supervisors' changes: a closure cuts the day, an opening extends it, an added holiday closes it;
call-back slots and the next opening follow."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from callbacks.slots import next_free
from core.calendar import BusinessCalendar, ChangeKind, HoursChange
from tests.flows.builders import settings as shipped

CHICAGO = ZoneInfo("America/Chicago")


def local(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=CHICAGO)


def calendar(*changes: HoursChange) -> BusinessCalendar:
    return BusinessCalendar(shipped()).with_changes(changes)


def test_a_closure_in_the_middle_of_the_day_splits_it_and_says_why():
    snow = HoursChange(ChangeKind.CLOSE, local(2026, 11, 17, 12, 0), local(2026, 11, 17, 14, 0), {"en-US": "Snow"})
    cal = calendar(snow)
    assert cal.spans(dt.date(2026, 11, 17)) == [(local(2026, 11, 17, 8, 0), local(2026, 11, 17, 12, 0)),
                                                (local(2026, 11, 17, 14, 0), local(2026, 11, 17, 18, 0))]
    state = cal.state(local(2026, 11, 17, 13, 0))
    assert not state.is_open and state.closure is snow and state.closure.said("es-US") == "Snow"
    assert cal.state(local(2026, 11, 17, 14, 0)).is_open
    assert cal.next_open(local(2026, 11, 17, 12, 30)) == local(2026, 11, 17, 14, 0)
    slots = next_free(cal, shipped().callbacks, now=local(2026, 11, 17, 11, 0), taken={}, limit=3)
    assert [s.astimezone(CHICAGO) for s in slots] == [local(2026, 11, 17, 11, 0), local(2026, 11, 17, 11, 30),
                                                      local(2026, 11, 17, 14, 0)]


def test_a_closure_until_reopened_closes_every_day_after_it():
    cal = calendar(HoursChange(ChangeKind.CLOSE, local(2026, 11, 17, 10, 0), None, {"en-US": "Flood"}))
    assert cal.spans(dt.date(2026, 11, 18)) == [] and cal.next_open(local(2026, 11, 17, 10, 0)) is None


def test_open_late_extends_the_day_and_an_opening_on_sunday_opens_it():
    late = HoursChange(ChangeKind.OPEN, local(2026, 11, 17, 18, 0), local(2026, 11, 17, 22, 0))
    sunday = HoursChange(ChangeKind.OPEN, local(2026, 11, 22, 10, 0), local(2026, 11, 22, 14, 0))
    cal = calendar(late, sunday)
    assert cal.spans(dt.date(2026, 11, 17)) == [(local(2026, 11, 17, 8, 0), local(2026, 11, 17, 22, 0))]
    assert cal.state(local(2026, 11, 17, 21, 0)).is_open and not cal.state(local(2026, 11, 17, 22, 0)).is_open
    assert cal.state(local(2026, 11, 22, 11, 0)).is_open


def test_an_added_holiday_closes_the_day_and_leaves_service_level_days_out():
    founders = HoursChange(ChangeKind.HOLIDAY, local(2026, 11, 18, 0, 0), local(2026, 11, 19, 0, 0),
                           {"en-US": "Founders Day"})
    cal = calendar(founders)
    assert cal.state(local(2026, 11, 18, 10, 0)).holiday == "Founders Day"
    assert not cal.is_business_day(dt.date(2026, 11, 18)) and cal.is_business_day(dt.date(2026, 11, 19))
    assert cal.next_open(local(2026, 11, 17, 18, 30)) == local(2026, 11, 19, 8, 0)
