"""The times a resident may choose for a call-back: slots inside agent hours, holidays excluded, with room left."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from sqlmodel import Session

from callbacks import service
from core.calendar import BusinessCalendar
from settings import CallbackSettings


def next_free(
    calendar: BusinessCalendar, settings: CallbackSettings, *, now: dt.datetime, taken: Mapping[dt.datetime, int],
    limit: int, notice_minutes: int = 0,
) -> list[dt.datetime]:
    """The next `limit` slot starts (UTC) with room, from `notice_minutes` after now to `days_ahead` days ahead.

    Slots are counted from each day's opening in the city's time zone and end by its closing.
    """
    length = dt.timedelta(minutes=settings.slot_minutes)
    earliest = now + dt.timedelta(minutes=notice_minutes)
    today = calendar.local(now).date()
    found: list[dt.datetime] = []
    for offset in range(settings.days_ahead + 1):
        for start, closes in calendar.spans(today + dt.timedelta(days=offset)):
            while start + length <= closes and len(found) < limit:
                if start >= earliest and taken.get(start, 0) < settings.per_slot:
                    found.append(start.astimezone(dt.UTC))
                start += length
    return found


def free_slots(
    session: Session, *, calendar: BusinessCalendar, settings: CallbackSettings, now: dt.datetime, limit: int,
    notice_minutes: int = 0,
) -> list[dt.datetime]:
    """The next free slots, counting the call-backs already booked into each."""
    end = now + dt.timedelta(days=settings.days_ahead + 2)
    taken = service.booked_slots(session, start=now, end=end)
    return next_free(calendar, settings, now=now, taken=taken, limit=limit, notice_minutes=notice_minutes)


def is_free(
    session: Session, *, calendar: BusinessCalendar, settings: CallbackSettings, now: dt.datetime, when: dt.datetime
) -> bool:
    """Whether `when` is still a slot with room (another resident may have taken the last place meanwhile)."""
    taken = service.booked_slots(session, start=when, end=when + dt.timedelta(seconds=1))
    if when <= now or taken.get(when, 0) >= settings.per_slot:
        return False
    length = dt.timedelta(minutes=settings.slot_minutes)
    for opens, closes in calendar.spans(calendar.local(when).date()):
        offset = (when - opens).total_seconds() / 60
        if offset >= 0 and offset % settings.slot_minutes == 0 and when + length <= closes:
            return True
    return False
