"""The paired per-number and whole-service counters behind call-back and text limits."""

from __future__ import annotations

from core.counters import Counter, Hit, reserve


def pair(number: str, hour: str = "h1", per_number: int = 2, per_service: int = 3) -> tuple[Counter, Counter]:
    return Counter(f"t:{number}", 60, per_number), Counter(f"t:all:{hour}", 60, per_service)


def test_a_number_over_its_limit_is_refused_and_not_counted(redis):
    assert [reserve(redis, *pair("a")) for _ in range(3)] == [None, None, Hit.NUMBER]
    assert redis.get("t:a") == b"2"  # the refused one was taken back
    assert redis.get("t:all:h1") == b"2"


def test_the_service_limit_stops_every_number_until_the_next_window(redis):
    assert reserve(redis, *pair("a")) is None
    assert reserve(redis, *pair("b")) is None
    assert reserve(redis, *pair("c")) is None
    assert reserve(redis, *pair("d")) is Hit.SERVICE
    assert redis.get("t:d") == b"0"
    assert reserve(redis, *pair("d", hour="h2")) is None


def test_counters_expire(redis):
    reserve(redis, *pair("a"))
    assert 0 < redis.ttl("t:a") <= 60
    assert 0 < redis.ttl("t:all:h1") <= 60
