"""A version stamp in Redis that processes compare with the copy they hold, and reload when it has moved on.

A missing stamp (first start, or Redis restarted empty) becomes a fresh random one before it is read or moved on, so it
never comes back to a number a process already holds with the data of before the restart (INCR alone restarts at 1).
"""

from __future__ import annotations

import secrets

from core import prefetch

_BUMP = """
if redis.call('EXISTS', KEYS[1]) == 0 then redis.call('SET', KEYS[1], ARGV[1]) end
return redis.call('INCR', KEYS[1])
"""


def fresh_stamp() -> int:
    """A version stamp no process can hold yet."""
    return secrets.randbelow(2**60)


async def read(redis, key: str) -> str:
    """The stamp now (one Redis read, or none when the request fetched it: core.prefetch); a fresh one set first when
    there is none."""
    version = await prefetch.get(redis, key)
    if version is None:
        prefetch.forget(key)
        await redis.set(key, fresh_stamp(), nx=True)
        version = await redis.get(key) or "0"
    return version


async def read_many(redis, keys: list[str]) -> list[str | None]:
    """Several stamps in one round trip or none (None where one is missing: its reader sets it, see read())."""
    return await prefetch.get_many(redis, keys)


async def bump(redis, key: str) -> None:
    """Move the stamp on, so every process reloads on its next read."""
    await redis.eval(_BUMP, 1, key, fresh_stamp())
    prefetch.forget(key)


def bump_sync(redis, key: str) -> None:
    """bump() through a synchronous client (the command line, jobs)."""
    redis.eval(_BUMP, 1, key, fresh_stamp())
