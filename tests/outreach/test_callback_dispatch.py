"""Placing call-backs: one order by join time for live callers and call-backs, never without a free agent, chosen
times kept, retries inside agent hours and the final text, one call per attempt whatever races it or empties Redis."""

from __future__ import annotations

import dataclasses
import datetime as dt
import threading
import xml.etree.ElementTree as ET

from sqlmodel import Session

from callbacks import service
from callbacks.models import CallbackKind, CallbackRequest, CallbackSource
from core.db import in_session
from core.worker import configure, queue
from outreach import callback_dispatch
from tests.callbacks.builders import (
    ANA,
    BEN,
    agent_dials_in,
    agent_takes,
    answer,
    attempts,
    call_form,
    call_status,
    callbacks,
    dispatch,
    keep_my_place,
    path_of,
    waiting_caller,
)
from tests.conftest import run_jobs, running_app
from tests.helpers import PUBLIC_BASE_URL, hear, twilio_post

TUESDAY_10 = dt.datetime(2026, 11, 17, 16, 0, tzinfo=dt.UTC)  # 10:00 in Chicago


def eager(settings, **changes):
    """Settings that dial a kept place only when it is at the very front (no lead from the estimate)."""
    return dataclasses.replace(settings, callbacks=dataclasses.replace(settings.callbacks, lead_seconds=0, **changes))


def book_time(engine, due: dt.datetime, phone: str = "+13125550150", language: str = "en-US"):
    data = CallbackRequest(phone=phone, language=language, kind=CallbackKind.SCHEDULED, source=CallbackSource.SMS,
                           due_at=due)
    return in_session(engine, service.request, data=data, now=TUESDAY_10, actor="test")[0]


def press_1(app, offered, placed, call_sid) -> ET.Element:
    """The resident presses 1 and is put in the call-back queue; Twilio fetches its wait URL once."""
    heard = hear(twilio_post(app, offered.action, call_form(call_sid, placed["To"], Digits="1")))
    enqueue = ET.fromstring(heard.xml).find("Enqueue")
    assert enqueue is not None and enqueue.text == "311-callbacks", heard.xml
    hear(twilio_post(app, enqueue.get("waitUrl"), call_form(call_sid, placed["To"], QueuePosition="1")))
    return enqueue


def test_live_callers_and_call_backs_are_served_in_one_order_by_join_time(settings, engine, redis, clock,
                                                                          twilio_api):
    config = eager(settings)
    with running_app(config, clock) as app:
        first = waiting_caller(app, waited=300, phone="+13125550141")
        keep_my_place(app, waited=200, phone="+13125550148")
        waiting_caller(app, waited=100, phone="+13125550149")
        # Ben comes on: the caller waiting longest (300 s) comes before the kept place (200 s).
        ben, heard = agent_dials_in(app, BEN)
        assert ">311-english</Queue>" in heard.xml and "Next caller: English." in heard.text
        agent_takes(app, ben, first.sid, "311-english")
        dispatch(config, redis)
        assert twilio_api.calls() == []  # Ben is busy: nobody to take a call-back
        # Ana comes on: the kept place (200 s) comes before the caller who joined later (100 s), so she waits for it.
        ana, heard = agent_dials_in(app, ANA)
        assert ">311-callbacks</Queue>" in heard.xml and "A call-back is being placed for you." in heard.text
        run_jobs(config, redis)  # the agent line asked the dispatcher to run at once
        [placed] = twilio_api.calls()
        assert placed["To"] == "+13125550148"
        call_sid = attempts(engine)[0].call_sid
        offered = answer(app, placed, call_sid)
        assert offered.text == ("This is Springfield 3 1 1 returning your call about Library hours. "
                                "Press 1 to be connected.")
        press_1(app, offered, placed, call_sid)
        # Whoever asks next gets the call-back, not the live caller who joined after it.
        _, heard = agent_dials_in(app, ANA, sid=ana)
        assert ">311-callbacks</Queue>" in heard.xml
        assert "Next: a call-back, English. Topic: Library hours." in heard.text
        agent_takes(app, ana, call_sid, "311-callbacks")
        assert callbacks(engine)[0].status == "completed"
        _, heard = agent_dials_in(app, BEN, sid=ben)
        assert ">311-english</Queue>" in heard.xml and "Next caller: English." in heard.text


def test_one_agent_waits_for_a_call_back_being_placed_and_the_next_takes_a_live_caller(settings, engine, redis,
                                                                                     clock, twilio_api):
    config = eager(settings)
    with running_app(config, clock) as app:
        keep_my_place(app, waited=200, phone="+13125550148")
        later = waiting_caller(app, waited=100, phone="+13125550149")
        ana, heard = agent_dials_in(app, ANA)
        assert ">311-callbacks</Queue>" in heard.xml and "A call-back is being placed for you." in heard.text
        # The call-back is Ana's to wait for: Ben takes the live caller instead of waiting on the same call-back.
        ben, heard = agent_dials_in(app, BEN)
        assert ">311-english</Queue>" in heard.xml and "Next caller: English." in heard.text
        agent_takes(app, ben, later.sid, "311-english")
        # Ana's idle Dial ends and she comes round again: the call-back is still hers to wait for.
        _, heard = agent_dials_in(app, ANA, sid=ana)
        assert ">311-callbacks</Queue>" in heard.xml


