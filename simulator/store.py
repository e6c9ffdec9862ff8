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
NUMBERS = 100  # fictional numbers 555-0100 to 555-0199 (NANP's range for fiction), each held by one session at a time

# A number is held by one session: taken only when free, kept (its expiry renewed with the session's) only by its
# holder, given back only by its holder. KEYS: the numbers' keys; ARGV: the session's name, then the seconds to hold.
_TAKE_FIRST_FREE = """
for _, key in ipairs(KEYS) do
  if redis.call('SET', key, ARGV[1], 'NX', 'EX', tonumber(ARGV[2])) then return key end
end
return false
"""
_KEEP = """
for _, key in ipairs(KEYS) do
  local holder = redis.call('GET', key)
  if not holder or holder == ARGV[1] then redis.call('SET', key, ARGV[1], 'EX', tonumber(ARGV[2])) end
end
return 0
"""
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


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

    async def save(self, session_id: str, document: dict, *, numbers: list[str] = ()) -> None:
        """Store the document; each save keeps the session, and the numbers its phones hold, for SESSION_SECONDS
        more."""
        await self.redis.set(self.key_for(session_id), json.dumps(document, ensure_ascii=False), ex=SESSION_SECONDS)
        if numbers:
            keys = [self.number_key_for(n) for n in numbers]
            await self.redis.eval(_KEEP, len(keys), *keys, self._name(session_id), SESSION_SECONDS)

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

    @staticmethod
    def number_key_for(number: str) -> str:
        """The Redis key naming the session that holds one fictional number."""
        return f"simulator:number:{number}"

    async def take_number(self, session_id: str, area_code: str) -> str | None:
        """A fictional number no other session holds (555-0100 to 0199), now this session's; None when all are taken.

        The search starts at the next number in turn, so a number just given back is not handed out again at once."""
        turn = await self.redis.incr(self.NUMBER_COUNTER)
        numbers = [f"+1{area_code}5550{100 + (turn - 1 + i) % NUMBERS}" for i in range(NUMBERS)]
        keys = [self.number_key_for(n) for n in numbers]
        taken = await self.redis.eval(_TAKE_FIRST_FREE, len(keys), *keys, self._name(session_id), SESSION_SECONDS)
        if not taken:
            return None
        taken = taken.decode() if isinstance(taken, bytes) else taken
        return taken.removeprefix("simulator:number:")

    async def release_number(self, session_id: str, number: str) -> None:
        """Give a number back (a phone removed), if this session holds it."""
        await self.redis.eval(_RELEASE, 1, self.number_key_for(number), self._name(session_id))

    async def holds(self, session_id: str, numbers: list[str]) -> set[str]:
        """Which of these numbers this session holds now (what the service sends to a number reaches only them)."""
        if not numbers:
            return set()
        holders = await self.redis.mget([self.number_key_for(n) for n in numbers])
        name = self._name(session_id)
        return {n for n, h in zip(numbers, holders, strict=True) if (h.decode() if isinstance(h, bytes) else h) == name}
