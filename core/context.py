"""What every request handler reads: settings, the database engine, Redis, the calendar and the clock."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import redis
from redis.asyncio import Redis
from sqlalchemy.engine import Engine

from core import clock as clocks
from core.calendar import BusinessCalendar
from core.memo import ProcessMemo
from settings import Settings


@dataclass(kw_only=True)
class AppContext(ProcessMemo):
    """One web process's connections and shared read-only data; higher layers extend it (flows.context)."""

    settings: Settings
    engine: Engine
    redis: Redis
    sync_redis: redis.Redis  # for rq, used from worker threads only
    calendar: BusinessCalendar

    def now(self) -> dt.datetime:
        """The current time from the process's one clock (core.clock; a test can pin it)."""
        return clocks.now()
