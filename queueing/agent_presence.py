"""Agents on the agent line, by their call: ready (dialled in, waiting for a caller) or busy (put through to one).

The agent line marks an agent ready each time it hands them a queue to wait on (first, after each conversation, and
again every few seconds while nobody waits), busy when a caller is put through, and gone when their call ends. A
ready mark that is not renewed fades after AGENT_READY_SECONDS, so a lost hang-up never leaves a phantom agent.
"""

from __future__ import annotations

import datetime as dt

from redis.asyncio import Redis

from core.defaults import AGENT_BUSY_SECONDS, AGENT_READY_SECONDS


class AgentPresence:
    """Who can answer now; the Redis keys are this class's own."""

    READY = "agents:ready"  # sorted set: agent call SID -> last time the agent line saw it waiting
    BUSY = "agents:busy"  # sorted set: agent call SID -> when it was put through to a caller
    LANGUAGES = "agents:languages"  # hash: agent call SID -> the languages the agent speaks, comma-separated

    def __init__(self, redis: Redis) -> None:
        self.redis = redis

    async def ready(self, call_sid: str, languages: tuple[str, ...], now: dt.datetime) -> None:
        """The agent is on the line waiting for the next caller."""
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.zadd(self.READY, {call_sid: now.timestamp()}).zrem(self.BUSY, call_sid)
            pipe.hset(self.LANGUAGES, call_sid, ",".join(languages))
            await pipe.execute()

    async def busy(self, call_sid: str, now: dt.datetime) -> None:
        """The agent was put through to a caller."""
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.zrem(self.READY, call_sid).zadd(self.BUSY, {call_sid: now.timestamp()})
            await pipe.execute()

    async def gone(self, call_sid: str) -> None:
        """The agent's call ended (a no-op for any other call)."""
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.zrem(self.READY, call_sid).zrem(self.BUSY, call_sid).hdel(self.LANGUAGES, call_sid)
            await pipe.execute()

    async def ready_for(self, language: str, now: dt.datetime) -> int:
        """How many agents speaking this language are waiting for a caller now."""
        await self._forget_stale(now)
        calls = await self.redis.zrangebyscore(self.READY, now.timestamp() - AGENT_READY_SECONDS, "+inf")
        if not calls:
            return 0
        spoken = await self.redis.hmget(self.LANGUAGES, calls)
        return sum(1 for languages in spoken if languages and language in languages.split(","))

    async def _forget_stale(self, now: dt.datetime) -> None:
        stale = await self.redis.zrangebyscore(self.READY, "-inf", f"({now.timestamp() - AGENT_READY_SECONDS}")
        busy_stale = await self.redis.zrangebyscore(self.BUSY, "-inf", f"({now.timestamp() - AGENT_BUSY_SECONDS}")
        if stale or busy_stale:
            async with self.redis.pipeline(transaction=True) as pipe:
                if stale:
                    pipe.zrem(self.READY, *stale)
                if busy_stale:
                    pipe.zrem(self.BUSY, *busy_stale)
                pipe.hdel(self.LANGUAGES, *stale, *busy_stale)
                await pipe.execute()
