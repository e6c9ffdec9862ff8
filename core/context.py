"""What every request handler reads: settings, the database engine, Redis, the calendar and the clock."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import redis
from redis.asyncio import Redis
from sqlalchemy.engine import Engine

from core import clock as clocks
from core.calendar import BusinessCalendar
from settings import Settings

T = TypeVar("T")


@dataclass(kw_only=True)
class AppContext:
    """One web process's connections and shared read-only data; higher layers extend it (flows.context)."""

    settings: Settings
    engine: Engine
    redis: Redis
    sync_redis: redis.Redis  # for rq, used from worker threads only
    calendar: BusinessCalendar
    _memo: dict[str, Any] = field(default_factory=dict, repr=False)

    def now(self) -> dt.datetime:
        """The current time from the process's one clock (core.clock; a test can pin it)."""
        return clocks.now()

    def memo(self, key: str, factory: Callable[[], T]) -> T:
        """A per-process value a package builds once (the CRM's service catalogue)."""
        if key not in self._memo:
            self._memo[key] = factory()
        return self._memo[key]
