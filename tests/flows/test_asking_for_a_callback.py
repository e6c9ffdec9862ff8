"""Asking for a call-back by phone: keep my place or choose a time from the queue, choose a time when agents are off
duty or about a request just checked; the number read back and refused when we may not call it; a confirming text."""

from __future__ import annotations

import dataclasses
import datetime as dt

from sqlmodel import select

from callbacks.limits import RequestCounters
from crm_bridge.models import TicketStatus
from queueing.models import QueueOutcome
from tests.callbacks.builders import ENGLISH, callbacks, leave_queue, queue_form, waiting_caller
from tests.conftest import run_jobs, running_app
from tests.helpers import Caller, hear, twilio_post
from tests.ivr.test_report import check_by_phone, reported_then

NOW = dt.datetime(2026, 11, 17, 16, 0, tzinfo=dt.UTC)  # Tuesday 10:00 in Chicago


def test_keep_my_place_keeps_the_join_time_and_is_not_an_abandonment(app, engine, session, settings, redis,
                                                                      twilio_api):
    caller = waiting_caller(app, waited=240)
    heard = leave_queue(app, caller, "1", waited=250)
    assert heard.text.startswith("I'll keep your place in line and call you back when it's your turn.")
    assert "We'll call you back at the number ending in 0 1 4 7." in heard.text
    assert "To say yes, use that number, press 1." in heard.text
    assert "Would you like a text message confirming this" in caller.press("1").text
    done = caller.press("1")
    assert "You're all set. We'll call you back at the number ending in 0 1 4 7 when it's your turn" in done.text
    assert "To cancel it, text CANCEL CALL to this number." in done.text
    assert "I'm sending you a text message to confirm it." in done.text and done.hangup
    [row] = callbacks(engine)
    assert (row.kind, row.status, row.source, row.phone) == ("keep_place", "waiting", "queue", "+13125550147")
    assert row.joined_at == NOW - dt.timedelta(seconds=250) and row.topic == "library-hours" and row.text_updates
    assert session.exec(select(QueueOutcome)).one().result == "left"
    figures = redis.hgetall("q:311-english:day:20261117")
    assert b"abandoned" not in figures
    run_jobs(settings, redis)
    [text] = twilio_api.messages()
    assert text["To"] == "+13125550147"
    assert text["Body"] == ("Springfield 311: We'll call you at 312-555-0147 when it's your turn in line. "
                            "To choose another time, text CALL ME. To cancel, text CANCEL CALL.")


def test_without_queue_time_the_join_time_comes_from_the_wait_record(app, engine):
    caller = waiting_caller(app, waited=180)
    leave_queue(app, caller, "1")
    caller.press("1")
    caller.press("2")
    assert callbacks(engine)[0].joined_at == NOW - dt.timedelta(seconds=180)


def test_choose_a_time_from_the_queue_with_another_number_read_back(app, engine):
    caller = waiting_caller(app, waited=60)
    heard = leave_queue(app, caller, "2", waited=60)
    assert "When would you like us to call you?" in heard.text
    assert "today at 10:30 a.m., press 1. today at 11 a.m., press 2. today at 11:30 a.m., press 3." in heard.text
    assert "To go back, press star." in heard.text
    caller.press("2")
    assert "I heard" not in caller.press("2").text
    refused = caller.press("9005550100")  # premium rate
    assert refused.text.startswith("Sorry, we can only call back or text ordinary phone numbers in the United States.")
    assert caller.press("5550100").text.startswith("That number doesn't look right.")
    heard = caller.press("3125550199")
    assert heard.text.startswith("I heard 3 1 2, 5 5 5, 0 1 9 9.")
    assert "To enter the number again, press 2." in heard.text
    done = caller.press("1")  # not the caller's own number: its owner confirms it by text first
    assert "If that number wants a call-back, they'll get a text message to confirm it." in done.text and done.hangup
    [row] = callbacks(engine)
    assert (row.kind, row.phone, row.due_at) == ("scheduled", "+13125550199", NOW + dt.timedelta(hours=1))
    assert (row.status, row.active_phone) == ("awaiting_owner", None)


def test_a_foreign_or_premium_caller_id_is_asked_for_another_number(app):
    caller = waiting_caller(app, waited=60, phone="+447911123456")
    heard = leave_queue(app, caller, "1", waited=60)
    assert "number ending in" not in heard.text
    assert "Please enter the 10-digit phone number we should call." in heard.text


