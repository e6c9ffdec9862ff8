"""The numbers a city reports: calls, self-service rate, abandonment, speed of answer, top and unanswered questions."""

from __future__ import annotations

from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from tests.console.test_routes import api_token, auth
from tests.helpers import Caller, Texter, twilio_post


def test_daily_report_counts_what_happened(app, clock, drain):
    helped = Caller(app)
    helped.dial()
    helped.say("when does the library close")
    helped.press("9")
    helped.hang_up()
    waited = Caller(app)
    waited.dial()
    waited.say("penguin jokes please")
    waited.press("0")
    query = urlencode({"lang": "en-US", "queue": "311-english"})
    twilio_post(app, f"/voice/queue/result?{query}", {**waited._form(), "QueueResult": "hangup", "QueueTime": "80"})
    waited.hang_up()
    Texter(app).send("when does the library close?")
    Texter(app, phone="+13125550166").send("my neighbor's house is on fire")
    drain()  # the calls' records, written behind
    today = clock.now.astimezone(ZoneInfo("America/Chicago")).date()  # records carry the app's one clock
    report = app.get(f"/api/reports/daily?date={today}", headers=auth(api_token(app))).json()
    assert (report["calls"], report["calls_resolved_by_self_service"], report["self_service_rate"]) == (2, 1, 0.5)
    assert report["texts"] == 2 and report["calls_asking_for_a_person"] == 1
    assert report["emergencies_sent_to_911"] == 1
    assert report["queue"]["abandoned"] == 1 and report["queue"]["abandonment_rate"] == 1.0
    assert report["top_questions"][0] == {"article_id": "library-hours", "count": 2}
    assert report["unanswered_questions"][0]["text"] == "penguin jokes please"


def test_bad_date_is_refused(app):
    response = app.get("/api/reports/daily?date=yesterday", headers=auth(api_token(app)))
    assert response.status_code == 422 and response.json()["field"] == "date"
