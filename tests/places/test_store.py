"""Storing a map and reading it back; `run.py places import` and the sample map on a fresh database."""

from __future__ import annotations

import subprocess
import sys

from sqlmodel import Session

from core.db import in_session, make_engine
from core.migrate import upgrade
from places import store
from places.importing import read
from settings import ROOT


def test_the_sample_map_loads_once_and_reads_back_as_an_index(tmp_path):
    url = f"sqlite:///{tmp_path / 'map.db'}"
    upgrade(url)
    engine = make_engine(url)
    assert in_session(engine, store.seed_sample) > 3000
    assert in_session(engine, store.seed_sample) == 0  # a database with a map keeps its own
    index = in_session(engine, store.load)
    engine.dispose()
    assert index.point_count > 3000
    assert {"main", "5th", "oak"} <= set(index.by_key)
    city_hall = next(p for p in index.places if p.kind == "city_hall")
    areas = index.areas_at(city_hall.latitude, city_hall.longitude)
    assert areas["trash.day"] == "Monday" and areas["council.member"] == "James Whitfield"


def test_replacing_a_layer_keeps_the_others(tmp_path):
    url = f"sqlite:///{tmp_path / 'map.db'}"
    upgrade(url)
    engine = make_engine(url)
    in_session(engine, store.seed_sample)
    trash = read(store.SAMPLE / "trash.geojson")
    trash.areas = trash.areas[:1]
    in_session(engine, store.save, found=trash, replace=True)
    with Session(engine) as session:
        index = store.load(session)
    engine.dispose()
    assert sum(a.layer == "trash" for a in index.areas) == 1
    assert sum(a.layer == "council" for a in index.areas) == 3


def test_the_import_command_loads_good_rows_and_lists_bad_ones(tmp_path):
    url = f"sqlite:///{tmp_path / 'map.db'}"
    upgrade(url)
    points = tmp_path / "points.csv"
    points.write_text("address,number,street,unit,latitude,longitude\n"
                      "1 A St,1,A St,,39.7,-89.6\n2 A St,2,A St,,,-89.6\n", encoding="utf-8")
    env = {"DATABASE_URL": url, "ONECALL_VAR_DIR": str(tmp_path / "var"), "PATH": "/usr/bin:/bin"}
    done = subprocess.run([sys.executable, str(ROOT / "run.py"), "places", "import", str(points)],
                          capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 1, done.stderr
    assert "1 points loaded, 1 left out" in done.stdout
    assert "line 3: latitude and longitude must be numbers" in done.stdout
    engine = make_engine(url)
    index = in_session(engine, store.load)
    engine.dispose()
    assert list(index.by_key) == ["a"]
