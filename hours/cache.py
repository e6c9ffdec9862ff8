"""Every process's calendar carries the hours changes in force: one Redis read per request, a database read after a
change (core.version_stamp), so a change is heard on the next call in every process."""

from __future__ import annotations

import asyncio

from core import version_stamp
from core.calendar import BusinessCalendar
from core.db import in_session, run_db
from hours import service

VERSION_KEY = "hours:version"


class HoursCache:
    """Loads the changes into this process's calendar when the stamp has moved on since the last load."""

    def __init__(self, calendar: BusinessCalendar, engine, redis, clock) -> None:
        self._calendar, self._engine, self._redis, self._clock = calendar, engine, redis, clock
        self._version: str | None = None
        self._lock = asyncio.Lock()

    async def refresh(self) -> BusinessCalendar:
        """The calendar with the newest changes (one Redis read; a database read only after a change)."""
        version = await version_stamp.read(self._redis, VERSION_KEY)
        if version != self._version:
            async with self._lock:
                if version != self._version:
                    changes = await run_db(self._engine, service.in_force, now=self._clock())
                    self._calendar.with_changes(changes)
                    self._version = version
        return self._calendar


def refresh_sync(calendar: BusinessCalendar, engine, now) -> BusinessCalendar:
    """The calendar with the changes in force, read straight from the database (periodic jobs, the command line)."""
    return calendar.with_changes(in_session(engine, service.in_force, now=now))


async def publish(redis) -> None:
    """Tell every process the hours changed; they apply the change on their next request."""
    await version_stamp.bump(redis, VERSION_KEY)
