"""One call played as Twilio plays it against the real app: what a caller hears, and what Twilio would post."""

from __future__ import annotations

import json

import pytest
from sqlmodel import select

from ivr.models import Call
from queueing.models import Voicemail
from simulator.call import CallDriver
from simulator.call_state import CallState
from simulator.switchboard import Switchboard
from simulator.transport import DriverError
from tests.simulator.phones import (
    RESIDENT,
    Canned,
    in_queue,
    pin_set,
    run,
    said,
)


def test_dialling_plays_the_greeting_and_waits_at_the_first_prompt(phones, session, drain):
    call = phones.call()
    assert "Thank you for calling Springfield 3 1 1." in call.said()
    assert call.waiting_for == "gather"
    first = phones.transport.posts[0]
    assert first[0] == "/voice/incoming" and first[1]["CallStatus"] == "ringing" and first[1]["From"] == RESIDENT
    drain()
    assert session.exec(select(Call)).one().call_sid == call.state.call_sid


def test_keys_are_cut_to_the_gathers_num_digits(phones):
    call = phones.call()
    heard = run(call.press("15"))  # the language menu takes one key: 1 is English, the 5 is lost
    assert phones.transport.posts[-1][1]["Digits"] == "1"
    assert "Main menu." in said(heard)
    assert heard[0].speaker == "caller" and heard[0].text == "15"


def test_keys_stop_at_finish_on_key(phones):
    pin_set(phones)
    agent = phones.agent()
    run(agent.press("12#34"))
    assert phones.transport.posts[-1][1]["Digits"] == "12"


def test_speech_is_posted_with_its_confidence(phones):
    call = phones.call()
    run(call.press("1"))
    heard = run(call.say("my trash did not get picked up today", confidence=0.42))
    form = phones.transport.posts[-1][1]
    assert form["SpeechResult"] == "my trash did not get picked up today" and form["Confidence"] == "0.42"
    assert "I think you asked about Missed trash pickup." in said(heard)


def test_words_at_a_keys_only_prompt_count_as_nothing_heard(phones):
    pin_set(phones)
    agent = phones.agent()  # the agent line's PIN prompt takes keys only
    heard = run(agent.say("four eight two"))
    assert "Digits" not in phones.transport.posts[-1][1] and "SpeechResult" not in phones.transport.posts[-1][1]
    assert agent.waiting_for == "ended" and heard[-1].text == "call ended"


def test_silence_with_action_on_empty_result_posts_the_action_with_no_input(phones):
    call = phones.call()
    run(call.press("1"))
    heard = run(call.silence())
    url, form = phones.transport.posts[-1]
    assert url.startswith("/voice/step?node=main") and "Digits" not in form and "SpeechResult" not in form
    assert "Sorry, I didn't hear anything." in said(heard)
    assert call.waiting_for == "gather"


def test_silence_without_it_falls_through_to_the_next_verb_and_the_call_ends(phones):
    pin_set(phones)
    agent = phones.agent()
    heard = run(agent.silence())  # the PIN Gather times out: Twilio plays what follows it, then the Hangup
    assert not any(url.startswith("/voice/agent/pin") for url, _ in phones.transport.posts)
    assert said(heard)  # the "no PIN" line after the Gather
    assert agent.waiting_for == "ended"
    status = phones.transport.to("/voice/status")[-1]
    assert status["CallStatus"] == "completed" and status["CallSid"] == agent.state.call_sid


def test_a_prompt_times_out_by_itself_when_time_passes(phones):
    call = phones.call()
    run(call.press("1"))
    assert run(call.tick()) == []  # still within the timeout
    phones.later(60)
    assert "Sorry, I didn't hear anything." in said(run(call.tick()))


def test_a_recording_is_posted_and_no_recording_follows_the_redirect(phones, session):
    call = in_queue(phones)
    run(call.press("3"))
    assert call.waiting_for == "record"
    heard = run(call.silence())  # no audio: Twilio posts nothing and moves on to the <Redirect> after the Record
    assert "Sorry, I didn't hear anything." in said(heard)
    assert call.waiting_for == "record"
    heard = run(call.say("the streetlight on my corner is out"))
    form = phones.transport.posts[-2][1]
    assert form["RecordingUrl"].startswith("https://api.twilio.com/") and form["RecordingDuration"].isdigit()
    assert "Your message has been saved" in said(heard)
    assert call.waiting_for == "ended"
    assert session.exec(select(Voicemail)).one().call_sid == call.state.call_sid


def test_a_call_and_its_switchboard_carry_on_from_json(phones):
    call = in_queue(phones)
    state = json.loads(json.dumps(call.state.to_dict()))
    board = json.loads(json.dumps(phones.board.to_dict()))
    again = CallDriver(
        phones.transport, CallState.from_dict(state), switchboard=Switchboard.from_dict(board), now=phones.now
    )
    assert again.heard == call.heard and again.waiting_for == "queue"
    run(again.press("1"))
    assert again.waiting_for == "gather" and again.switchboard.waiting("311-english") == []


def test_relative_urls_resolve_against_the_document_and_a_gather_defaults_to_it():
    canned = Canned(
        {
            "/ivr/start": "<Response><Redirect>menu</Redirect></Response>",
            "/ivr/menu": "<Response><Gather><Say>Press a key.</Say></Gather></Response>",
        }
    )
    call = run(CallDriver.dial(canned, caller=RESIDENT, to="+15555550311", path="/ivr/start", status_url=None))
    assert call.said() == "Press a key."
    run(call.press("1"))
    # No action attribute: the keys go to the URL of the document the Gather is in.
    assert canned.posts[-1] == ("/ivr/menu", {**canned.posts[0][1], "CallStatus": "in-progress", "Digits": "1"})


def test_a_redirect_loop_is_reported_not_followed_forever():
    canned = Canned({"/loop": "<Response><Redirect>/loop</Redirect></Response>"})
    with pytest.raises(DriverError, match="redirects"):
        run(CallDriver.dial(canned, caller=RESIDENT, to="+15555550311", path="/loop"))


def test_an_answer_that_is_not_twiml_is_reported():
    canned = Canned({"/x": "<html>oops</html>"})
    with pytest.raises(DriverError, match="not a TwiML"):
        run(CallDriver.dial(canned, caller=RESIDENT, to="+15555550311", path="/x"))


def test_an_outbound_call_is_answered_with_answered_by():
    canned = Canned(
        {"/voice/callback/answer?callback=1&attempt=1": "<Response><Say>Hello.</Say></Response>", "/cb/status": ""}
    )
    call = run(
        CallDriver.answer(
            canned,
            url="/voice/callback/answer?callback=1&attempt=1",
            caller="+15555550311",
            to=RESIDENT,
            status_url="/cb/status",
            answered_by="machine_start",
        )
    )
    first = canned.posts[0][1]
    assert first["Direction"] == "outbound-api" and first["AnsweredBy"] == "machine_start"
    assert call.said() == "Hello." and canned.posts[-1][0] == "/cb/status"
