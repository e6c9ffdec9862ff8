"""Surge detection replayed through the TwiML driver with the injected clock: a storm on one topic raises an alert
within 2 minutes of its start, naming the topic and the count; an ordinary stretch of calls raises none."""

from __future__ import annotations

import dataclasses
import datetime as dt

from sqlmodel import select

from alerts.models import AlertEpisode, AlertKind
from core.audit import AuditEntry
from tests.alerts.storms import ASKS, EVEN_STORM_OFFSETS, STORM_OFFSETS, ordinary_day, replay
from tests.conftest import run_jobs
from tests.simulator.phones import Phones

ON_CALL = "+13125550999"


def test_a_storm_of_callers_on_one_topic_raises_one_alert_within_two_minutes(app, settings, redis, clock, session):
    phones = Phones(app, settings, clock)
    background = [(30.0, ASKS["library-hours"]), (200.0, ASKS["pothole"])]
    storm = [(600.0 + s, ASKS["water-main-break"]) for s in STORM_OFFSETS]
    raised = replay(phones, settings, redis, clock, background + storm, until=1500)
    surges = [(at, key) for at, key in raised if key.endswith("topic:water-main-break")]
    assert len(surges) == 1 and len(raised) == 1  # one episode, nothing else raised
    delay = surges[0][0] - 600
    assert 0 < delay <= 120, f"raised {delay} s after the storm started"
    row = session.exec(select(AlertEpisode)).one()
    assert row.kind is AlertKind.SURGE and row.title.startswith("Surge: Water main break or leak: ")
    assert row.count == 14  # named at its largest: every caller of the storm
    assert session.exec(select(AuditEntry).where(AuditEntry.action == "alert.start")).one()


def test_a_storm_spread_evenly_over_ten_minutes_is_raised_within_two_minutes(app, settings, redis, clock, session):
    phones = Phones(app, settings, clock)
    storm = [(615.0 + s, ASKS["water-main-break"]) for s in EVEN_STORM_OFFSETS]  # mid-way between two evaluations
    raised = replay(phones, settings, redis, clock, storm, until=1500)
    assert [key.split(":", 1)[1] for _, key in raised] == ["topic:water-main-break"]
    delay = raised[0][0] - 615
    assert 0 < delay <= 120, f"raised {delay} s after the storm started"
    assert session.exec(select(AlertEpisode)).one().count == 14


def test_an_ordinary_stretch_of_calls_raises_no_alert(app, settings, redis, clock):
    phones = Phones(app, settings, clock)
    calls = ordinary_day(seed=311, hours=2, per_hour=24)  # 8 topics, about 3 calls an hour each
    assert len(calls) > 30
    assert replay(phones, settings, redis, clock, calls, until=2 * 3600) == []


def test_the_on_call_supervisor_is_texted_once_when_it_starts_and_once_when_it_ends(
        settings, engine, redis, clock, twilio_api):
    from tests.conftest import running_app

    on_call = dataclasses.replace(settings, alerts=dataclasses.replace(settings.alerts, on_call=(ON_CALL,)))
    with running_app(on_call, clock) as app:
        phones = Phones(app, on_call, clock)
        storm = [(s, ASKS["water-main-break"]) for s in STORM_OFFSETS]
        replay(phones, on_call, redis, clock, storm, until=900)
        run_jobs(on_call, redis)
        texts = [m["Body"] for m in twilio_api.messages() if m["To"] == ON_CALL]
        assert len(texts) == 1 and texts[0].startswith("Springfield 311 alert: Surge: Water main break or leak")
        clock.now += dt.timedelta(minutes=30)  # the storm's calls are out of the window; quiet for 5 minutes
        replay(phones, on_call, redis, clock, [], until=330)
        run_jobs(on_call, redis)
        texts = [m["Body"] for m in twilio_api.messages() if m["To"] == ON_CALL]
        assert len(texts) == 2 and texts[1].startswith("Springfield 311: back to normal: Surge: Water main break")
