"""The sample map as an index, built once for the places tests (no database needed)."""

from __future__ import annotations

import pytest

from places.importing import read
from places.index import PlaceIndex
from places.matching import Matcher, Neighbour
from places.store import SAMPLE


def sample_index() -> PlaceIndex:
    """The shipped Springfield map, read straight from its files."""
    points, areas, places = [], [], []
    for path in sorted(SAMPLE.iterdir()):
        found = read(path)
        points += found.points
        places += found.places
        areas += [(found.layer, attributes, geometry) for attributes, geometry in found.areas]
    return PlaceIndex(points, areas, places)


@pytest.fixture(scope="session")
def matcher() -> Matcher:
    neighbours = (Neighbour("Shelbyville", "555-555-0140", ("shelbyville", "62705")),)
    return Matcher(sample_index(), neighbours=neighbours, city_words=("Springfield",))
