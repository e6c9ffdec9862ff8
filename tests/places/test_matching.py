"""Matching what a resident says to the sample map: one point, choices, ask again, or another body's address."""

from __future__ import annotations

import pytest

from places.matching import MatchKind, PlaceKind


@pytest.mark.parametrize("said", [
    "1188 N Main St",
    "eleven eighty eight north main street",
    "one one eight eight main",
    "eleven eighty eight north mane street",  # a speech slip
    "1188 north main avenue",  # the wrong suffix
    "1188 Main St, Springfield, IL 62701",
    "there is a pothole at 1188 main",
])
def test_an_address_however_said_finds_its_point(matcher, said):
    found = matcher.match(said)
    assert found.kind is MatchKind.FOUND
    assert found.best.label == "1188 N Main St" and found.best.spoken == "1188 North Main Street"
    assert found.best.confidence >= 0.85


def test_a_unit_finds_the_unit_and_no_unit_the_building(matcher):
    assert matcher.match("754 walnut drive apartment four").best.label == "754 N Walnut Dr Apt 4"
    assert matcher.match("754 walnut drive").best.label == "754 N Walnut Dr"


@pytest.mark.parametrize("said", ["fifth and main", "Fifth Street & Main", "5th St and N Main St",
                                  "calle quinta y main"])
def test_an_intersection_finds_the_corner(matcher, said):
    found = matcher.match(said)
    assert found.kind is MatchKind.FOUND and found.best.kind is PlaceKind.INTERSECTION
    assert "5th St" in found.best.label and "Main St" in found.best.label
    # The corner of 5th and Main: five blocks north of Division, on Main (the sample's grid, 150 m blocks).
    assert found.best.latitude == pytest.approx(39.7817 + 5 * 0.00135, abs=0.0002)
    assert found.best.longitude == pytest.approx(-89.6501, abs=0.0002)


def test_streets_that_never_meet_are_no_intersection(matcher):
    assert matcher.match("walnut and monroe").kind is MatchKind.NOT_FOUND


def test_named_places(matcher):
    assert matcher.match("the library on Oak").best.label == "Oak Street Library"
    assert matcher.match("biblioteca en la calle Lincoln").best.label == "Lincoln Library"
    assert matcher.match("city hall").best.kind is PlaceKind.NAMED
    libraries = matcher.match("the library")
    assert libraries.kind is MatchKind.CHOICES and len(libraries.candidates) == 3


def test_a_wrong_directional_is_offered_never_taken(matcher):
    found = matcher.match("1188 south main street")
    assert found.kind is MatchKind.CHOICES and found.candidates[0].label == "1188 N Main St"


def test_a_number_not_on_the_street_offers_its_neighbours(matcher):
    found = matcher.match("1190 north main street")
    assert found.kind is MatchKind.CHOICES
    assert [c.label for c in found.candidates][:2] == ["1188 N Main St", "1186 N Main St"]


def test_nonsense_asks_again(matcher):
    for said in ("blue banana", "1188 zzyzx road", "", "🙂"):
        assert matcher.match(said).kind is MatchKind.NOT_FOUND


def test_an_address_in_a_neighbouring_body_is_told_so(matcher):
    found = matcher.match("12 elm street, Shelbyville")
    assert found.kind is MatchKind.OUTSIDE and found.neighbour.number == "555-555-0140"
