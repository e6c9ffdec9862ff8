"""The TwiML driver plays Twilio's part against the real app: what a caller hears, and what Twilio would post."""

from __future__ import annotations

import asyncio
import datetime as dt
import json

import pytest
from sqlmodel import select

from core.db import in_session
from ivr.models import Call
from queueing import agents
from queueing.models import QueueOutcome, Voicemail
from simulator.driver import CallDriver, CallState, DriverError, Switchboard, send_text, signed_transport
from tests.callbacks.builders import AGENT_PIN, ANA, callbacks
from tests.helpers import AUTH_TOKEN, PUBLIC_BASE_URL
from tests.ivr.test_callback_calls import placed_call

RESIDENT = "+13125550147"
NEIGHBOUR = "+13125550166"
BEN = "+15555550102"  # an agent in config.toml's [[agents]]
PIN = "482913"
VERIFIED = {"StirVerstat": "TN-Validation-Passed-A"}


class Recorder:
    """A transport that keeps every (url, form) it posts, so a test can read what Twilio would have sent."""

    def __init__(self, inner):
        self.inner = inner
        self.posts: list[tuple[str, dict[str, str]]] = []

    async def post(self, url, form):
        self.posts.append((url, dict(form)))
        return await self.inner.post(url, form)

    def to(self, prefix: str) -> list[dict[str, str]]:
        """The forms posted to URLs starting with this path (absolute URLs are read as their path)."""
        return [form for url, form in self.posts if url.removeprefix(PUBLIC_BASE_URL).startswith(prefix)]


class Phones:
    """Calls and texts against the app, sharing one switchboard, on the test's clock."""

    def __init__(self, app, settings, clock):
        self.app, self.settings, self.clock = app, settings, clock
        self.transport = Recorder(signed_transport(app, auth_token=AUTH_TOKEN, public_base_url=PUBLIC_BASE_URL))
        self.board = Switchboard()

    def now(self) -> float:
        return self.clock.now.timestamp()

    def later(self, seconds: float) -> None:
        self.clock.now += dt.timedelta(seconds=seconds)

    def call(self, caller: str = RESIDENT) -> CallDriver:
        return run(
            CallDriver.dial(
                self.transport, caller=caller, to=self.settings.numbers[0], switchboard=self.board, now=self.now
            )
        )

    def agent(self, phone: str = BEN) -> CallDriver:
        return run(
            CallDriver.dial(
                self.transport,
                caller=phone,
                to="+15555550399",
                switchboard=self.board,
                now=self.now,
                path="/voice/agent",
                extra=VERIFIED,
            )
        )


def run(coroutine):
    return asyncio.run(coroutine)


def said(lines) -> str:
    return " ".join(line.text for line in lines if line.speaker == "service")


@pytest.fixture
def phones(app, settings, clock):
    return Phones(app, settings, clock)


def in_queue(phones: Phones, caller: str = RESIDENT, language_key: str = "1") -> CallDriver:
    call = phones.call(caller)
    run(call.press(language_key))
    run(call.press("0"))
    assert call.waiting_for == "queue"
    return call


def pin_set(phones: Phones) -> None:
    in_session(phones.app.app.state.ctx.engine, agents.set_pin, agent="Ben", pin=PIN, actor="test")


def signed_in_agent(phones: Phones) -> CallDriver:
    pin_set(phones)
    agent = phones.agent()
    run(agent.press(f"{PIN}#"))
    return agent


def test_dialling_plays_the_greeting_and_waits_at_the_first_prompt(phones, session):
    call = phones.call()
    assert "Thank you for calling Springfield 3 1 1." in call.said()
    assert call.waiting_for == "gather"
    first = phones.transport.posts[0]
    assert first[0] == "/voice/incoming" and first[1]["CallStatus"] == "ringing" and first[1]["From"] == RESIDENT
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


def test_the_wait_document_is_polled_on_twilios_schedule_with_queue_time_advancing(phones):
    call = in_queue(phones)
    first = phones.transport.to("/voice/queue/wait")
    assert len(first) == 1 and first[0]["QueueTime"] == "0" and first[0]["QueuePosition"] == "1"
    assert first[0]["QueueSid"].startswith("QU") and first[0]["CurrentQueueSize"] == "1"
    assert run(call.tick()) == []  # the wait document (announcements, then hold music) is still playing
    phones.later(50)
    heard = run(call.tick())
    polls = phones.transport.to("/voice/queue/wait")
    assert len(polls) == 2 and polls[1]["QueueTime"] == "50"
    assert "To leave a voice message instead of waiting, press 3." in said(heard)


def test_a_second_caller_hears_their_place_in_line(phones):
    in_queue(phones)
    second = in_queue(phones, NEIGHBOUR)
    assert "You are number 2 in line." in second.said()
    form = phones.transport.to("/voice/queue/wait")[-1]
    assert (form["QueuePosition"], form["CurrentQueueSize"]) == ("2", "2")


