"""What every request handler reads: settings, the database engine, Redis, the knowledge base, the wording."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import redis
from redis.asyncio import Redis
from sqlalchemy.engine import Engine

from crm_bridge.catalogue import Catalogue
from flows.hours import BusinessCalendar
from flows.knowledge import KnowledgeCache
from flows.wording import Wording
from settings import Settings


@dataclass
class AppContext:
    settings: Settings
    engine: Engine
    redis: Redis
    sync_redis: redis.Redis  # for rq, used from worker threads only
    knowledge: KnowledgeCache
    wording: Wording
    calendar: BusinessCalendar
    catalogue: Catalogue
    announcements: object = field(default=None)  # console.live.AnnouncementCache
    clock: object = field(default=None)  # a callable returning an aware datetime; tests set it

    def now(self) -> dt.datetime:
        """The current time (a test can pin it)."""
        return self.clock() if callable(self.clock) else dt.datetime.now(dt.UTC)
