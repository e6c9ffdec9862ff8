"""Reading a city's map files: address points (CSV or GeoJSON), area layers (GeoJSON polygons with attributes) and
named places (GeoJSON points). A bad row is reported with its line and left out; the good ones are still read."""

from __future__ import annotations

import csv
import io
import json
import math
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

import usaddress
from shapely.geometry import shape

from core import text_rules
from places.index import Place, PointRow
from places.words import DIRECTIONS, STREET_TYPES, fold

MAX_FILE_BYTES = 200 * 1024 * 1024
POINT_COLUMNS = ("address", "number", "street", "unit", "latitude", "longitude")


class FileKind(StrEnum):
    POINTS = "points"
    AREAS = "areas"
    PLACES = "places"


@dataclass(frozen=True)
class RowError:
    """A row left out: where it is in the file and why."""

    line: int
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.reason}"


@dataclass
class Read:
    """What a file held: the good rows of its kind, and the bad ones."""

    kind: FileKind
    points: list[PointRow] = field(default_factory=list)
    areas: list[tuple[dict[str, str], dict]] = field(default_factory=list)
    places: list[Place] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    layer: str = ""
    title: str = ""


class MapFileError(ValueError):
    """A file that cannot be read at all (not CSV or GeoJSON, no columns we know)."""


def read(path: Path, *, kind: FileKind | None = None, layer: str | None = None) -> Read:
    """Read one map file; its kind from its contents unless given."""
    if path.stat().st_size > MAX_FILE_BYTES:
        raise MapFileError(f"{path.name} is larger than {MAX_FILE_BYTES // 2**20} MB")
    text = path.read_text(encoding="utf-8-sig")
    if path.suffix.lower() == ".csv":
        return read_points_csv(text)
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise MapFileError(f"{path.name} is neither CSV nor JSON (line {exc.lineno}: {exc.msg})") from None
    if not isinstance(document, dict) or not isinstance(document.get("features"), list):
        raise MapFileError(f"{path.name} is not a GeoJSON FeatureCollection")
    kind = kind or _kind_of(document)
    lines = _feature_lines(text, len(document["features"]))
    if kind is FileKind.AREAS:
        name = layer or str(document.get("name") or path.stem)
        return read_areas(document, lines, layer=name, title=str(document.get("title") or name))
    if kind is FileKind.PLACES:
        return read_places(document, lines)
    return read_points_geojson(document, lines)


def _kind_of(document: dict) -> FileKind:
    for feature in document["features"]:
        geometry = (feature or {}).get("geometry") or {}
        if geometry.get("type") in ("Polygon", "MultiPolygon"):
            return FileKind.AREAS
        props = (feature or {}).get("properties") or {}
        if geometry.get("type") == "Point":
            return FileKind.PLACES if "kind" in props and "name" in props else FileKind.POINTS
    return FileKind.POINTS


def _feature_lines(text: str, count: int) -> list[int]:
    """The line each feature starts on, so a bad one is reported where an editor shows it."""
    lines, line, depth, in_string, escaped, features_at = [], 1, 0, False, False, None
    for i, c in enumerate(text):
        if c == "\n":
            line += 1
        if in_string:
            escaped = not escaped and c == "\\"
            if c == '"' and not escaped:
                in_string = False
            continue
        if c == '"':
            in_string = True
            if features_at is None and text.startswith('"features"', i):
                features_at = depth
        elif c in "{[":
            depth += 1
            if features_at is not None and c == "{" and depth == features_at + 2:
                lines.append(line)
        elif c in "}]":
            depth -= 1
    return (lines + [0] * count)[:count] if len(lines) >= count else [i + 1 for i in range(count)]


def _coordinate(value: object, limit: float) -> float | None:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) and -limit <= number <= limit else None


def split_street(street: str) -> tuple[str, str, str, str]:
    """'N Main St' -> ('N', 'Main', 'St', ''): directional, name as written, type, trailing directional."""
    words = street.split()
    folded = [fold(w) for w in words]
    predir = kind = postdir = ""
    if len(words) > 1 and folded[0] in DIRECTIONS:
        predir, words, folded = DIRECTIONS[folded[0]], words[1:], folded[1:]
    if len(words) > 1 and folded[-1] in DIRECTIONS:
        postdir, words, folded = DIRECTIONS[folded[-1]], words[:-1], folded[:-1]
    if len(words) > 1 and folded[-1] in STREET_TYPES:
        kind, words = STREET_TYPES[folded[-1]], words[:-1]
    return predir, " ".join(words), kind, postdir