def test_the_place_in_line_moves_up_when_the_caller_ahead_hangs_up(phones):
    first = in_queue(phones)
    second = in_queue(phones, NEIGHBOUR)
    run(first.hang_up())
    phones.later(60)
    heard = run(second.tick())
    form = phones.transport.to("/voice/queue/wait")[-1]
    assert (form["CallSid"], form["QueuePosition"], form["CurrentQueueSize"]) == (second.state.call_sid, "1", "1")
    assert form["QueueTime"] == "60" and "in line" not in said(heard)


def test_a_key_in_the_queue_leaves_it_and_the_action_gets_queue_result_leave(phones, session):
    call = in_queue(phones)
    phones.later(20)
    heard = run(call.press("1"))  # keep my place: a call-back
    result = phones.transport.to("/voice/queue/result")
    assert result[-1]["QueueResult"] == "leave" and result[-1]["QueueTime"] == "20"
    assert "call you back" in said(heard)
    assert call.waiting_for == "gather" and phones.board.waiting("311-english") == []
    assert session.exec(select(QueueOutcome)).one().result == "left"


def test_a_key_the_wait_document_does_not_offer_keeps_the_caller_waiting(phones):
    call = in_queue(phones)
    run(call.press("7"))
    assert call.waiting_for == "queue"
    assert phones.transport.to("/voice/queue/keys")[-1]["Digits"] == "7"


def test_hanging_up_in_the_queue_posts_queue_result_hangup_and_the_status_callback(phones, session):
    call = in_queue(phones)
    phones.later(30)
    run(call.hang_up())
    assert phones.transport.to("/voice/queue/result")[-1]["QueueResult"] == "hangup"
    status = phones.transport.to("/voice/status")[-1]
    assert status["CallStatus"] == "completed" and status["CallDuration"] == "30"
    assert session.exec(select(QueueOutcome)).one().result == "abandoned"
    assert session.exec(select(Call).where(Call.call_sid == call.state.call_sid)).one().status == "completed"


def test_an_agent_dialling_the_queue_is_bridged_with_the_caller_at_its_front(phones, session):
    caller = in_queue(phones)
    phones.later(40)
    agent = signed_in_agent(phones)
    assert agent.waiting_for == "bridged" and agent.state.bridged_with == caller.state.call_sid
    assert f"connected to {RESIDENT}" in [line.text for line in agent.heard]
    connect = phones.transport.to("/voice/agent/connect")[-1]
    assert connect["CallSid"] == caller.state.call_sid and connect["DequeingCallSid"] == agent.state.call_sid
    assert connect["QueueTime"] == "40"
    heard = run(caller.tick())
    assert "Thank you for waiting. Connecting you now." in said(heard)
    assert caller.waiting_for == "bridged" and caller.state.bridged_with == agent.state.call_sid


def test_when_the_agent_hangs_up_the_caller_hears_goodbye_after_queue_result_bridged(phones, session):
    caller = in_queue(phones)
    agent = signed_in_agent(phones)
    run(caller.tick())
    phones.later(120)
    run(agent.hang_up())
    assert agent.waiting_for == "ended"
    heard = run(caller.tick())
    result = phones.transport.to("/voice/queue/result")[-1]
    assert result["QueueResult"] == "bridged" and result["CallSid"] == caller.state.call_sid
    assert "Thank you for calling Springfield 3 1 1. Goodbye." in said(heard)
    assert caller.waiting_for == "ended"
    assert session.exec(select(QueueOutcome)).one().result == "answered"
    assert {f["CallSid"] for f in phones.transport.to("/voice/status")} == {agent.state.call_sid, caller.state.call_sid}


def test_when_the_caller_hangs_up_the_agent_dial_action_says_completed_and_the_next_caller_is_taken(phones):
    first = in_queue(phones)
    agent = signed_in_agent(phones)
    second = in_queue(phones, NEIGHBOUR)
    phones.later(90)
    run(first.hang_up())
    assert phones.transport.to("/voice/queue/result")[-1]["QueueResult"] == "bridged"  # after the bridge ends
    run(agent.tick())
    dial = phones.transport.to("/voice/agent/next")[-1]
    assert dial["DialCallStatus"] == "completed" and dial["DialCallDuration"] == "90"
    assert agent.state.bridged_with == second.state.call_sid  # /voice/agent/next dialled the queue again


def test_an_agent_waiting_on_an_empty_queue_takes_the_next_caller_as_they_join(phones):
    agent = signed_in_agent(phones)
    assert agent.waiting_for == "dial"
    caller = phones.call()
    run(caller.press("1"))
    run(caller.press("0"))
    assert caller.waiting_for == "bridged"
    assert "Thank you for waiting. Connecting you now." in caller.said()
    run(agent.tick())
    assert agent.waiting_for == "bridged"