def test_off_duty_the_menu_offers_a_time_for_a_call_back(app, engine, clock):
    clock.now = dt.datetime(2026, 11, 22, 18, 0, tzinfo=dt.UTC)  # Sunday noon: agents are off
    caller = Caller(app)
    caller.dial()
    caller.press("1")
    offer = caller.press("0")
    assert "To choose a time for us to call you back, press 3." in offer.text
    slots = caller.press("3")
    assert "tomorrow at 8 a.m., press 1. tomorrow at 8:30 a.m., press 2." in slots.text
    caller.press("1")
    caller.press("1")
    done = caller.press("2")
    assert "We'll call you tomorrow at 8 a.m., at the number ending in 0 1 4 7." in done.text
    assert callbacks(engine)[0].source == "menu"


def test_a_call_back_about_a_request_just_checked(app, engine, session):
    number = reported_then(app, session, TicketStatus.IN_PROGRESS, "")
    caller = Caller(app)
    caller.dial()
    caller.press("1")
    caller.press("3")
    heard = caller.press(number)
    assert "To have someone call you about this request, press 3." in heard.text
    assert "today at 10:30 a.m., press 1." in caller.press("3").text
    caller.press("1")
    caller.press("1")
    caller.press("2")
    [row] = callbacks(engine)
    assert (row.ticket_number, row.source, row.kind) == (number, "ticket", "scheduled")
    assert "press 3" not in check_by_phone(app, "000000000").text


def test_a_second_request_updates_the_first_and_says_so(app, engine):
    first = waiting_caller(app, waited=60)
    leave_queue(app, first, "1", waited=60)
    first.press("1")
    first.press("2")
    again = waiting_caller(app, waited=30)
    leave_queue(app, again, "2", waited=30)
    again.press("1")
    again.press("1")
    done = again.press("2")
    assert done.text.startswith("You already had a call-back booked with us, so I've changed it to this one.")
    [row] = callbacks(engine)
    assert row.kind == "scheduled"


def test_request_limits_per_number(settings, engine, redis, clock, twilio_api):
    limited = dataclasses.replace(settings, callbacks=dataclasses.replace(settings.callbacks,
                                                                         requests_per_number_per_day=1))
    with running_app(limited, clock) as app:
        caller = waiting_caller(app, waited=60)
        leave_queue(app, caller, "1", waited=60)
        caller.press("1")
        assert "You're all set." in caller.press("2").text
        again = waiting_caller(app, waited=60)
        heard = hear(twilio_post(app, f"/voice/queue/keys?{ENGLISH}", queue_form(again, Digits="2")))
        assert "We've booked as many call-backs for this number as we can today." in heard.text
        assert "You keep your place in line." in heard.text and "<Leave" not in heard.xml


def test_spanish_callers_hear_spanish(app, engine):
    caller = Caller(app)
    caller.dial()
    caller.press("2")
    caller.press("0")
    caller.last = leave_queue_es(app, caller)
    assert caller.last.text.startswith("Conservaremos su lugar en la fila y le llamaremos cuando sea su turno.")
    assert "Le devolveremos la llamada al número que termina en 0 1 4 7." in caller.last.text
    caller.press("1")
    done = caller.press("2")
    assert "Listo. Le llamaremos al número que termina en 0 1 4 7 cuando sea su turno" in done.text
    assert callbacks(engine)[0].language == "es-US"


def leave_queue_es(app, caller):
    query = "lang=es-US&queue=311-spanish"
    hear(twilio_post(app, f"/voice/queue/wait?{query}", queue_form(caller, QueuePosition="2", QueueTime="20")))
    hear(twilio_post(app, f"/voice/queue/keys?{query}", queue_form(caller, Digits="1", QueueTime="25")))
    return hear(twilio_post(app, f"/voice/queue/result?{query}", queue_form(caller, QueueResult="leave",
                                                                            QueueTime="26")))


def test_when_no_more_call_backs_can_be_booked_the_caller_keeps_their_place(app, engine, redis, settings):
    caller = waiting_caller(app, waited=120)
    RequestCounters(redis, settings.callbacks).reserve("+13125550147", NOW)
    redis.set(RequestCounters.service_key(NOW), settings.callbacks.requests_per_hour)
    heard = hear(twilio_post(app, f"/voice/queue/keys?{ENGLISH}", queue_form(caller, Digits="1", QueueTime="125")))
    assert "Sorry, I can't book a call-back right now. Please try again later." in heard.text
    assert "You keep your place in line." in heard.text
    assert "<Leave" not in heard.xml and "/voice/queue/wait?" in heard.xml
    assert callbacks(engine) == []

