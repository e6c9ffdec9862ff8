"""Residents' numbers and words at rest and in logs: masked in step records, reports and worker logs; 0600 files."""

from __future__ import annotations

import logging
import os
import stat

import pytest
from sqlmodel import select

from core.db import make_engine
from core.redact import for_report
from ivr.models import CallStep
from tests.conftest import run_jobs
from tests.console.test_routes import api_token, auth
from tests.helpers import Caller, Texter
from tests.ivr.test_report import report_pothole


@pytest.mark.parametrize(
    ("said", "shown"),
    [
        ("my number is 312-555-0147 call me", "my number is [removed] call me"),
        ("it's at 1200 N Main St near the park", "it's at [removed] near the park"),
        ("three one two five five five oh one four seven", "[removed]"),
        ("email me at ana.perez@example.com", "email me at [removed]"),
        ("vivo en calle Luna 45", "vivo en [removed]"),
        ("when does the library close", "when does the library close"),
        ("I need 2 bins", "I need 2 bins"),
    ],
)
def test_what_looks_like_a_number_or_address_is_removed(said, shown):
    assert for_report(said) == shown


def test_keyed_numbers_addresses_and_details_are_not_kept_in_step_records(app, session, drain):
    caller = report_pothole(Caller(app), address="4410 West Addison Street", found=None)
    heard = caller.last
    while heard.node == "report_attr":
        heard = caller.press("*")
    caller.say("the hole is in front of my house, call my wife at 312 555 0199")
    caller.press("2")
    caller.press("3125550188")
    drain()
    values = [s.input_value for s in session.exec(select(CallStep).where(CallStep.call_sid == caller.sid)).all()]
    assert not any("Addison" in v or "555" in v or "wife" in v for v in values), values
    assert values.count("[private]") >= 3


def test_the_daily_report_masks_what_residents_said(app, clock, drain):
    Texter(app).send("penguin jokes for the kids at 1200 N Main St, call 312-555-0147")
    drain()
    report = app.get("/api/reports/daily", headers=auth(api_token(app))).json()
    texts = [q["text"] for q in report["unanswered_questions"]]
    assert texts and not any("555" in t or "Main St" in t for t in texts)


def test_worker_logs_show_neither_numbers_nor_bodies(app, settings, redis, twilio_api, caplog):
    caller = Caller(app, phone="+13125550147")
    caller.dial()
    caller.say("when is the library open")
    caller.press("3")
    with caplog.at_level(logging.DEBUG):
        run_jobs(settings, redis)
    assert twilio_api.messages()
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "messaging.outbound.send_text" in logged
    assert "5550147" not in logged and "library" not in logged.lower()


def test_the_sqlite_file_is_created_0600_with_its_wal_files(tmp_path, no_narrowing):
    engine = make_engine(f"sqlite:///{tmp_path / 'onecall.db'}")
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE t (x TEXT)")
        connection.exec_driver_sql("INSERT INTO t VALUES ('+13125550147')")
        names = sorted(path.name for path in tmp_path.iterdir())
    engine.dispose()
    assert names == ["onecall.db", "onecall.db-shm", "onecall.db-wal"]
    for path in tmp_path.iterdir():
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600, path


def test_the_sqlite_file_is_readable_by_its_owner_only(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'onecall.db'}")
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE t (x TEXT)")
        connection.exec_driver_sql("INSERT INTO t VALUES ('+13125550147')")
    with engine.connect() as connection:
        connection.exec_driver_sql("SELECT * FROM t")
    engine.dispose()
    for path in tmp_path.iterdir():
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600, path