def test_a_kept_place_is_not_dialled_while_someone_who_joined_earlier_waits(settings, engine, redis, clock,
                                                                           twilio_api):
    config = eager(settings)
    with running_app(config, clock) as app:
        earlier = waiting_caller(app, waited=300, phone="+13125550141")
        keep_my_place(app, waited=200, phone="+13125550148")
        agent_dials_in(app, ANA)
        agent_dials_in(app, BEN)
        dispatch(config, redis)
        assert twilio_api.calls() == []
        twilio_post(app, "/voice/queue/result?lang=en-US&queue=311-english",
                    {**earlier._form(), "QueueResult": "hangup", "QueueTime": "310"})
        dispatch(config, redis)
        assert [c["To"] for c in twilio_api.calls()] == ["+13125550148"]


def test_never_more_call_backs_placed_than_agents_free(settings, engine, redis, clock, twilio_api):
    config = eager(settings)
    with running_app(config, clock) as app:
        keep_my_place(app, waited=200, phone="+13125550148")
        keep_my_place(app, waited=100, phone="+13125550149")
        dispatch(config, redis)
        assert twilio_api.calls() == []  # no agent on the line
        ana, _ = agent_dials_in(app, ANA)
        dispatch(config, redis)
        assert [c["To"] for c in twilio_api.calls()] == ["+13125550148"]  # one agent: one call-back at a time
        dispatch(config, redis)
        assert len(twilio_api.calls()) == 1
        placed, call_sid = twilio_api.calls()[0], attempts(engine)[0].call_sid
        press_1(app, answer(app, placed, call_sid), placed, call_sid)
        agent_takes(app, ana, call_sid, "311-callbacks")
        dispatch(config, redis)
        assert len(twilio_api.calls()) == 1  # Ana is with the first resident
        agent_dials_in(app, ANA, sid=ana)  # that conversation ended: her Dial hands her back to the agent line
        dispatch(config, redis)
        assert [c["To"] for c in twilio_api.calls()] == ["+13125550148", "+13125550149"]


def test_a_chosen_time_is_kept(settings, engine, redis, clock, twilio_api):
    with running_app(settings, clock) as app:
        due = TUESDAY_10 + dt.timedelta(minutes=30)
        book_time(engine, due)
        agent_dials_in(app, ANA)
        clock.now = due - dt.timedelta(seconds=1)
        agent_dials_in(app, ANA)
        dispatch(settings, redis)
        assert twilio_api.calls() == []
        clock.now = due
        agent_dials_in(app, ANA)
        dispatch(settings, redis)
        [placed] = twilio_api.calls()
        assert placed["To"] == "+13125550150" and placed["From"] == "+15555550311"
        assert placed["Url"] == f"{PUBLIC_BASE_URL}/voice/callback/answer?callback={callbacks(engine)[0].id}&attempt=1"
        assert path_of(placed["StatusCallback"]).startswith("/voice/callback/status?")
        assert placed["MachineDetection"] == "Enable" and placed["Method"] == "POST"


def test_machine_detection_can_be_turned_off(settings, engine, redis, clock, twilio_api):
    config = eager(settings, machine_detection=False)
    with running_app(config, clock) as app:
        book_time(engine, TUESDAY_10)
        agent_dials_in(app, ANA)
        dispatch(config, redis)
        assert "MachineDetection" not in twilio_api.calls()[0]


def test_unanswered_calls_are_retried_then_the_resident_is_texted(settings, engine, redis, clock, twilio_api):
    with running_app(settings, clock) as app:
        book_time(engine, TUESDAY_10)
        for i, status in enumerate(("busy", "no-answer", "no-answer")):
            agent_dials_in(app, ANA)
            dispatch(settings, redis)
            assert len(twilio_api.calls()) == i + 1
            dispatch(settings, redis)
            assert len(twilio_api.calls()) == i + 1  # one call per attempt
            call_status(app, twilio_api.calls()[i], attempts(engine)[i].call_sid, status)
            clock.now = clock.now + dt.timedelta(minutes=9)
            agent_dials_in(app, ANA)
            dispatch(settings, redis)
            assert len(twilio_api.calls()) == i + 1  # the next try comes 10 minutes later, not sooner
            clock.now = clock.now + dt.timedelta(minutes=1)
        run_jobs(settings, redis)
        assert [a.outcome for a in attempts(engine)] == ["busy", "no-answer", "no-answer"]
        assert callbacks(engine)[0].status == "failed"
        [text] = twilio_api.messages()
        assert text["To"] == "+13125550150"
        assert "we tried to call you back 3 times but couldn't reach you" in text["Body"]
        assert "555-555-0311" in text["Body"] and "text CALL ME" in text["Body"]
        agent_dials_in(app, ANA)
        dispatch(settings, redis)
        assert len(twilio_api.calls()) == 3 and len(twilio_api.messages()) == 1


