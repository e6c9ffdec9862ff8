"""Writes the sample map of the fictional Springfield (places/sample/springfield/), the same every time it is run:
`.venv/bin/python -m places.sample.generate`. A street grid split by Main Street (north/south) and Division Street
(east/west), numbered and named streets, some buildings with units, two area layers and a few named places."""

from __future__ import annotations

import csv
import json
import random
from dataclasses import dataclass
from pathlib import Path

OUT = Path(__file__).resolve().parent / "springfield"
LAT0, LON0 = 39.7817, -89.6501  # Division and Main
DLAT, DLON = 0.00135, 0.00175  # one block, about 150 m each way
SETBACK = 0.1  # houses stand a tenth of a block off the street's centre line
SOUTH, NORTH, WEST, EAST = -7, 12, -6, 6  # the grid's extent, in blocks


@dataclass(frozen=True)
class Street:
    name: str
    kind: str  # St, Ave...
    runs: str  # "ns" or "ew"
    at: int  # the block line it runs along (x for north-south, y for east-west)
    start: int
    end: int


NORTH_SOUTH = ["Walnut Dr", "Pine St", "Cedar Ln", "Maple St", "Elm Ave", "Oak St", "Main St",
               "Lincoln Ave", "Washington St", "Jefferson St", "Adams Blvd", "Madison St", "Monroe Dr"]
SOUTH_NAMES = ["Grand Blvd", "Lake Ave", "River Rd", "Mill St", "College Ave", "Church St"]


def streets() -> list[Street]:
    """Every street of the grid."""
    found = []
    for x, full in zip(range(WEST, EAST + 1), NORTH_SOUTH, strict=True):
        name, kind = full.rsplit(" ", 1)
        found.append(Street(name, kind, "ns", x, SOUTH + 1, NORTH))
    found.append(Street("Division", "St", "ew", 0, WEST, EAST))
    for y in range(1, NORTH + 1):
        found.append(Street(_ordinal(y), "St", "ew", y, WEST, EAST))
    for y, full in zip(range(-6, 0), SOUTH_NAMES, strict=True):
        name, kind = full.rsplit(" ", 1)
        found.append(Street(name, kind, "ew", y, WEST, EAST))
    found.append(Street("Oak", "Ct", "ew", SOUTH, -3, 0))  # a second Oak: "Oak" alone must be asked about
    return found


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _lat_lon(x: float, y: float) -> tuple[float, float]:
    return round(LAT0 + y * DLAT, 6), round(LON0 + x * DLON, 6)


def address_points(rng: random.Random) -> list[dict]:
    """Three buildings a side a block on every street; one in twelve has two to four apartments."""
    rows = []
    for street in streets():
        for block in range(street.start, street.end):
            low, high = (block, block + 1)
            number_block = abs(low) if low >= 0 else abs(high)  # blocks count outward from Main and Division
            direction = ("N" if low >= 0 else "S") if street.runs == "ns" else ("E" if low >= 0 else "W")
            for parity, side in ((0, 1), (1, -1)):
                offsets = sorted(rng.sample([n for n in range(2, 99) if n % 2 == parity], 3))
                for offset in offsets:
                    number = number_block * 100 + offset
                    along = (number_block + offset / 100) * (1 if low >= 0 else -1)
                    x, y = (street.at + side * SETBACK, along) if street.runs == "ns" else (
                        along, street.at + side * SETBACK)
                    lat, lon = _lat_lon(x, y)
                    name = f"{direction} {street.name} {street.kind}"
                    units = [""] if rng.random() > 1 / 12 else [""] + [f"Apt {u}" for u in range(1, rng.randint(3, 5))]
                    for unit in units:
                        address = f"{number} {name}" + (f" {unit}" if unit else "")
                        rows.append({"address": address, "number": number, "street": name, "unit": unit,
                                     "latitude": lat, "longitude": lon})
    return rows


def _box(x0: float, y0: float, x1: float, y1: float) -> dict:
    corners = [_lat_lon(x0, y0), _lat_lon(x1, y0), _lat_lon(x1, y1), _lat_lon(x0, y1), _lat_lon(x0, y0)]
    return {"type": "Polygon", "coordinates": [[[lon, lat] for lat, lon in corners]]}


