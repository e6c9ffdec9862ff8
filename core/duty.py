"""Development mode only: agents put on duty from the browser phone, whatever config.toml's [hours] say.

The override is one Redis key (an expiry time), so every web process and worker sees it; each reads it into its
business calendar (core.calendar) where it decides whether agents answer now. Outside development mode it is never
read, so nothing but [hours] and [holidays] can open the line.
"""

from __future__ import annotations

import datetime as dt

from core import prefetch
from core.calendar import BusinessCalendar

KEY = "dev:agents-on-duty-until"


def _parse(raw) -> dt.datetime | None:
    if not raw:
        return None
    try:
        value = dt.datetime.fromisoformat(raw.decode() if isinstance(raw, bytes) else str(raw))
    except ValueError:
        return None
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


async def put_on_duty(redis, *, until: dt.datetime, now: dt.datetime) -> None:
    """Agents answer until `until` by the injected clock (the key itself is forgotten as long after `now`)."""
    seconds = max(1, int((until - now).total_seconds()) + 1)
    await redis.set(KEY, until.astimezone(dt.UTC).isoformat(), ex=seconds)
    prefetch.forget(KEY)


async def back_to_hours(redis) -> None:
    """Agents answer by config.toml's [hours] again."""
    await redis.delete(KEY)
    prefetch.forget(KEY)


async def refresh(calendar: BusinessCalendar, redis, *, dev_mode: bool) -> None:
    """Read the override into this process's calendar (development mode only)."""
    calendar.on_duty_until = _parse(await prefetch.get(redis, KEY)) if dev_mode else None


def refresh_sync(calendar: BusinessCalendar, connection, *, dev_mode: bool) -> None:
    """The same, for a worker's blocking Redis connection."""
    calendar.on_duty_until = _parse(connection.get(KEY)) if dev_mode else None
