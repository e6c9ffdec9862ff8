"""Facts that depend on where: collection day and next recycling date, an area's member, the nearest library."""

from __future__ import annotations

import datetime as dt

import pytest

from places import answers
from tests.places.conftest import sample_index

INDEX = sample_index()


def _point(matcher, said):
    found = matcher.match(said).best
    return {"latitude": found.latitude, "longitude": found.longitude}


@pytest.mark.parametrize(("said", "day", "next_recycling"), [
    ("1124 north oak street", "Tuesday", dt.date(2026, 12, 15)),  # northwest: every other Tuesday from Jan 13
    ("149 east second street", "Monday", dt.date(2026, 12, 7)),  # northeast: every other Monday from Jan 5: today
])
def test_collection_day_and_the_next_recycling_date(matcher, said, day, next_recycling):
    today = dt.date(2026, 12, 7)  # a Monday, the day the injected clock says
    found = answers.collection(INDEX, today=today, **_point(matcher, said))
    assert found.day == day and found.next_recycling == next_recycling
    assert found.next_recycling.strftime("%A") == day
    start = dt.date(2026, 1, 5) if day == "Monday" else dt.date(2026, 1, 13)
    assert (found.next_recycling - start).days % 14 == 0


def test_the_week_between_two_recycling_days_points_to_the_next(matcher):
    where = _point(matcher, "149 east second street")
    assert answers.collection(INDEX, today=dt.date(2026, 12, 8), **where).next_recycling == dt.date(2026, 12, 21)
    before = answers.collection(INDEX, today=dt.date(2025, 12, 1), **where)
    assert before.next_recycling == dt.date(2026, 1, 5)  # before the schedule starts: its first day


def test_the_council_member_and_the_nearest_library(matcher):
    where = _point(matcher, "fifth and oak")
    assert answers.attribute(INDEX, layer="council", name="member", **where) == "Maria Ortega"
    closest = answers.nearest(INDEX, kind="library", **where)
    assert closest.place.name == "Oak Street Library" and 150 < closest.metres < 300
    assert answers.nearest(INDEX, kind="swimming_pool", **where) is None
    assert answers.collection(INDEX, latitude=0.0, longitude=0.0, today=dt.date(2026, 12, 7)) is None
