"""Limits on call-back requests, counted in Redis so every process shares them: per number per day, and for the
whole service per hour (a flood of requests, or someone booking calls to numbers that are not theirs, stops here)."""

from __future__ import annotations

import datetime as dt

from core import counters
from core.defaults import CALLBACK_REQUEST_COUNTER_TTL
from settings import CallbackSettings


class RequestCounters:
    """The Redis counters behind the limits; the keys are this class's own."""

    def __init__(self, redis, limits: CallbackSettings) -> None:
        self.redis = redis  # a blocking client: call from a worker thread or an rq job
        self.limits = limits

    @staticmethod
    def number_key(phone: str, now: dt.datetime) -> str:
        return f"cb:req:{phone}:{now:%Y%m%d}"

    @staticmethod
    def service_key(now: dt.datetime) -> str:
        return f"cb:req:all:{now:%Y%m%d%H}"

    def _pair(self, phone: str, now: dt.datetime) -> tuple[counters.Counter, counters.Counter]:
        per_number = self.limits.requests_per_number_per_day
        return (
            counters.Counter(self.number_key(phone, now), CALLBACK_REQUEST_COUNTER_TTL, per_number),
            counters.Counter(self.service_key(now), 2 * 3600, self.limits.requests_per_hour),
        )

    def reserve(self, phone: str, now: dt.datetime) -> str | None:
        """Count one request; None if it may go ahead, else "number_limit" or "service_limit" (then not counted)."""
        hit = counters.reserve(self.redis, *self._pair(phone, now))
        return hit.value if hit else None

    def full(self, phone: str, now: dt.datetime) -> str | None:
        """The limit a request from this number would hit now, without counting one (None: there is room)."""
        hit = counters.full(self.redis, *self._pair(phone, now))
        return hit.value if hit else None
