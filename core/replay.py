"""Webhook replay protection: Twilio retries a webhook on timeout; a retry gets the first answer again."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Awaitable, Callable

from redis.asyncio import Redis

TTL_SECONDS = 3600  # Twilio retries within seconds; an hour covers any retry
WAIT_SECONDS = 10.0


def request_key(path: str, params: dict[str, str]) -> str:
    """A key naming one webhook delivery: its path and every field it carried."""
    digest = hashlib.sha256(path.encode())
    for name in sorted(params):
        digest.update(b"\0" + name.encode() + b"=" + params[name].encode())
    return f"replay:{digest.hexdigest()}"


async def once(redis: Redis, key: str, produce: Callable[[], Awaitable[str]]) -> str:
    """Run produce() for the first delivery of key; later deliveries get its stored result."""
    cached = await redis.get(key)
    if cached is not None:
        return cached
    if not await redis.set(f"{key}:lock", "1", nx=True, ex=int(WAIT_SECONDS * 3)):
        return await _wait_for(redis, key, produce)
    try:
        result = await produce()
    except BaseException:
        await redis.delete(f"{key}:lock")
        raise
    async with redis.pipeline(transaction=True) as pipe:
        pipe.set(key, result, ex=TTL_SECONDS).delete(f"{key}:lock")
        await pipe.execute()
    return result


async def _wait_for(redis: Redis, key: str, produce: Callable[[], Awaitable[str]]) -> str:
    # A twin delivery is being handled by another process right now: wait for its answer.
    for _ in range(int(WAIT_SECONDS / 0.05)):
        await asyncio.sleep(0.05)
        cached = await redis.get(key)
        if cached is not None:
            return cached
        if not await redis.exists(f"{key}:lock"):
            return await once(redis, key, produce)
    raise TimeoutError(f"twin delivery of {key} did not finish")
