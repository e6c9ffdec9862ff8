"""The detector itself: the Poisson tail, a spike named with its count and addresses, a usual rate learnt from the
day before, and a request's street as an area."""

from __future__ import annotations

import datetime as dt
import math

from alerts.spikes import Contact, detect, upper_tail
from console.watch import street
from tests.flows.builders import settings as shipped

NOW = dt.datetime(2026, 11, 17, 16, 0, tzinfo=dt.UTC)


def ago(seconds: float) -> dt.datetime:
    return NOW - dt.timedelta(seconds=seconds)


def test_the_upper_tail_is_the_poisson_one():
    assert math.isclose(upper_tail(1, 0.5), 1 - math.exp(-0.5))
    assert math.isclose(upper_tail(3, 2.0), 1 - math.exp(-2) * (1 + 2 + 2), rel_tol=1e-9)
    assert upper_tail(0, 3.0) == 1.0 and upper_tail(4, 0.0) == 0.0


def test_a_spike_of_requests_on_one_street_is_named_with_its_count_and_addresses():
    settings = shipped().alerts
    contacts = [Contact("street:n main st", "reports on n main st", ago(20 * i), f"{100 + i} N Main St")
                for i in range(5)]
    [found] = detect(contacts, {}, settings, NOW)
    assert found.key == "street:n main st" and found.count == 5
    assert found.title == "Surge: reports on n main st: 5 contacts in 2 min (usually 1.0 an hour)"
    assert found.addresses[:2] == ("100 N Main St", "101 N Main St") and found.detail.startswith("Near 100 N Main St")


def test_a_busy_key_needs_more_than_a_quiet_one():
    settings = shipped().alerts
    five = [Contact("topic:library-hours", "Library hours", ago(20 * i)) for i in range(5)]
    assert detect(five, {}, settings, NOW)  # usually 1 an hour: 5 in 2 minutes is a spike
    assert detect(five, {"topic:library-hours": 24 * 6}, settings, NOW) == []  # usually 6 an hour: not yet
    assert detect(five[:2], {}, settings, NOW) == []  # under surge_min_count, however rare


def test_three_contacts_are_a_spike_only_within_two_minutes_and_against_a_quiet_key():
    settings = shipped().alerts
    assert settings.surge_min_count == 3
    quick = [Contact("topic:pothole", "Pothole", ago(45 * i)) for i in range(3)]  # 3 in 90 s, usually 1 an hour
    [found] = detect(quick, {}, settings, NOW)
    assert found.count == 3 and found.title.endswith("3 contacts in 2 min (usually 1.0 an hour)")
    slow = [Contact("topic:pothole", "Pothole", ago(100 * i)) for i in range(3)]  # 3 in 200 s: a count of 3 is
    assert detect(slow, {}, settings, NOW) == []  # judged in the 1-2 minute windows only
    assert detect(quick, {"topic:pothole": 24}, settings, NOW, open_hours=12) == []  # usually 2 an hour: not yet
    assert detect(quick, {"topic:pothole": 24}, settings, NOW)  # the same day over 24 h reads as 1 an hour


def test_a_street_is_the_address_without_its_house_number():
    assert street("1200 n main st apt 4") == "n main st"
    assert street("14b elm ave") == "elm ave"
    assert street("5th and main st") == "5th and main st"
