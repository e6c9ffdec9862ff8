"""Distances on the city's scale: metres between two points, and a flat local projection for nearby geometry."""

from __future__ import annotations

import math

EARTH_METRES = 6_371_000.0


def metres(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """The great-circle distance between two points, in metres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_METRES * math.asin(min(1.0, math.sqrt(a)))


def metres_per_degree(latitude: float) -> tuple[float, float]:
    """How many metres one degree of latitude and of longitude span here (a city is flat enough for this)."""
    per_lat = math.pi * EARTH_METRES / 180
    return per_lat, per_lat * math.cos(math.radians(latitude))
