"""What callers hear now: every process keeps the active messages and reloads them when the version moves on."""

from __future__ import annotations

import asyncio
import datetime as dt

from core import version_stamp
from core.db import run_db
from surge import service
from surge.models import AnnouncementPublic

VERSION_KEY = "announcements:version"


class AnnouncementCache:
    """Active messages for this process: one Redis read per use, a database read only after a change."""

    def __init__(self, engine, redis, clock) -> None:
        self._engine, self._redis, self._clock = engine, redis, clock
        self._version: str | None = None
        self._rows: list[AnnouncementPublic] = []
        self._lock = asyncio.Lock()

    async def on_air(self, version: str | None = None) -> list[AnnouncementPublic]:
        """The messages on the air now (one Redis read, none when the caller read `version` with others)."""
        return await self._current(version)

    async def _current(self, version: str | None = None) -> list[AnnouncementPublic]:
        version = version or await version_stamp.read(self._redis, VERSION_KEY)  # never one held from before a restart
        if version != self._version:
            async with self._lock:
                if version != self._version:
                    self._rows = await run_db(self._engine, service.current)
                    self._version = version
        now = self._clock()
        return [r for r in self._rows if _on_air(r, now)]

    async def lines(self, scope: str, language: str) -> list[str]:
        """The texts to say (or send) in this scope and language, highest priority first."""
        return texts(await self._current(), scope, language)


def _on_air(row: AnnouncementPublic, now: dt.datetime) -> bool:
    starts = row.starts_at.replace(tzinfo=row.starts_at.tzinfo or dt.UTC) if row.starts_at else None
    ends = row.ends_at.replace(tzinfo=row.ends_at.tzinfo or dt.UTC) if row.ends_at else None
    return (starts is None or starts <= now) and (ends is None or now < ends)


async def publish(redis) -> None:
    """Tell every process that the messages changed; they serve the new ones on their next request."""
    await version_stamp.bump(redis, VERSION_KEY)


def publish_sync(redis) -> None:
    """publish() through a synchronous client (the command line)."""
    version_stamp.bump_sync(redis, VERSION_KEY)


def texts(rows: list[AnnouncementPublic], scope: str, language: str) -> list[str]:
    """The texts of the messages in this scope and language."""
    return [r.texts[language] for r in rows if r.scope == scope and language in r.texts]
