"""Abuse limits per phone number, counted in Redis so every process shares them."""

from __future__ import annotations

import datetime as dt

INBOUND_PER_MINUTE = 10
INBOUND_PER_DAY = 200
OUTBOUND_PER_DAY = 20


async def allow_inbound(redis, phone: str, now: dt.datetime) -> tuple[bool, bool]:
    """(allowed, first refusal): whether to handle this text, and whether to tell them to slow down this minute."""
    minute = f"sms:in:{phone}:{now:%Y%m%d%H%M}"
    day = f"sms:in:{phone}:{now:%Y%m%d}"
    async with redis.pipeline(transaction=True) as pipe:
        pipe.incr(minute).expire(minute, 120).incr(day).expire(day, 2 * 86400)
        per_minute, _, per_day, _ = await pipe.execute()
    if per_minute <= INBOUND_PER_MINUTE and per_day <= INBOUND_PER_DAY:
        return True, False
    return False, per_minute == INBOUND_PER_MINUTE + 1 or per_day == INBOUND_PER_DAY + 1


def allow_outbound(redis, phone: str, now: dt.datetime) -> bool:
    """Count one outbound text to the number today; False past the daily cap (from a worker, blocking client)."""
    key = f"sms:out:{phone}:{now:%Y%m%d}"
    with redis.pipeline(transaction=True) as pipe:
        pipe.incr(key).expire(key, 2 * 86400)
        count, _ = pipe.execute()
    return count <= OUTBOUND_PER_DAY
