"""Toll fraud and runaway texts: a caller is told the truth when a text is refused or capped, and nothing goes out."""

from __future__ import annotations

import dataclasses

from sqlmodel import select

from core.worker import queue
from messaging.models import SmsOutbound
from messaging.outbound import send_text
from tests.conftest import run_jobs, running_app
from tests.helpers import Caller, Texter
from tests.ivr.test_report import report_pothole


def ask_and_text(caller: Caller):
    caller.dial()
    caller.say("when is the library open")
    return caller.press("3")


def test_a_premium_rate_caller_id_gets_no_text(app, settings, redis, twilio_api):
    heard = ask_and_text(Caller(app, phone="+19005550100"))
    assert heard.says[0] == ("en-US", "Sorry, I can't send a text message to this phone number.")
    run_jobs(settings, redis)
    assert twilio_api.messages() == []


def test_a_foreign_caller_id_gets_no_text(app, settings, redis, twilio_api):
    heard = ask_and_text(Caller(app, phone="+447911123456"))
    assert heard.says[0][1] == "Sorry, I can't send a text message to this phone number."
    run_jobs(settings, redis)
    assert twilio_api.messages() == []


def test_texts_per_call_are_capped_and_the_caller_hears_so(app, settings, redis, twilio_api):
    caller = Caller(app)
    ask_and_text(caller)
    for _ in range(settings.outbound.texts_per_call - 1):
        assert caller.press("3").says[0][1].startswith("I'm sending that answer")
    assert caller.press("3").says[0][1] == "I've already sent as many texts as I can on one call."
    run_jobs(settings, redis)
    assert len(twilio_api.messages()) == settings.outbound.texts_per_call


def test_the_whole_service_stops_at_its_hourly_cap(settings, engine, redis, clock, twilio_api, session):
    capped = dataclasses.replace(settings, outbound=dataclasses.replace(settings.outbound, texts_per_hour=1))
    with running_app(capped, clock) as app:
        assert ask_and_text(Caller(app, phone="+13125550147")).says[0][1].startswith("I'm sending")
        heard = ask_and_text(Caller(app, phone="+13125550148"))
        assert heard.says[0][1] == "Sorry, I can't send a text right now. Please try again later."
        run_jobs(capped, redis)
    assert len(twilio_api.messages()) == 1
    assert [row.status for row in session.exec(select(SmsOutbound)).all()] == ["sent"]


def test_an_opted_out_caller_hears_why_no_text_came(app, settings, redis, twilio_api):
    Texter(app, phone="+13125550147").send("STOP")
    heard = ask_and_text(Caller(app, phone="+13125550147"))
    assert heard.says[0][1].startswith("This number has asked us not to send texts")
    run_jobs(settings, redis)
    assert twilio_api.messages() == []


def test_a_keyed_call_back_number_goes_through_the_same_check(app):
    caller = report_pothole(Caller(app))
    heard = caller.last
    while heard.node == "report_attr":
        heard = caller.press("*")
    caller.press("2")  # no details
    assert caller.press("2").node == "report_phone_entry"  # another number
    heard = caller.press("9005550100")
    assert heard.says[0][1].startswith("Sorry, we can only call back or text ordinary phone numbers")
    assert heard.node == "report_phone_entry"
    assert caller.press("3125550199").node == "report_notify"  # an ordinary number goes on


def test_a_job_never_texts_a_refused_number_even_if_queued_directly(app, settings, redis, twilio_api, session):
    queue(redis).enqueue_call(send_text, kwargs={"to": "+19005550100", "body": "hi"})
    run_jobs(settings, redis)
    assert twilio_api.messages() == []
    assert [row.status for row in session.exec(select(SmsOutbound)).all()] == ["not_allowed"]
