"""The browser phone's sessions in Redis: each browser's phones and switchboard as one JSON document, under a lock.

Web processes keep nothing between requests: every action loads the document, changes it and saves it while holding
the session's lock, so two requests (a key pressed while the timer ticks) never overwrite each other's changes.
This class owns every Redis key the browser phone uses.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import secrets
from collections.abc import AsyncIterator

from redis.asyncio import Redis

SESSION_SECONDS = 4 * 3600  # an idle browser phone is forgotten after this long
LOCK_SECONDS = 60  # a request that died holding the lock frees it after this long
LOCK_WAIT_SECONDS = 30  # how long a request waits for another one on the same session
NUMBERS = 100  # fictional numbers 555-0100 to 555-0199 (NANP's range for fiction), given out in turn


class Busy(Exception):
    """Another request on the same session held its lock for too long."""


class SimulatorStore:
    """Browser phone sessions, named by a random id the browser keeps in a cookie; Redis holds only its hash."""

    def __init__(self, redis: Redis) -> None:
        self.redis = redis

    @staticmethod
    def new_id() -> str:
        """A new session id for a browser's cookie."""
        return secrets.token_urlsafe(24)

    @staticmethod
    def _name(session_id: str) -> str:
        # Someone reading Redis sees which sessions exist, not the cookie that opens them.
        return hashlib.sha256(session_id.encode()).hexdigest()[:40]

    @classmethod
    def key_for(cls, session_id: str) -> str:
        """The Redis key holding one session's document."""
        return f"simulator:session:{cls._name(session_id)}"

    @classmethod
    def lock_key_for(cls, session_id: str) -> str:
        """The Redis key of one session's lock."""
        return f"simulator:lock:{cls._name(session_id)}"

    NUMBER_COUNTER = "simulator:numbers"

    async def load(self, session_id: str) -> dict | None:
        """The session's document, or None when there is none (new, expired or never made)."""
        raw = await self.redis.get(self.key_for(session_id)) if session_id else None
        return json.loads(raw) if raw else None

    async def save(self, session_id: str, document: dict) -> None:
        """Store the document; each save keeps the session for SESSION_SECONDS more."""
        await self.redis.set(self.key_for(session_id), json.dumps(document, ensure_ascii=False), ex=SESSION_SECONDS)

    @contextlib.asynccontextmanager
    async def locked(self, session_id: str) -> AsyncIterator[None]:
        """Hold the session's lock (waiting for another request's turn); raises Busy after LOCK_WAIT_SECONDS."""
        lock = self.redis.lock(self.lock_key_for(session_id), timeout=LOCK_SECONDS, blocking_timeout=LOCK_WAIT_SECONDS)
        if not await lock.acquire():
            raise Busy("another action on these phones is still running; try again in a moment")
        try:
            yield
        finally:
            with contextlib.suppress(Exception):  # expired meanwhile: nothing of ours to free
                await lock.release()

    async def next_number(self, area_code: str) -> str:
        """A fictional number of its own for a new phone, shared out across every session (555-0100 to 0199)."""
        turn = await self.redis.incr(self.NUMBER_COUNTER)
        return f"+1{area_code}5550{100 + (turn - 1) % NUMBERS}"
