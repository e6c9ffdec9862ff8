"""When the city commits to finish a request: business days on the city's calendar, or round-the-clock hours."""

from __future__ import annotations

import datetime as dt

from core.calendar import BusinessCalendar
from crm_bridge.catalogue import Sla


def expected_at(sla: Sla, created: dt.datetime, calendar: BusinessCalendar) -> dt.datetime:
    """The committed completion time for a request created at `created`."""
    if sla.hours is not None:
        return created + dt.timedelta(hours=sla.hours)
    local = calendar.local(created)
    day = local.date()
    remaining = sla.business_days or 0
    # A request made after closing (or on a day off) starts counting from the next business day.
    if not calendar.is_business_day(day) or local.time() >= calendar.workday_ends:
        day = _next_business_day(day, calendar)
    while remaining > 0:
        day = _next_business_day(day, calendar)
        remaining -= 1
    return dt.datetime.combine(day, calendar.workday_ends, tzinfo=calendar.zone).astimezone(dt.UTC)


def _next_business_day(day: dt.date, calendar: BusinessCalendar) -> dt.date:
    for _ in range(366):
        day += dt.timedelta(days=1)
        if calendar.is_business_day(day):
            return day
    raise ValueError("no business day within a year: check [hours] and [holidays]")
