"""A caller asks for the answer by text message: it goes out through the Twilio REST API from a job."""

from __future__ import annotations

from tests.conftest import run_jobs
from tests.helpers import Caller


def test_text_me_this_answer_sends_the_sms_version_to_the_caller(app, settings, redis, twilio_api, session):
    caller = Caller(app, phone="+13125550147")
    caller.dial()
    caller.say("when is the library open")
    heard = caller.press("3")
    assert heard.says[0] == ("en-US", "I'm sending that answer by text message to the phone you're calling from.")
    assert twilio_api.messages() == []  # never sent from the web request itself
    run_jobs(settings, redis)
    [sent] = twilio_api.messages()
    assert sent["To"] == "+13125550147"
    assert sent["From"] == "+15555550311"
    assert "library" in sent["Body"].lower() and len(sent["Body"]) <= 320
    assert twilio_api.requests[0].account == settings.account_sid


def test_text_me_in_spanish_sends_the_spanish_answer(app, settings, redis, twilio_api):
    caller = Caller(app)
    caller.dial()
    caller.press("2")
    caller.press("1")
    caller.say("horario de la biblioteca")
    caller.press("3")
    run_jobs(settings, redis)
    [sent] = twilio_api.messages()
    assert "biblioteca" in sent["Body"].lower() or "sucursal" in sent["Body"].lower()


def test_anonymous_caller_is_told_a_text_cannot_be_sent(app, settings, redis, twilio_api):
    caller = Caller(app, phone="anonymous")
    caller.dial()
    caller.say("when is the library open")
    heard = caller.press("3")
    assert heard.says[0] == ("en-US", "Sorry, I can't send a text message to this phone number.")
    run_jobs(settings, redis)
    assert twilio_api.messages() == []
