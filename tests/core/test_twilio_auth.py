"""Every webhook checks X-Twilio-Signature; bad requests get a clear 4xx or a polite re-prompt, never a 500."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from sqlmodel import select

from ivr.models import Call, CallStep
from tests.helpers import Caller, sign, twilio_post

FORM = {"CallSid": "CA" + "f" * 32, "From": "+13125550147", "To": "+15555550311", "CallStatus": "ringing"}


@pytest.mark.parametrize("path", ["/voice/incoming", "/voice/status", "/voice/step?node=main&seq=1"])
def test_unsigned_request_is_refused_and_nothing_is_stored(app, session, path):
    response = app.post(path, content=urlencode(FORM), headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert response.status_code == 403
    assert session.exec(select(Call)).all() == []
    assert session.exec(select(CallStep)).all() == []


def test_signature_for_other_params_is_refused(app, session):
    signature = sign("/voice/incoming", {**FORM, "From": "+19999999999"})
    assert twilio_post(app, "/voice/incoming", FORM, signature=signature).status_code == 403
    assert session.exec(select(Call)).all() == []


def test_signature_made_with_another_token_is_refused(app):
    signature = sign("/voice/incoming", FORM, token="not-our-token")
    assert twilio_post(app, "/voice/incoming", FORM, signature=signature).status_code == 403


def test_signature_is_checked_against_the_public_url_not_the_internal_host(app):
    # Behind a TLS proxy the app sees http://testserver, but Twilio signed PUBLIC_BASE_URL.
    from twilio.request_validator import RequestValidator

    from tests.helpers import AUTH_TOKEN

    wrong = RequestValidator(AUTH_TOKEN).compute_signature("http://testserver/voice/incoming", FORM)
    assert twilio_post(app, "/voice/incoming", FORM, signature=wrong).status_code == 403
    assert twilio_post(app, "/voice/incoming", FORM).status_code == 200


def test_letters_in_digits_get_a_polite_reprompt(app):
    caller = Caller(app)
    caller.dial()
    caller.press("1")
    heard = caller._step(Digits="abc")
    assert heard.says[0] == ("en-US", "Sorry, I didn't understand that.")
    assert heard.node == "main"


def test_ten_kilobyte_speech_result_is_handled(app):
    caller = Caller(app)
    caller.dial()
    heard = caller.say("library " * 1300)
    assert heard.status == 200 and heard.node in {"after", "confirm", "unsure"}


def test_missing_call_sid_is_a_400(app):
    form = {"From": "+13125550147"}
    assert twilio_post(app, "/voice/incoming", form).status_code == 400


def test_wrong_content_type_is_a_415(app):
    body = '{"CallSid": "CA1"}'
    headers = {"Content-Type": "application/json", "X-Twilio-Signature": sign("/voice/incoming", {})}
    assert app.post("/voice/incoming", content=body, headers=headers).status_code == 415


def test_non_utf8_body_is_a_400(app):
    headers = {"Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": "x"}
    response = app.post("/voice/incoming", content=b"CallSid=CA1&SpeechResult=caf\xe9", headers=headers)
    assert response.status_code == 400


def test_step_for_an_unknown_node_goes_to_the_main_menu(app):
    caller = Caller(app)
    caller.dial()
    caller.last.action = "/voice/step?node=nonsense&seq=99"
    assert caller.press("1").node == "main"


def test_lost_session_does_not_fail_the_caller(app, redis):
    caller = Caller(app)
    caller.dial()
    for key in redis.scan_iter("session:*"):
        redis.delete(key)
    heard = caller.press("1")
    assert heard.node == "main"
