"""The live page's call-backs due, and how today's wait estimates held up: what callers were told against what they
then waited, per queue, on the page and in its event stream."""

from __future__ import annotations

import datetime as dt
import time
from urllib.parse import urlencode

import httpx
from sqlmodel import select

from callbacks.models import Callback, CallbackKind, CallbackSource, CallbackStatus
from console.models import Role
from console.pages.render import minutes
from core.db import in_session
from queueing.models import QueueOutcome
from tests.console.browser_session import PASSWORD, csrf_of, make_account, signed_in
from tests.console.test_live_page import _events
from tests.helpers import twilio_post
from tests.queueing.test_routes import ask_for_agent, poll
from tests.served import served

QUERY = urlencode({"lang": "en-US", "queue": "311-english"})


def _cell(html: str, queue: str, field: str) -> str:
    row = " ".join(html.split()).split(f'<tr data-queue="{queue}">')[1].split("</tr>")[0]
    return row.split(f'data-field="{field}">')[1].split("</td>")[0]


def _callback(engine, *, language: str, status: CallbackStatus, due: dt.datetime | None, phone: str) -> None:
    kind = CallbackKind.KEEP_PLACE if status is CallbackStatus.WAITING else CallbackKind.SCHEDULED
    row = Callback(
        phone=phone,
        language=language,
        kind=kind.value,
        status=status.value,
        source=CallbackSource.QUEUE.value,
        due_at=due,
        next_attempt_at=due,
    )
    in_session(engine, lambda s: s.add(row))


def _answered(app, caller, waited: int) -> None:
    form = {**caller._form(), "QueueResult": "bridged", "QueueTime": str(waited)}
    twilio_post(app, f"/voice/queue/result?{QUERY}", form)


def _outcomes(app) -> list[QueueOutcome]:
    return in_session(app.app.state.ctx.engine, lambda s: list(s.exec(select(QueueOutcome).order_by(QueueOutcome.id))))


def test_call_backs_due_now_and_within_the_hour_per_queue(app, clock):
    signed_in(app, Role.WALLBOARD, name="screen")
    engine, now = app.app.state.ctx.engine, clock.now
    _callback(engine, language="en-US", status=CallbackStatus.WAITING, due=None, phone="+13125550101")
    _callback(
        engine,
        language="en-US",
        status=CallbackStatus.SCHEDULED,
        due=now + dt.timedelta(minutes=30),
        phone="+13125550102",
    )
    _callback(
        engine, language="en-US", status=CallbackStatus.SCHEDULED, due=now + dt.timedelta(hours=3), phone="+13125550103"
    )  # later today: not due yet
    _callback(
        engine,
        language="es-US",
        status=CallbackStatus.SCHEDULED,
        due=now - dt.timedelta(minutes=5),
        phone="+13125550104",
    )
    _callback(engine, language="es-US", status=CallbackStatus.CANCELLED, due=now, phone="+13125550105")
    page = app.get("/console/live").text
    assert _cell(page, "311-english", "callbacks") == "1 now · 1 next hour"
    assert _cell(page, "311-spanish", "callbacks") == "1 now"
    assert _cell(page, "311-callbacks", "callbacks") == "2 now · 1 next hour"
    assert "Call-backs due" in page


def test_no_call_backs_due_shows_zero(app):
    signed_in(app, Role.WALLBOARD, name="screen")
    assert _cell(app.get("/console/live").text, "311-english", "callbacks") == "0"


def test_what_callers_were_told_is_recorded_and_scored_against_their_real_wait(app):
    signed_in(app, Role.WALLBOARD, name="screen")
    assert _cell(app.get("/console/live").text, "311-english", "accuracy") == "–"  # nobody answered yet
    quick, slow = ask_for_agent(app), ask_for_agent(app)
    assert "Your wait is about a minute" in poll(app, quick, position=1, waited=0).text
    poll(app, slow, position=2, waited=0)
    poll(app, quick, position=1, waited=40)  # later announcements do not replace the first
    _answered(app, quick, 90)  # told about a minute (1 to 2 minutes): kept
    _answered(app, slow, 400)
    first, second = _outcomes(app)
    assert (first.told_seconds, first.told_low_seconds, first.told_high_seconds, first.told_after_seconds) == (
        60,
        0,
        120,
        0,
    )
    assert second.told_seconds is not None and second.told_high_seconds < 400  # waited longer than told
    told = minutes(round((first.told_seconds + second.told_seconds) / 2))
    assert _cell(app.get("/console/live").text, "311-english", "accuracy") == (
        f"told ~{told}, waited 4 min 5 s on average; 50 % within what they were told"
    )


def test_callers_who_hang_up_or_leave_are_recorded_but_not_scored(app):
    signed_in(app, Role.WALLBOARD, name="screen")
    gone = ask_for_agent(app)
    poll(app, gone, position=1, waited=0)
    twilio_post(app, f"/voice/queue/result?{QUERY}", {**gone._form(), "QueueResult": "hangup", "QueueTime": "500"})
    [outcome] = _outcomes(app)
    assert outcome.result == "abandoned" and outcome.told_seconds == 60  # kept for later study
    assert _cell(app.get("/console/live").text, "311-english", "accuracy") == "–"  # a hang-up says nothing of it


def test_a_caller_never_told_a_wait_records_no_estimate(app):
    caller = ask_for_agent(app)  # answered before the first wait announcement
    _answered(app, caller, 3)
    [outcome] = _outcomes(app)
    assert outcome.result == "answered" and outcome.told_seconds is None and outcome.waited_after_told is None


def test_the_stream_sends_the_new_accuracy_within_two_seconds_of_an_answer(app, settings, clock):
    make_account(app, "screen", Role.WALLBOARD)
    caller = ask_for_agent(app)
    poll(app, caller, position=1, waited=0)
    with served(settings, clock) as port, httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=5) as browser:
        form = browser.get("/console/login")
        browser.post("/console/login", data={"csrf": csrf_of(form.text), "name": "screen", "password": PASSWORD})
        with browser.stream("GET", "/console/live/events", headers={"Accept": "text/event-stream"}) as stream:
            events = _events(stream, time.monotonic() + 20)
            name, first = next(events)
            english = next(row for row in first["queues"] if row["queue"] == "311-english")
            assert name == "queues" and english["accuracy"] == "–" and english["callbacks"] == "0"
            _answered(app, caller, 30)
            answered = time.monotonic()
            name, second = next(events)
            english = next(row for row in second["queues"] if row["queue"] == "311-english")
            assert english["accuracy"] == "told ~1 min, waited 30 s on average; 100 % within what they were told"
            assert time.monotonic() - answered < 2.0
