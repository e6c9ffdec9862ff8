"""The daily cap of texts to one number, counted in Redis so every worker shares it."""

from __future__ import annotations

import datetime as dt

from core.defaults import SMS_COUNTER_TTL, SMS_OUTBOUND_PER_DAY


def outbound_key(phone: str, now: dt.datetime) -> str:
    """The Redis counter of texts sent to this number on this day."""
    return f"sms:out:{phone}:{now:%Y%m%d}"


def allow_outbound(redis, phone: str, now: dt.datetime) -> bool:
    """Count one outbound text to the number today; False past the daily cap (blocking client, from a worker)."""
    key = outbound_key(phone, now)
    with redis.pipeline(transaction=True) as pipe:
        pipe.incr(key).expire(key, SMS_COUNTER_TTL)
        count, _ = pipe.execute()
    return count <= SMS_OUTBOUND_PER_DAY
