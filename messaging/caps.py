"""Caps on outbound texts, counted in Redis so every web and worker process shares them: per number per day, and
for the whole service per hour (a runaway loop or a toll-fraud attempt stops at the cap, not at the invoice)."""

from __future__ import annotations

import datetime as dt
from enum import Enum

from core import counters, test_traffic
from core.defaults import SMS_COUNTER_TTL
from settings import OutboundSettings


class Cap(str, Enum):
    """Which cap a text ran into."""

    NUMBER = "number_limit"
    SERVICE = "service_limit"


class TextCounters:
    """The Redis counters behind the caps; the keys are this class's own."""

    def __init__(self, redis, limits: OutboundSettings) -> None:
        self.redis = redis  # a blocking client: call from a worker thread or an rq job
        self.limits = limits

    @staticmethod
    def number_key(phone: str, now: dt.datetime) -> str:
        return test_traffic.scoped(f"sms:out:{phone}:{now:%Y%m%d}")

    @staticmethod
    def service_key(now: dt.datetime) -> str:
        return test_traffic.scoped(f"sms:out:all:{now:%Y%m%d%H}")

    def reserve(self, phone: str, now: dt.datetime) -> Cap | None:
        """Count one text to the number; None if it may go, else the cap it hit (and nothing stays counted)."""
        hit = counters.reserve(
            self.redis,
            counters.Counter(self.number_key(phone, now), SMS_COUNTER_TTL, self.limits.texts_per_number_per_day),
            counters.Counter(self.service_key(now), 2 * 3600, self.limits.texts_per_hour),
        )
        return Cap(hit.value) if hit else None
