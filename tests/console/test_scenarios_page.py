"""The scenarios page: the scenario files listed, "Run all" playing them against this service, each step's report."""

from __future__ import annotations

import re

import pytest
from sqlmodel import select

from console.models import Role
from console.pages import scenarios as scenarios_page
from core.audit import AuditEntry
from tests.console.browser_session import csrf_of, signed_in

HOSTILE = '<script>alert(1)</script>" onfocus="alert(2)" autofocus="'
ESCAPED_TAG = "&lt;script&gt;alert(1)&lt;/script&gt;"


def run_all(app):
    token = csrf_of(app.get("/console/scenarios").text)
    return app.post("/console/scenarios/run", data={"csrf": token})


def test_run_all_plays_the_starter_set_and_reports_every_step(app, session):
    signed_in(app, Role.SUPERVISOR, name="ana")
    listed = app.get("/console/scenarios")
    assert listed.status_code == 200
    assert "Report a pothole (English)" in listed.text and "Reportar un bache (español)" in listed.text
    assert "scenarios/en-US/report-a-problem.toml" in listed.text
    assert "For trainers: Agents answer until 6 p.m." in listed.text
    assert '<a href="/console/scenarios" aria-current="page">Scenarios</a>' in listed.text
    ran = run_all(app)
    assert ran.status_code == 200
    assert "0 failed" in ran.text and "Failed" not in ran.text, re.findall(r"Failed.{0,1500}", ran.text, re.S)[:2]
    assert "Passed</span>\n      Report a pothole (English)</summary>" in ran.text
    # Played at their own simulated time as test traffic: only the storm scenarios (a preset) are skipped.
    assert "Passed</span>\n      Call-back at a chosen time, asked for at 4:55 p.m. (English)</summary>" in ran.text
    assert "Skipped: needs the storm preset switched on" in ran.text
    assert ran.text.count("Skipped: ") == 2
    assert "Your ticket number is" in ran.text  # what was heard, step by step
    entry = session.exec(select(AuditEntry).where(AuditEntry.action == "run scenarios")).one()
    assert entry.actor == "ana (console)" and entry.after["failed"] == 0 and entry.after["passed"] > 10
    assert entry.at == app.app.state.ctx.now()  # the page's own record: not at a scenario's simulated time


BROKEN = """
name = "Pothole at a hostile address {hostile}"
description = "Expects a word the service never says {hostile}"

[[step]]
press = "1"

[[step]]
press = "2"

[[step]]
say = "pothole"

[[step]]
say = "{address}"

[[step]]
say = "{address}"
hears = ["Welcome to Shelbyville"]

[[step]]
press = "1"
"""


def test_a_failing_step_shows_why_and_what_was_heard_as_text(app, session, tmp_path, monkeypatch):
    hostile = HOSTILE.replace('"', "'")
    text = BROKEN.replace("{hostile}", hostile).replace("{address}", hostile)
    (tmp_path / "broken.toml").write_text(text, encoding="utf-8")
    monkeypatch.setattr(scenarios_page, "FOLDER", tmp_path)
    signed_in(app, Role.ADMIN, name="chief")
    ran = run_all(app)
    assert "0 passed, 1 failed, 0 skipped." in ran.text
    assert "did not hear &#34;Welcome to Shelbyville&#34;" in ran.text
    assert '<details class="card scenario scenario-failed" open>' in ran.text  # a failure is shown unfolded
    # Not on the city's map twice: the words are kept as said, and read back (escaped).
    assert "<details open>" in ran.text and "keep the location as you gave it:" in ran.text
    assert "not run</span>\n        press 1" in ran.text
    assert "<script>" not in ran.text and "onfocus='alert(2)'" not in ran.text
    assert ran.text.count(ESCAPED_TAG) >= 4  # what was said and heard back, the name and the description


def test_a_file_that_cannot_be_read_is_explained_and_nothing_runs(app, tmp_path, monkeypatch):
    hostile = HOSTILE.replace('"', "'")
    (tmp_path / "bad.toml").write_text(f'name = "x {hostile}"\n[[step]]\npress = 1\n', encoding="utf-8")
    monkeypatch.setattr(scenarios_page, "FOLDER", tmp_path)
    signed_in(app, Role.SUPERVISOR)
    shown = app.get("/console/scenarios")
    assert "A scenario file cannot be read:" in shown.text and "press takes keys as text" in shown.text
    assert "Run all" not in shown.text and "<script>" not in shown.text


def test_an_empty_folder_says_how_to_add_scenarios(app, tmp_path, monkeypatch):
    monkeypatch.setattr(scenarios_page, "FOLDER", tmp_path)
    signed_in(app, Role.SUPERVISOR)
    shown = app.get("/console/scenarios")
    assert "There are no scenario files yet." in shown.text and "Run all" not in shown.text


@pytest.mark.parametrize("role", [Role.CONTENT_EDITOR, Role.WALLBOARD])
def test_only_supervisors_and_admins_see_and_run_scenarios(app, role):
    signed_in(app, role)
    assert app.get("/console/scenarios").status_code == 403
    assert "/console/scenarios" not in app.get("/console/live").text


def test_run_all_needs_the_pages_csrf_token(app, session):
    signed_in(app, Role.SUPERVISOR)
    assert app.post("/console/scenarios/run", data={"csrf": "guess"}).status_code == 403
    assert session.exec(select(AuditEntry).where(AuditEntry.action == "run scenarios")).all() == []
