"""Redis values every webhook reads (version stamps, the development duty override), fetched in one round trip
before its route runs, then read from this request's copy instead of one round trip each.

Only a webhook's own request holds a copy (a contextvar: the route runs in the middleware's task, and worker threads
get a copy of the context); anything else reads Redis as before. A value this request changes is forgotten, so it is
read again afterwards.
"""

from __future__ import annotations

import contextvars

_fetched: contextvars.ContextVar[dict[str, str | None] | None] = contextvars.ContextVar("prefetched", default=None)


async def fetch(redis, keys: list[str]) -> None:
    """Read these keys in one round trip and keep them for the rest of this request."""
    _fetched.set(dict(zip(keys, await redis.mget(keys), strict=True)))


def keep(values: dict[str, str | None]) -> None:
    """Keep values read some other way (with a webhook's replay claim, say) for the rest of this request; outside a
    request that fetched its reads (a job, a test calling a handler) nothing is kept, so nothing outlives it."""
    fetched = _fetched.get()
    if fetched is not None:
        fetched.update(values)


async def get(redis, key: str) -> str | None:
    """The key's value: this request's copy when it was fetched, else one GET."""
    fetched = _fetched.get()
    if fetched is not None and key in fetched:
        return fetched[key]
    return await redis.get(key)


async def get_many(redis, keys: list[str]) -> list[str | None]:
    """Several keys: this request's copies, and one MGET for any not fetched."""
    fetched = _fetched.get() or {}
    missing = [key for key in keys if key not in fetched]
    found = dict(zip(missing, await redis.mget(missing), strict=True)) if missing else {}
    return [fetched[key] if key in fetched else found[key] for key in keys]


def forget(key: str) -> None:
    """This request changed the key: its next read goes to Redis."""
    fetched = _fetched.get()
    if fetched is not None:
        fetched.pop(key, None)
