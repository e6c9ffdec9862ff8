"""Conversation sessions in Redis, shared by every web process: one JSON document per call or phone number."""

from __future__ import annotations

import json

from redis.asyncio import Redis


class SessionStore:
    """Sessions under one key prefix, each expiring ttl seconds after its last save."""

    def __init__(self, redis: Redis, prefix: str, ttl: int) -> None:
        self._redis = redis
        self._prefix = prefix
        self._ttl = ttl

    def _key(self, session_id: str) -> str:
        return f"session:{self._prefix}:{session_id}"

    async def load(self, session_id: str) -> dict:
        """The saved session, or an empty one."""
        raw = await self._redis.get(self._key(session_id))
        return json.loads(raw) if raw else {}

    async def save(self, session_id: str, data: dict) -> None:
        """Save the session and restart its expiry."""
        await self._redis.set(self._key(session_id), json.dumps(data), ex=self._ttl)

    async def delete(self, session_id: str) -> None:
        """Forget the session."""
        await self._redis.delete(self._key(session_id))
