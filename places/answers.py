"""Facts that depend on where a resident is, computed from the map: collection day and the next recycling date from
an area layer, an area's attribute (a council member), and the nearest named place of a kind with its distance.
The date comes from the caller (the injected clock), never from here."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from places.geo import metres
from places.index import Place, PlaceIndex

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
RECYCLING_EVERY = 14  # days: every other week


@dataclass(frozen=True)
class Collection:
    """A collection zone's day, and the next recycling date on or after today."""

    day: str  # as the layer writes it: "Thursday"
    next_recycling: dt.date | None


@dataclass(frozen=True)
class Nearest:
    place: Place
    metres: float


def collection(index: PlaceIndex, *, latitude: float, longitude: float, today: dt.date,
               layer: str = "trash") -> Collection | None:
    """The collection day where the point lies, and its next recycling date (every other week from the layer's
    `recycling_start`); None outside every zone of the layer."""
    areas = index.areas_at(latitude, longitude)
    day = areas.get(f"{layer}.day", "")
    if day.lower() not in WEEKDAYS:
        return None
    start = _date(areas.get(f"{layer}.recycling_start", ""))
    if start is None:
        return Collection(day, None)
    late = (today - start).days % RECYCLING_EVERY if today >= start else 0
    next_day = today + dt.timedelta(days=(RECYCLING_EVERY - late) % RECYCLING_EVERY) if today >= start else start
    return Collection(day, next_day)


def attribute(index: PlaceIndex, *, latitude: float, longitude: float, layer: str, name: str) -> str | None:
    """One attribute of the area of a layer the point lies in ('council', 'member'), or None."""
    return index.areas_at(latitude, longitude).get(f"{layer}.{name}")


def nearest(index: PlaceIndex, *, latitude: float, longitude: float, kind: str) -> Nearest | None:
    """The closest named place of a kind (a library), with how far it is."""
    found = [Nearest(p, metres(latitude, longitude, p.latitude, p.longitude)) for p in index.places if p.kind == kind]
    return min(found, key=lambda n: n.metres) if found else None


def _date(text: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return None
