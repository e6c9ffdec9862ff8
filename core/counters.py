"""Two Redis counters reserved together: one per phone number (a day) and one for the whole service (an hour).

Call-back requests and outbound texts are both limited this way; each package keeps its own key names and limits and
asks here whether one more may go ahead.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Hit(str, Enum):
    """Which of the two limits a reservation ran into."""

    NUMBER = "number_limit"
    SERVICE = "service_limit"


@dataclass(frozen=True)
class Counter:
    """One Redis key, how long it lives and how many it allows."""

    key: str
    ttl_seconds: int
    limit: int


def reserve(redis, number: Counter, service: Counter) -> Hit | None:
    """Count one against both; None if it may go ahead, else the limit it hit (and nothing stays counted)."""
    # One transaction counts both, so concurrent processes never see a half-counted reservation.
    with redis.pipeline(transaction=True) as pipe:
        pipe.incr(number.key).expire(number.key, number.ttl_seconds)
        pipe.incr(service.key).expire(service.key, service.ttl_seconds)
        per_number, _, per_service, _ = pipe.execute()
    hit = Hit.NUMBER if per_number > number.limit else None
    hit = hit or (Hit.SERVICE if per_service > service.limit else None)
    if hit is not None:
        with redis.pipeline(transaction=True) as pipe:
            pipe.decr(number.key).decr(service.key)
            pipe.execute()
    return hit


def full(redis, number: Counter, service: Counter) -> Hit | None:
    """The limit one more would hit, without counting it (None: there is room)."""
    per_number, per_service = (int(v or 0) for v in redis.mget(number.key, service.key))
    if per_number >= number.limit:
        return Hit.NUMBER
    return Hit.SERVICE if per_service >= service.limit else None