def _layer(name: str, title: str, features: list[tuple[dict, dict]]) -> dict:
    return {"type": "FeatureCollection", "name": name, "title": title,
            "features": [{"type": "Feature", "properties": props, "geometry": geometry}
                         for props, geometry in features]}


def trash_zones() -> dict:
    """Four collection zones, one per quarter of the city, each with its day and its first recycling week."""
    w, e, s, n = WEST - 0.5, EAST + 0.5, SOUTH - 0.5, NORTH + 0.5
    return _layer("trash", "Trash collection zones", [
        ({"zone": "Northeast", "day": "Monday", "recycling_start": "2026-01-05"}, _box(0, 0, e, n)),
        ({"zone": "Northwest", "day": "Tuesday", "recycling_start": "2026-01-13"}, _box(w, 0, 0, n)),
        ({"zone": "Southwest", "day": "Wednesday", "recycling_start": "2026-01-07"}, _box(w, s, 0, 0)),
        ({"zone": "Southeast", "day": "Thursday", "recycling_start": "2026-01-15"}, _box(0, s, e, 0)),
    ])


def council_districts() -> dict:
    """Three council districts, in bands from north to south, each with its member."""
    w, e, s, n = WEST - 0.5, EAST + 0.5, SOUTH - 0.5, NORTH + 0.5
    return _layer("council", "City council districts", [
        ({"district": "1", "member": "Maria Ortega", "phone": "555-555-0121"}, _box(w, 4.5, e, n)),
        ({"district": "2", "member": "James Whitfield", "phone": "555-555-0122"}, _box(w, -2.5, e, 4.5)),
        ({"district": "3", "member": "Priya Raman", "phone": "555-555-0123"}, _box(w, s, e, -2.5)),
    ])


PLACES = [  # name, kind, address, x, y, hours in English and Spanish
    ("Oak Street Library", "library", "350 N Oak St", -1.1, 3.5, "Monday to Saturday, 9 AM to 6 PM",
     "de lunes a sábado, de 9 a 18 horas"),
    ("Lincoln Library", "library", "820 N Lincoln Ave", 1.1, 8.2, "Monday to Friday, 10 AM to 8 PM",
     "de lunes a viernes, de 10 a 20 horas"),
    ("Riverside Library", "library", "410 E River Rd", 4.1, -3.9, "Tuesday to Sunday, 10 AM to 5 PM",
     "de martes a domingo, de 10 a 17 horas"),
    ("Washington Park", "park", "600 N Washington St", 2.3, 6.0, "every day, 6 AM to 10 PM",
     "todos los días, de 6 a 22 horas"),
    ("Lakeside Park", "park", "300 W Lake Ave", -3.0, -5.3, "every day, 6 AM to 10 PM",
     "todos los días, de 6 a 22 horas"),
    ("City Hall", "city_hall", "100 N Main St", 0.1, 1.0, "Monday to Friday, 8 AM to 5 PM",
     "de lunes a viernes, de 8 a 17 horas"),
]


def named_places() -> dict:
    """Libraries, parks and city hall, with their hours."""
    features = []
    for name, kind, address, x, y, hours_en, hours_es in PLACES:
        lat, lon = _lat_lon(x, y)
        props = {"name": name, "kind": kind, "address": address, "hours_en-US": hours_en, "hours_es-US": hours_es}
        features.append((props, {"type": "Point", "coordinates": [lon, lat]}))
    return _layer("places", "Named places", features)


def main() -> None:
    """Write the four files."""
    OUT.mkdir(exist_ok=True)
    rows = address_points(random.Random(311))
    with (OUT / "address_points.csv").open("w", newline="", encoding="utf-8") as out:
        writer = csv.DictWriter(out, fieldnames=["address", "number", "street", "unit", "latitude", "longitude"])
        writer.writeheader()
        writer.writerows(rows)
    for filename, document in (("trash.geojson", trash_zones()), ("council.geojson", council_districts()),
                               ("places.geojson", named_places())):
        (OUT / filename).write_text(json.dumps(document, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"{len(rows)} address points written to {OUT}")


if __name__ == "__main__":
    main()
