"""A resident's last confirmed address, offered again on their next call or text: kept in Redis under a keyed digest
of their number (core.phones.number_key, never the number), for [places] remember_days, only when they said yes.

The value is the point as the map writes it ("1205 N Main St"): read back, it is matched against the current map, so
a point the map no longer has is never offered. A resident who said no is remembered as having said no (asked once).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from core import test_traffic
from core.phones import number_key

PREFIX = "places:remembered:"


@dataclass(frozen=True)
class Remembered:
    """What is kept for one number: the point's label, or None when they said no to being remembered."""

    label: str | None


def _key(secret: str, phone: str | None) -> str | None:
    # A test run's are its own: a number a later scenario run reuses is asked afresh, and no resident inherits them.
    digest = number_key(secret, phone)
    return test_traffic.scoped(f"{PREFIX}{digest}") if digest else None


async def recall(redis, *, secret: str, phone: str | None) -> Remembered | None:
    """What this number chose last time (None: never asked, forgotten, or expired)."""
    key = _key(secret, phone)
    raw = await redis.get(key) if key else None
    if raw is None:
        return None
    try:
        label = json.loads(raw).get("label")
    except (ValueError, AttributeError):
        return None
    return Remembered(label if isinstance(label, str) and label else None)


async def keep(redis, *, secret: str, phone: str | None, label: str | None, days: int) -> bool:
    """Keep the point (or the resident's no, when label is None) for `days`; False when nothing can be kept."""
    key = _key(secret, phone)
    if key is None or days <= 0:
        return False
    await redis.set(key, json.dumps({"label": label}), ex=days * 86400)
    return True


async def forget(redis, *, secret: str, phone: str | None) -> bool:
    """Forget this number's address; whether there was one."""
    key = _key(secret, phone)
    return bool(key and await redis.delete(key))