def test_an_agent_dial_with_nobody_waiting_ends_with_no_answer_after_its_timeout(phones):
    agent = signed_in_agent(phones)
    run(agent.tick())
    assert agent.waiting_for == "dial"
    phones.later(agent.state.dial["timeout"])
    run(agent.tick())
    assert phones.transport.to("/voice/agent/next")[-1]["DialCallStatus"] == "no-answer"
    assert agent.waiting_for == "dial"  # asked again: still signed in, dialling the queue once more


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


def test_a_request_signed_with_another_token_is_refused(app, settings):
    transport = signed_transport(app, auth_token="not-the-token", public_base_url=PUBLIC_BASE_URL)
    with pytest.raises(DriverError) as refused:
        run(CallDriver.dial(transport, caller=RESIDENT, to=settings.numbers[0]))
    assert refused.value.status == 403 and "403" in str(refused.value)


def test_a_text_gets_the_services_reply(phones):
    replies = run(send_text(phones.transport, sender=RESIDENT, to=phones.settings.numbers[0], body="HELP"))
    assert [line.kind for line in replies] == ["text"]
    assert "Reply STOP to opt out." in replies[0].text
    form = phones.transport.posts[-1][1]
    assert form["MessageSid"].startswith("SM") and form["Body"] == "HELP"


class Canned:
    """A transport answering fixed TwiML per path, for what the app never sends."""

    def __init__(self, documents: dict[str, str]):
        self.documents = documents
        self.posts: list[tuple[str, dict[str, str]]] = []

    async def post(self, url, form):
        self.posts.append((url, dict(form)))
        return (200, self.documents[url]) if url in self.documents else (404, "not found")


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


def test_a_full_queue_posts_queue_full_at_once():
    canned = Canned(
        {
            "/in": '<Response><Enqueue action="/full" waitUrl="/wait">q</Enqueue></Response>',
            "/full": "<Response><Say>Busy.</Say><Hangup/></Response>",
            "/status": "",
        }
    )
    board = Switchboard({"max_size": 0})
    call = run(
        CallDriver.dial(canned, caller=RESIDENT, to="+1555", path="/in", status_url="/status", switchboard=board)
    )
    assert [form.get("QueueResult") for url, form in canned.posts if url == "/full"] == ["queue-full"]
    assert call.said() == "Busy." and call.waiting_for == "ended"


def test_a_hangup_in_the_wait_document_ends_the_call_with_queue_result_hangup():
    canned = Canned(
        {
            "/in": '<Response><Enqueue action="/done" waitUrl="/wait">q</Enqueue></Response>',
            "/wait": "<Response><Say>Closing.</Say><Hangup/></Response>",
            "/done": "<Response/>",
            "/status": "",
        }
    )
    call = run(CallDriver.dial(canned, caller=RESIDENT, to="+1555", path="/in", status_url="/status"))
    assert [form.get("QueueResult") for url, form in canned.posts if url == "/done"] == ["hangup"]
    assert call.waiting_for == "ended" and canned.posts[-1][0] == "/status"


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


def test_a_call_back_the_service_placed_is_answered_queued_and_bridged_to_an_agent(
    phones, engine, settings, redis, twilio_api
):
    placed, sid = placed_call(phones.app, engine, settings, redis, twilio_api, topic="library-hours")
    resident = run(
        CallDriver.answer(
            phones.transport,
            url=placed["Url"],
            caller=placed["From"],
            to=placed["To"],
            call_sid=sid,
            status_url=placed["StatusCallback"],
            switchboard=phones.board,
            now=phones.now,
        )
    )
    assert "returning your call about" in resident.said() and resident.waiting_for == "gather"
    heard = run(resident.press("1"))
    assert "Please hold for the next available person." in said(heard)
    assert resident.waiting_for == "queue" and phones.board.waiting("311-callbacks") == [sid]
    agent = run(
        CallDriver.dial(
            phones.transport,
            caller=ANA,
            to="+15555550399",
            switchboard=phones.board,
            now=phones.now,
            path="/voice/agent",
            extra=VERIFIED,
        )
    )
    heard = run(agent.press(f"{AGENT_PIN}#"))
    assert "Next: a call-back, English." in said(heard) and agent.waiting_for == "bridged"
    assert callbacks(engine)[0].status == "completed"
    run(agent.hang_up())
    heard = run(resident.tick())
    assert phones.transport.to("/voice/callback/queued")[-1]["QueueResult"] == "bridged"
    assert "Goodbye" in said(heard) and resident.waiting_for == "ended"
    assert phones.transport.to("/voice/callback/status")[-1]["CallStatus"] == "completed"
