"""The map in memory: streets keyed by their folded name (each with its house numbers), area layers in an STRtree,
named places. Built once per process from the tables (places.cache) or straight from rows (tests, the bench)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import shapely
from shapely import STRtree
from shapely.geometry import shape

from places.geo import metres_per_degree
from places.words import DIRECTION_NAMES, TYPE_NAMES, fold, ordinal_word, phonetic


@dataclass(frozen=True, slots=True)
class Point:
    """An address point as the matcher holds it."""

    number: str
    predir: str
    name: str
    kind: str
    postdir: str
    unit: str
    latitude: float
    longitude: float

    def label(self) -> str:
        """'1205 N Main St Apt 2': the address as the map writes it."""
        parts = [self.number, self.predir, self.name, self.kind, self.postdir, self.unit]
        return " ".join(p for p in parts if p)

    def spoken(self) -> str:
        """'1205 North Main Street, Apt 2': the address as it is read back."""
        street = Street.say(self.predir, self.name, self.kind, self.postdir)
        return f"{self.number} {street}" + (f", {self.unit}" if self.unit else "")


@dataclass(eq=False)
class Street:
    """One street (a name with its directional and type), its house numbers and where its points lie."""

    key: str
    predir: str
    name: str
    kind: str
    postdir: str
    numbers: dict[str, list[Point]] = field(default_factory=lambda: defaultdict(list))
    _xy: np.ndarray | None = None

    @staticmethod
    def say(predir: str, name: str, kind: str, postdir: str) -> str:
        """'North Main Street'."""
        words = [DIRECTION_NAMES.get(predir, predir), name, TYPE_NAMES.get(kind, kind),
                 DIRECTION_NAMES.get(postdir, postdir)]
        return " ".join(w for w in words if w)

    def label(self) -> str:
        """'N Main St'."""
        return " ".join(p for p in (self.predir, self.name, self.kind, self.postdir) if p)

    def spoken(self) -> str:
        """'North Main Street'."""
        return self.say(self.predir, self.name, self.kind, self.postdir)

    def lat_lon(self) -> np.ndarray:
        """Its points' latitudes and longitudes, one row each (the buildings, not their units)."""
        if self._xy is None:
            rows = [(p[0].latitude, p[0].longitude) for p in self.numbers.values()]
            self._xy = np.array(rows, dtype=float).reshape(-1, 2)
        return self._xy


@dataclass(frozen=True)
class Place:
    """A named place: its name, kind, address, location and attributes (hours...)."""

    name: str
    kind: str
    address: str
    latitude: float
    longitude: float
    attributes: dict[str, str]


@dataclass(frozen=True)
class Area:
    layer: str
    attributes: dict[str, str]


@dataclass(frozen=True)
class PointRow:
    """An address point row, whatever it was read from."""

    number: str
    predir: str
    name: str
    kind: str
    postdir: str
    unit: str
    latitude: float
    longitude: float


def street_key(name: str) -> str:
    """What streets are looked up by: the name folded, ordinals as digits ('Main' -> 'main', 'Fifth' -> '5th')."""
    return " ".join(ordinal_word(w) or w for w in fold(name).split())


class PlaceIndex:
    """The whole map, ready for matching."""

    def __init__(self, points: Iterable[PointRow], areas: Iterable[tuple[str, dict, dict]] = (),
                 places: Iterable[Place] = (), version: str = "") -> None:
        self.version = version
        streets: dict[tuple[str, str, str, str], Street] = {}
        self.by_key: dict[str, list[Street]] = defaultdict(list)
        count = 0
        for row in points:
            ident = (row.predir, street_key(row.name), row.kind, row.postdir)
            street = streets.get(ident)
            if street is None:
                street = streets[ident] = Street(ident[1], row.predir, row.name, row.kind, row.postdir)
                self.by_key[street.key].append(street)
            point = Point(row.number, row.predir, row.name, row.kind, row.postdir, row.unit, row.latitude,
                          row.longitude)
            units = street.numbers[row.number]
            units.insert(0, point) if not row.unit else units.append(point)
            count += 1
        self.point_count = count
        self.keys = sorted(self.by_key)
        self.sounds = [phonetic_key(k) for k in self.keys]
        self.streets = list(streets.values())
        lats = [s.lat_lon()[:, 0].mean() for s in self.streets if len(s.numbers)]
        self.centre_latitude = float(np.mean(lats)) if lats else 0.0
        self.per_degree = metres_per_degree(self.centre_latitude)
        self.areas: list[Area] = []
        geometries = []
        for layer, attributes, geometry in areas:
            self.areas.append(Area(layer, dict(attributes)))
            geometries.append(shape(geometry))
        self.layers = sorted({a.layer for a in self.areas})
        self._area_tree = STRtree(geometries) if geometries else None
        self.places = list(places)
        self.corners: dict[tuple[int, int], tuple[float, float] | None] = {}  # filled as intersections are asked

    def areas_at(self, latitude: float, longitude: float) -> dict[str, str]:
        """The attributes of every area the point lies in, as 'layer.attribute' (e.g. 'trash.day': 'Thursday')."""
        if self._area_tree is None:
            return {}
        found: dict[str, str] = {}
        hits = self._area_tree.query(shapely.Point(longitude, latitude), predicate="intersects")
        for i in sorted(int(h) for h in hits):
            area = self.areas[i]
            for name, value in area.attributes.items():
                found.setdefault(f"{area.layer}.{name}", str(value))
        return found

    def xy(self, latlon: np.ndarray) -> np.ndarray:
        """Latitudes and longitudes as metres on a flat local plane (enough within a city)."""
        return np.column_stack((latlon[:, 1] * self.per_degree[1], latlon[:, 0] * self.per_degree[0]))


def phonetic_key(key: str) -> str:
    """The sound key of a street name of one or more words."""
    return " ".join(phonetic(w) for w in key.split())