def test_a_retry_that_would_fall_after_closing_waits_for_the_next_opening(settings, engine, redis, clock,
                                                                         twilio_api):
    saturday = dt.datetime(2026, 11, 21, 18, 52, tzinfo=dt.UTC)  # 12:52 in Chicago; Saturday closes at 13:00
    clock.now = saturday
    with running_app(settings, clock) as app:
        book_time(engine, saturday)
        agent_dials_in(app, ANA)
        dispatch(settings, redis)
        call_status(app, twilio_api.calls()[0], attempts(engine)[0].call_sid, "no-answer")
        monday = dt.datetime(2026, 11, 23, 14, 0, tzinfo=dt.UTC)  # 8:00 in Chicago: Sunday is closed
        assert callbacks(engine)[0].next_attempt_at == monday
        for later in (saturday + dt.timedelta(minutes=15), monday - dt.timedelta(minutes=1)):
            clock.now = later
            agent_dials_in(app, ANA)
            dispatch(settings, redis)
            assert len(twilio_api.calls()) == 1
        clock.now = monday
        agent_dials_in(app, ANA)
        dispatch(settings, redis)
        assert len(twilio_api.calls()) == 2


def test_two_workers_racing_for_one_attempt_place_one_call(settings, engine, redis, clock, twilio_api):
    with running_app(settings, clock):
        row = book_time(engine, TUESDAY_10)
        ctx = configure(settings)
        barrier = threading.Barrier(2)
        placed = []

        def worker():
            barrier.wait()
            placed.append(callback_dispatch.place(ctx, callback_id=row.id, attempts=0))

        threads = [threading.Thread(target=worker) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert len(placed) == 2 and len([sid for sid in placed if sid]) == 1  # both workers answered; one placed it
    assert len(twilio_api.calls()) == 1 and len(attempts(engine)) == 1


def test_redis_emptied_between_booking_and_placing_loses_nothing(settings, engine, redis, clock, twilio_api):
    config = eager(settings)
    with running_app(config, clock) as app:
        keep_my_place(app, waited=200, phone="+13125550148")
        book_time(engine, TUESDAY_10)
        redis.flushdb()
        agent_dials_in(app, ANA)
        agent_dials_in(app, BEN)
        run_job(config, redis, callback_dispatch.reconcile)  # what a starting worker runs first
        dispatch(config, redis)
        assert sorted(c["To"] for c in twilio_api.calls()) == ["+13125550148", "+13125550150"]


def run_job(settings, redis, job) -> None:
    queue(redis).enqueue(job)
    run_jobs(settings, redis)


def test_a_worker_that_died_after_its_claim_is_settled_by_reconciliation(settings, engine, redis, clock,
                                                                         twilio_api):
    with running_app(settings, clock) as app:
        row = book_time(engine, TUESDAY_10)
        in_session(engine, service.claim, callback_id=row.id, attempts=0, now=TUESDAY_10)  # and then it died
        clock.now = TUESDAY_10 + dt.timedelta(minutes=3)
        run_job(settings, redis, callback_dispatch.reconcile)
        with Session(engine) as session:
            assert service.get(session, callback_id=row.id).status == "scheduled"
        clock.now = TUESDAY_10 + dt.timedelta(minutes=13)
        agent_dials_in(app, ANA)
        run_job(settings, redis, callback_dispatch.reconcile)
        assert len(twilio_api.calls()) == 1 and [a.number for a in attempts(engine)] == [1, 2]


def test_a_call_back_dialled_early_by_its_lead_still_waits_for_whoever_joined_before_it(settings, engine, redis,
                                                                                     clock, twilio_api):
    config = dataclasses.replace(settings, callbacks=dataclasses.replace(settings.callbacks, lead_seconds=3600))
    with running_app(config, clock) as app:
        earlier = waiting_caller(app, waited=300, phone="+13125550141")
        keep_my_place(app, waited=200, phone="+13125550148")
        ana, _ = agent_dials_in(app, ANA)
        dispatch(config, redis)
        [placed] = twilio_api.calls()  # within its lead of the front: dialled while the earlier caller waits
        call_sid = attempts(engine)[0].call_sid
        press_1(app, answer(app, placed, call_sid), placed, call_sid)
        _, heard = agent_dials_in(app, ANA, sid=ana)
        assert ">311-english</Queue>" in heard.xml  # the caller who joined first goes first
        agent_takes(app, ana, earlier.sid, "311-english")
        _, heard = agent_dials_in(app, BEN)
        assert ">311-callbacks</Queue>" in heard.xml and "a call-back" in heard.text
