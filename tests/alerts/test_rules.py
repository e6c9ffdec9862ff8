"""Alert rules with a 311 director's defaults: below 80 % answered in 30 s over 15 minutes, a caller waiting over
10 minutes, over 10 % hanging up, over 10 call-backs owed; and an episode per rule, banner on Live, text once."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from sqlmodel import select

from alerts.models import AlertEpisode, AlertKind
from alerts.rules import QueueFigures, firing
from console.models import Role
from console.watch import evaluate
from core.db import in_session
from core.worker import configure
from queueing.models import QueueOutcome, QueueResult
from settings import ConfigError
from tests.console.browser_session import signed_in
from tests.test_settings import GOOD, load


def kinds(figures: QueueFigures, settings) -> set[AlertKind]:
    return {f.kind for f in firing(figures, settings.alerts)}


def test_the_defaults_fire_where_a_director_would_worry(settings):
    calm = QueueFigures(answered=20, answered_in_time=19, abandoned=1, longest_wait_seconds=120, callbacks_due=3)
    assert kinds(calm, settings) == set()
    slow = dataclasses.replace(calm, answered_in_time=14)  # 14 of 21 in time: 67 %
    assert kinds(slow, settings) == {AlertKind.SERVICE_LEVEL}
    assert firing(slow, settings.alerts)[0].title.startswith("Service level 67 %: below 80 % answered in 30 s")
    # 6 of 56 hung up (11 %); 49 of 56 answered in time (88 %): hanging up counts against the service level too.
    assert kinds(dataclasses.replace(calm, answered=50, answered_in_time=49, abandoned=6), settings) == {
        AlertKind.ABANDONMENT}
    assert kinds(dataclasses.replace(calm, longest_wait_seconds=600), settings) == {AlertKind.LONGEST_WAIT}
    assert kinds(dataclasses.replace(calm, callbacks_due=11), settings) == {AlertKind.CALLBACKS_DUE}


def test_too_few_calls_are_not_judged(settings):
    few = QueueFigures(answered=2, answered_in_time=0, abandoned=2, longest_wait_seconds=0, callbacks_due=0)
    assert kinds(few, settings) == set()  # 4 calls: under min_calls = 5


def test_the_alerts_section_is_checked_and_a_bad_key_is_named(tmp_path):
    assert load(tmp_path, GOOD).alerts.on_call == ()
    for old, new, key in (("service_level_below = 0.8", "service_level_below = 80", "alerts.service_level_below"),
                          ("on_call = []", 'on_call = ["not a number"]', "alerts.on_call"),
                          ("surge_min_count = 3", "surge_min_count = 1", "alerts.surge_min_count"),
                          ("min_calls = 5", "min_call = 5", "alerts.min_call")):
        with pytest.raises(ConfigError) as bad:
            load(tmp_path, GOOD.replace(old, new))
        assert bad.value.key.startswith(key)


def _outcomes(engine, now, *waits: int) -> None:
    def add(session):
        for wait in waits:
            session.add(QueueOutcome(call_sid=f"CA{wait:032d}", queue="311-english", language="en-US",
                                     result=QueueResult.ANSWERED, wait_seconds=wait, created_at=now))
    in_session(engine, add)


def test_a_slow_quarter_hour_shows_a_banner_on_live_and_ends_after_it_recovers(app, settings, redis, clock, session):
    _outcomes(app.app.state.ctx.engine, clock.now, 10, 20, 90, 120, 200, 15)  # 3 of 6 in 30 s
    ctx = configure(settings)
    assert evaluate(ctx, redis) == 1
    signed_in(app, Role.WALLBOARD, name="screen")
    live = app.get("/console/live").text
    assert 'role="alert"' in live
    assert "Service level 50 %: below 80 % answered in 30 s over the last 15 minutes" in live
    start = clock.now
    clock.now = start + dt.timedelta(minutes=14)
    assert evaluate(ctx, redis) == 0  # still firing: the same episode, no second text
    clock.now = start + dt.timedelta(minutes=16)  # those calls left the window
    assert evaluate(ctx, redis) == 0  # quiet for 2 minutes only: still the same episode
    clock.now = start + dt.timedelta(minutes=19)
    assert evaluate(ctx, redis) == 1  # quiet for 5 minutes: back to normal
    assert session.exec(select(AlertEpisode)).one().ended_at is not None
    assert "Service level" not in app.get("/console/live/floor").text
