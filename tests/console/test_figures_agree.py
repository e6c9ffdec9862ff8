"""Live, /api/queues and Reports say the same for the same day: one definition of each queue figure, counted in one
place (console.report_figures), call-backs included, test traffic nowhere."""

from __future__ import annotations

from console.models import Role
from core.db import in_session
from queueing.models import QueueOutcome
from tests.console.browser_session import signed_in
from tests.console.report_builders import at, waited
from tests.console.test_live_accuracy import _cell
from tests.console.test_reports_page import _csv
from tests.console.test_routes import api_token, auth

TODAY = "from=2026-11-17&to=2026-11-17"  # the app's clock: Tuesday 17 November 2026, 10 a.m. in Chicago


def test_live_the_api_and_reports_agree_on_today_call_backs_included(app, engine):
    waited(engine, at(17, 9, 5), result="answered", seconds=46, queue="311-callbacks", told=(60, 120, 60))
    waited(engine, at(17, 8, 0), result="answered", seconds=20, told=(0, 120, 60))
    waited(engine, at(17, 8, 30), result="abandoned", seconds=95)
    waited(engine, at(16, 15, 0), result="answered", seconds=10)  # yesterday: in neither
    scenario = QueueOutcome(call_sid="CA" + "f" * 32, queue="311-callbacks", language="en-US", result="answered",
                            wait_seconds=5, created_at=at(17, 9, 30), test_run="scenarios-abc")
    in_session(engine, lambda session: session.add(scenario))  # a scenario's call-back: test traffic, in none

    reports = {row["queue"]: row for row in _csv(signed_in(app, Role.SUPERVISOR, name="sam"), "queues", TODAY)}
    api = {q["queue"]: q for q in app.get("/api/queues", headers=auth(api_token(app))).json()}
    live = app.get("/console/live").text

    for queue, label in (("311-callbacks", "call-backs"), ("311-english", "English")):
        row, figures = reports[queue], api[queue]
        assert int(row["offered"]) == figures["offered_today"] == int(_cell(live, queue, "offered")), label
        assert int(row["answered"]) == figures["answered_today"] == int(_cell(live, queue, "answered")), label
        assert int(row["abandoned"]) == figures["abandoned_today"] == int(_cell(live, queue, "abandoned")), label
        assert int(row["told_and_answered"]) == figures["told_answered_today"], label
    callbacks = api["311-callbacks"]
    assert (callbacks["offered_today"], callbacks["answered_today"]) == (1, 1)
    assert (callbacks["told_average_seconds"], callbacks["told_waited_average_seconds"]) == (60, 46)
    assert reports["311-callbacks"]["told_average_seconds"] == "60"
    assert reports["311-callbacks"]["waited_average_seconds"] == "46"
    assert _cell(live, "311-callbacks", "accuracy") == (
        "told ~1 min, waited 46 s on average; 100 % within what they were told"
    )
    english = api["311-english"]
    assert (english["offered_today"], english["answered_today"], english["abandoned_today"]) == (2, 1, 1)
    speed = reports["311-english"]["average_speed_of_answer_seconds"]
    assert english["average_speed_of_answer_seconds"] == 20 == int(speed)
