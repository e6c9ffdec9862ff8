"""Abuse limits on inbound texts per phone number, counted in Redis so every process shares them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from core import test_traffic
from core.defaults import SMS_COUNTER_TTL, SMS_INBOUND_PER_DAY, SMS_INBOUND_PER_MINUTE


@dataclass(frozen=True)
class Inbound:
    """Whether to handle this text now; if not, whether it is the first refused (told once), and when the minute's
    window opens again (None: the day's limit, which no wait of a minute lifts)."""

    allowed: bool
    first_refusal: bool = False
    opens_at: dt.datetime | None = None


async def allow_inbound(redis, phone: str, now: dt.datetime) -> Inbound:
    """Count this text against the number's minute and day, and say whether it may be handled now."""
    minute = test_traffic.scoped(f"sms:in:{phone}:{now:%Y%m%d%H%M}")
    day = test_traffic.scoped(f"sms:in:{phone}:{now:%Y%m%d}")
    async with redis.pipeline(transaction=True) as pipe:
        pipe.incr(minute).expire(minute, 120).incr(day).expire(day, SMS_COUNTER_TTL)
        per_minute, _, per_day, _ = await pipe.execute()
    if per_minute <= SMS_INBOUND_PER_MINUTE and per_day <= SMS_INBOUND_PER_DAY:
        return Inbound(True)
    if per_day > SMS_INBOUND_PER_DAY:
        return Inbound(False, first_refusal=per_day == SMS_INBOUND_PER_DAY + 1)
    opens_at = now.replace(second=0, microsecond=0) + dt.timedelta(minutes=1)
    return Inbound(False, first_refusal=per_minute == SMS_INBOUND_PER_MINUTE + 1, opens_at=opens_at)
