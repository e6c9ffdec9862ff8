"""Conversation sessions in Redis, shared by every web process: one JSON document per call or phone number."""

from __future__ import annotations

from pydantic import ValidationError
from redis.asyncio import Redis

from core import prefetch, replay, test_traffic
from flows.session import Session


class SessionStore:
    """Sessions under one key prefix, each expiring ttl seconds after its last save."""

    def __init__(self, redis: Redis, prefix: str, ttl: int) -> None:
        self._redis = redis
        self._prefix = prefix
        self._ttl = ttl

    def key(self, session_id: str) -> str:
        """The Redis key of one session; a test run's are its own, so a number a scenario reuses starts afresh."""
        return test_traffic.scoped(f"session:{self._prefix}:{session_id}")

    async def load(self, session_id: str) -> Session | None:
        """The saved session, or None (never saved, expired, or unreadable)."""
        raw = await prefetch.get(self._redis, self.key(session_id))  # read with the webhook's claim, if it was
        if not raw:
            return None
        try:
            return Session.model_validate_json(raw)
        except ValidationError:  # written by an incompatible release: start afresh rather than fail the caller
            return None

    async def save(self, session_id: str, session: Session) -> None:
        """Save the session and restart its expiry."""
        prefetch.forget(self.key(session_id))
        await self._redis.set(self.key(session_id), session.model_dump_json(exclude_defaults=True), ex=self._ttl)

    def save_on(self, pipeline, session_id: str, session: Session) -> None:
        """save() as one command of a pipeline the caller sends (with a webhook's answer, core.replay.alongside)."""
        prefetch.forget(self.key(session_id))
        pipeline.set(self.key(session_id), session.model_dump_json(exclude_defaults=True), ex=self._ttl)

    async def save_with_answer(self, session_id: str, session: Session) -> None:
        """Save the session in the MULTI that stores the webhook's answer (core.replay.alongside), so a retry finds
        both or neither; outside a delivery, now. The session must not change after this."""
        final = session.model_copy()
        if not replay.alongside(lambda pipeline: self.save_on(pipeline, session_id, final)):
            await self.save(session_id, session)

    async def delete(self, session_id: str) -> None:
        """Forget the session."""
        prefetch.forget(self.key(session_id))
        await self._redis.delete(self.key(session_id))
