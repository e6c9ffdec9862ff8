"""Bad values in signed voice webhooks: refused at the edge when they name the call, read as absent otherwise; the
caller always hears something sensible, and a call always ends."""

from __future__ import annotations

import pytest
from sqlmodel import select

from ivr.models import Call, CallStep
from tests.helpers import Caller, twilio_post

BAD_SIDS = ["CA" + "a" * 100, "CA123", "XX" + "a" * 32, "CA" + "g" * 32, "CA" + "a" * 31 + "\x00", "ca" + "a" * 32]


@pytest.mark.parametrize("sid", BAD_SIDS)
def test_a_call_sid_that_is_not_twilios_shape_is_a_400_and_nothing_is_stored(app, session, redis, drain, sid):
    caller = Caller(app)
    caller.sid = sid
    form = caller._form(CallStatus="ringing")
    for path in ("/voice/incoming", "/voice/step?node=main&seq=1", "/voice/status"):
        assert twilio_post(app, path, form).status_code == 400, path
    assert drain() == 0
    assert session.exec(select(Call)).all() == [] and session.exec(select(CallStep)).all() == []
    assert list(redis.scan_iter("session:*")) == []


def test_an_account_sid_that_is_not_an_account_is_a_400(app, session, drain):
    caller = Caller(app)
    form = {**caller._form(CallStatus="ringing"), "AccountSid": "AC" + "1" * 40}
    assert twilio_post(app, "/voice/incoming", form).status_code == 400
    assert drain() == 0
    assert session.exec(select(Call)).all() == []


@pytest.mark.parametrize("duration", ["²", "٣", "3²", str(2**63), str(2**64), "-5", "1e3", "\u202e75"])
def test_a_status_callback_with_a_strange_duration_still_ends_the_call(app, session, drain, duration):
    caller = Caller(app)
    caller.dial()
    response = twilio_post(app, "/voice/status", caller._form(CallStatus="completed", CallDuration=duration))
    assert response.status_code == 204
    drain()
    call = session.exec(select(Call)).one()
    assert call.status == "completed" and call.ended_at is not None
    assert 0 <= call.duration_seconds < 60  # worked out from the call's own times, not the unbelievable figure


def test_a_status_callback_with_an_unknown_status_still_ends_the_call(app, session, drain):
    caller = Caller(app)
    caller.dial()
    twilio_post(app, "/voice/status", caller._form(CallStatus="x" * 500, CallDuration="75"))
    drain()
    call = session.exec(select(Call)).one()
    assert (call.status, call.duration_seconds) == ("completed", 75)


def test_a_caller_number_that_is_no_phone_number_is_stored_as_unknown(app, session, drain):
    for phone in ("+1" + "5" * 200, "²³¹⁴⁵⁶⁷", "\u202e+13125550147"):
        Caller(app, phone=phone).dial()
    drain()
    masked = sorted(call.caller_masked for call in session.exec(select(Call)).all())
    assert masked == ["*******0147", "unknown", "unknown"]  # the direction mark hides the "+"; nothing else shows


@pytest.mark.parametrize("digits", ["٣", "１", "²", "\x00", "1" * 5000])
def test_keys_that_are_not_keypad_keys_get_a_polite_reprompt(app, digits):
    caller = Caller(app)
    caller.dial()
    caller.press("1")
    heard = caller.press(digits)
    assert heard.node == "main" and heard.says[0][1].startswith("Sorry")
    assert "To ask a question, press 1." in heard.text


@pytest.mark.parametrize("confidence", ["nan", "inf", "1e309", "٠.٩", "-1", "2"])
def test_speech_with_an_unreadable_confidence_is_confirmed_not_trusted(app, confidence):
    caller = Caller(app)
    caller.dial()
    heard = caller.say("library hours", confidence=confidence)
    assert "I think you asked about Library hours." in heard.text


def test_nul_bytes_and_direction_marks_in_speech_are_not_stored(app, session, drain):
    caller = Caller(app)
    caller.dial()
    heard = caller.say("can you tell me a joke\x00 about \u202epenguins")
    assert heard.status == 200
    assert drain() == 2
    assert all("\x00" not in step.input_value for step in session.exec(select(CallStep)).all())


def test_a_recording_url_that_is_not_https_is_no_recording(app):
    caller = Caller(app)
    caller.dial()
    caller.press("1")
    heard = caller._step(RecordingUrl="javascript:alert(1)")
    assert heard.says[0] == ("en-US", "Sorry, I didn't hear anything.")
