"""Reading a city's map files: good rows read, bad ones reported by line and left out."""

from __future__ import annotations

import json

import pytest

from places.importing import FileKind, MapFileError, read
from places.store import SAMPLE


def test_csv_points_keep_the_good_rows_and_report_the_bad_by_line(tmp_path):
    path = tmp_path / "points.csv"
    path.write_text(
        "address,number,street,unit,latitude,longitude\n"
        "1205 N Main St,1205,N Main St,,39.79,-89.65\n"
        "oops,,,,north,-89.65\n"
        "14 Elm Ave Apt 2,,,,39.78,-89.66\n"
        "7 Oak St,7,Oak St,,91,-89.65\n",
        encoding="utf-8",
    )
    found = read(path)
    assert found.kind is FileKind.POINTS
    assert [(p.number, p.predir, p.name, p.kind, p.unit) for p in found.points] == [
        ("1205", "N", "Main", "St", ""), ("14", "", "Elm", "Ave", "Apt 2")]
    assert [(e.line, "latitude" in e.reason) for e in found.errors] == [(3, True), (5, True)]


def test_a_csv_without_the_columns_is_refused_whole(tmp_path):
    path = tmp_path / "points.csv"
    path.write_text("name,x\nfoo,1\n", encoding="utf-8")
    with pytest.raises(MapFileError, match="columns"):
        read(path)


def test_area_layers_name_their_bad_features_by_line(tmp_path):
    square = {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]]}
    bowtie = {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]}
    document = {"type": "FeatureCollection", "name": "Police Precincts", "features": [
        {"type": "Feature", "properties": {"precinct": "7"}, "geometry": square},
        {"type": "Feature", "properties": {"precinct": "8"}, "geometry": bowtie},
        {"type": "Feature", "properties": {"precinct": "9"}, "geometry": {"type": "Point", "coordinates": [0, 0]}},
    ]}
    path = tmp_path / "precincts.geojson"
    path.write_text(json.dumps(document, indent=1), encoding="utf-8")
    found = read(path, kind=FileKind.AREAS)
    assert found.layer == "police_precincts"
    assert [attributes for attributes, _ in found.areas] == [{"precinct": "7"}]
    lines = path.read_text().splitlines()
    assert [("crosses itself" in e.reason, lines[e.line - 1].strip()) for e in found.errors] == [
        (True, "{"), (False, "{")]
    second, third = ("\n".join(lines[e.line - 1:e.line + 8]) for e in found.errors)
    assert '"precinct": "8"' in second and '"precinct": "9"' in third and '"7"' not in second


def test_named_places_need_a_name_and_a_kind(tmp_path):
    document = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": "Pool", "kind": "Swimming Pool", "hours": "9-5"},
         "geometry": {"type": "Point", "coordinates": [-89.6, 39.7]}},
        {"type": "Feature", "properties": {"name": "", "kind": "park"},
         "geometry": {"type": "Point", "coordinates": [-89.6, 39.7]}},
    ]}
    path = tmp_path / "places.geojson"
    path.write_text(json.dumps(document), encoding="utf-8")
    found = read(path)
    assert found.kind is FileKind.PLACES
    assert [(p.name, p.kind, p.attributes) for p in found.places] == [("Pool", "swimming_pool", {"hours": "9-5"})]
    assert len(found.errors) == 1 and "name" in found.errors[0].reason


def test_the_sample_map_reads_without_a_bad_row():
    kinds = {}
    for path in sorted(SAMPLE.iterdir()):
        found = read(path)
        assert found.errors == [], path
        kinds[path.name] = (found.kind, len(found.points) + len(found.areas) + len(found.places))
    assert kinds["address_points.csv"][1] > 3000
    assert kinds["trash.geojson"] == (FileKind.AREAS, 4)
    assert kinds["council.geojson"] == (FileKind.AREAS, 3)
    assert kinds["places.geojson"][0] is FileKind.PLACES
