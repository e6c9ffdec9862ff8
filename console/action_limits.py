"""How often one person may drive the service from the console (browser phone actions, "Run all"): a counter per
person and kind in Redis for a one-minute window, shared by every web process."""

from __future__ import annotations

import hashlib

from redis.asyncio import Redis

WINDOW_SECONDS = 60


def key_for(kind: str, who: str) -> str:
    """The Redis key counting one person's actions of one kind (hashed: `who` may be a name or an address)."""
    return f"console:limit:{kind}:{hashlib.sha256(who.encode()).hexdigest()[:32]}"


async def take(redis: Redis, *, kind: str, who: str, per_minute: int) -> int | None:
    """Count one action; None when it is within the limit, else the seconds until the window ends."""
    key = key_for(kind, who)
    async with redis.pipeline(transaction=True) as pipe:
        _, count, ttl = await pipe.set(key, 0, ex=WINDOW_SECONDS, nx=True).incr(key).ttl(key).execute()
    return None if count <= per_minute else max(1, ttl)