def point_row(*, address: str, number: str, street: str, unit: str, latitude: object, longitude: object) -> PointRow:
    """One address point from its fields; ValueError says what is wrong with it."""
    lat, lon = _coordinate(latitude, 90), _coordinate(longitude, 180)
    if lat is None or lon is None:
        raise ValueError("latitude and longitude must be numbers (latitude within ±90, longitude within ±180)")
    address, number, street, unit = (text_rules.clean(str(v or "")).strip() for v in (address, number, street, unit))
    if not street or not number:
        if not address:
            raise ValueError("an address, or a number and a street, is required")
        try:
            tags, _ = usaddress.tag(address)
        except usaddress.RepeatedLabelError:
            raise ValueError(f"the address {address[:60]!r} cannot be read") from None
        number = number or tags.get("AddressNumber", "")
        parts = [tags.get(k, "") for k in ("StreetNamePreDirectional", "StreetNamePreType", "StreetName",
                                            "StreetNamePostType", "StreetNamePostDirectional")]
        street = street or " ".join(p for p in parts if p)
        unit = unit or " ".join(tags.get(k, "") for k in ("OccupancyType", "OccupancyIdentifier")).strip()
    if not number or not street:
        raise ValueError(f"no house number and street in {address[:60]!r}")
    if len(number) > 12 or len(street) > 100 or len(unit) > 20:
        raise ValueError("number, street or unit is too long")
    predir, name, kind, postdir = split_street(street)
    return PointRow(number, predir, name, kind, postdir, unit, lat, lon)


def read_points_csv(text: str) -> Read:
    """Address points from CSV with the columns address, number, street, unit, latitude, longitude."""
    result = Read(FileKind.POINTS)
    reader = csv.DictReader(io.StringIO(text))
    columns = {c.strip().lower() for c in reader.fieldnames or ()}
    if not {"latitude", "longitude"} <= columns or not ({"address"} <= columns or {"number", "street"} <= columns):
        raise MapFileError(f"the CSV needs the columns {', '.join(POINT_COLUMNS)} (address, or number and street)")
    for row in reader:
        fields = {k.strip().lower(): v for k, v in row.items() if k}
        try:
            result.points.append(point_row(**{c: fields.get(c) or "" for c in POINT_COLUMNS}))
        except ValueError as exc:
            result.errors.append(RowError(reader.line_num, str(exc)))
    return result


def read_points_geojson(document: dict, lines: list[int]) -> Read:
    """Address points from GeoJSON Point features with the same properties as the CSV's columns."""
    result = Read(FileKind.POINTS)
    for feature, line in zip(document["features"], lines, strict=True):
        try:
            lon, lat = _point(feature)
            props = feature.get("properties") or {}
            fields = {c: str(props.get(c) or "") for c in ("address", "number", "street", "unit")}
            result.points.append(point_row(**fields, latitude=lat, longitude=lon))
        except ValueError as exc:
            result.errors.append(RowError(line, str(exc)))
    return result


def _point(feature: object) -> tuple[object, object]:
    geometry = feature.get("geometry") if isinstance(feature, dict) else None
    if not isinstance(geometry, dict) or geometry.get("type") != "Point":
        raise ValueError("not a Point feature")
    coordinates = geometry.get("coordinates")
    if not isinstance(coordinates, list) or len(coordinates) < 2:
        raise ValueError("a Point needs [longitude, latitude]")
    return coordinates[0], coordinates[1]


def _attributes(props: object) -> dict[str, str]:
    if not isinstance(props, dict):
        return {}
    return {text_rules.clean(str(k))[:60]: text_rules.clean(str(v))[:300] for k, v in props.items() if v is not None}


def read_areas(document: dict, lines: list[int], *, layer: str, title: str) -> Read:
    """An area layer: Polygon or MultiPolygon features, each with its attributes."""
    result = Read(FileKind.AREAS, layer=fold(layer).replace(" ", "_")[:40], title=title[:120])
    if not result.layer:
        raise MapFileError("the layer needs a name (--layer NAME)")
    for feature, line in zip(document["features"], lines, strict=True):
        geometry = feature.get("geometry") if isinstance(feature, dict) else None
        if not isinstance(geometry, dict) or geometry.get("type") not in ("Polygon", "MultiPolygon"):
            result.errors.append(RowError(line, "not a Polygon or MultiPolygon feature"))
            continue
        try:
            outline = shape(geometry)
        except Exception as exc:  # noqa: BLE001 (shapely raises several kinds for a malformed outline)
            result.errors.append(RowError(line, f"the outline cannot be read ({type(exc).__name__})"))
            continue
        if outline.is_empty or not outline.is_valid:
            result.errors.append(RowError(line, "the outline is empty or crosses itself"))
            continue
        result.areas.append((_attributes(feature.get("properties")), geometry))
    return result


def read_places(document: dict, lines: list[int]) -> Read:
    """Named places: Point features with a name, a kind (library, park...), an address and other attributes."""
    result = Read(FileKind.PLACES)
    for feature, line in zip(document["features"], lines, strict=True):
        try:
            lon, lat = _point(feature)
            lat, lon = _coordinate(lat, 90), _coordinate(lon, 180)
            if lat is None or lon is None:
                raise ValueError("latitude and longitude must be numbers")
            props = _attributes(feature.get("properties"))
            name, kind = props.pop("name", "").strip(), fold(props.pop("kind", "")).replace(" ", "_")
            if not name or not kind:
                raise ValueError("a named place needs a name and a kind")
            address = props.pop("address", "")
            result.places.append(Place(name[:120], kind[:40], address[:200], lat, lon, props))
        except ValueError as exc:
            result.errors.append(RowError(line, str(exc)))
    return result
