"""Limits on call-back requests, counted in Redis so every process shares them: per requesting line per day, and for
the whole service per hour. A line asking for numbers other than its own is also limited to a few different ones a
day, and those requests count against its own allowance, never against the number it asked for."""

from __future__ import annotations

import datetime as dt

from core import counters, test_traffic
from core.defaults import CALLBACK_OWNER_ASKS_PER_DAY, CALLBACK_REQUEST_COUNTER_TTL
from settings import CallbackSettings

REQUESTER_LIMIT = "requester_limit"  # this line asked for as many other numbers as it may today


class RequestCounters:
    """The Redis counters behind the limits; the keys are this class's own."""

    def __init__(self, redis, limits: CallbackSettings) -> None:
        self.redis = redis  # a blocking client: call from a worker thread or an rq job
        self.limits = limits

    @staticmethod
    def number_key(phone: str, now: dt.datetime) -> str:
        return test_traffic.scoped(f"cb:req:{phone}:{now:%Y%m%d}")

    @staticmethod
    def service_key(now: dt.datetime) -> str:
        return test_traffic.scoped(f"cb:req:all:{now:%Y%m%d%H}")

    @staticmethod
    def others_key(requester: str, now: dt.datetime) -> str:
        return test_traffic.scoped(f"cb:req:others:{requester}:{now:%Y%m%d}")

    @staticmethod
    def asks_key(phone: str, now: dt.datetime) -> str:
        return test_traffic.scoped(f"cb:ask:{phone}:{now:%Y%m%d}")

    def _pair(self, phone: str, now: dt.datetime) -> tuple[counters.Counter, counters.Counter]:
        per_number = self.limits.requests_per_number_per_day
        return (
            counters.Counter(self.number_key(phone, now), CALLBACK_REQUEST_COUNTER_TTL, per_number),
            counters.Counter(self.service_key(now), 2 * 3600, self.limits.requests_per_hour),
        )

    def reserve(self, phone: str, now: dt.datetime, *, requester: str | None = None) -> str | None:
        """Count one request for `phone` by `requester` (default: the number itself) against the requester's daily
        allowance and the service's; None if it may go ahead, else the limit hit (then nothing stays counted)."""
        requester = requester or phone
        added = False
        if requester != phone:
            added, room = self._add_other(requester, phone, now)
            if not room:
                return REQUESTER_LIMIT
        hit = counters.reserve(self.redis, *self._pair(requester, now))
        if hit is not None and added:
            self.redis.srem(self.others_key(requester, now), phone)
        if hit is counters.Hit.NUMBER and requester != phone:
            return REQUESTER_LIMIT  # the requesting line's allowance, not the number it asked for
        return hit.value if hit else None

    def _add_other(self, requester: str, phone: str, now: dt.datetime) -> tuple[bool, bool]:
        # One set per requesting line and day: a number asked for again is no new one; past the limit it is taken out.
        key = self.others_key(requester, now)
        with self.redis.pipeline(transaction=True) as pipe:
            pipe.sadd(key, phone).scard(key).expire(key, CALLBACK_REQUEST_COUNTER_TTL)
            added, size, _ = pipe.execute()
        if size <= self.limits.max_numbers_per_requester:
            return bool(added), True
        if added:
            self.redis.srem(key, phone)
        return False, False

    def ask_owner(self, phone: str, now: dt.datetime) -> bool:
        """Count one "Reply YES" text to this number; False once it had its share today (then nothing is sent)."""
        key = self.asks_key(phone, now)
        with self.redis.pipeline(transaction=True) as pipe:
            pipe.incr(key).expire(key, CALLBACK_REQUEST_COUNTER_TTL)
            count, _ = pipe.execute()
        return count <= CALLBACK_OWNER_ASKS_PER_DAY

    def full(self, phone: str, now: dt.datetime) -> str | None:
        """The limit a request from this number would hit now, without counting one (None: there is room)."""
        hit = counters.full(self.redis, *self._pair(phone, now))
        return hit.value if hit else None
