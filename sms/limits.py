"""Abuse limits on inbound texts per phone number, counted in Redis so every process shares them."""

from __future__ import annotations

import datetime as dt

from core import test_traffic
from core.defaults import SMS_COUNTER_TTL, SMS_INBOUND_PER_DAY, SMS_INBOUND_PER_MINUTE


async def allow_inbound(redis, phone: str, now: dt.datetime) -> tuple[bool, bool]:
    """(allowed, first refusal): whether to handle this text, and whether to tell them to slow down this minute."""
    minute = test_traffic.scoped(f"sms:in:{phone}:{now:%Y%m%d%H%M}")
    day = test_traffic.scoped(f"sms:in:{phone}:{now:%Y%m%d}")
    async with redis.pipeline(transaction=True) as pipe:
        pipe.incr(minute).expire(minute, 120).incr(day).expire(day, SMS_COUNTER_TTL)
        per_minute, _, per_day, _ = await pipe.execute()
    if per_minute <= SMS_INBOUND_PER_MINUTE and per_day <= SMS_INBOUND_PER_DAY:
        return True, False
    return False, per_minute == SMS_INBOUND_PER_MINUTE + 1 or per_day == SMS_INBOUND_PER_DAY + 1
