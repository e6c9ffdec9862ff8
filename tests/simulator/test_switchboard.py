"""Queues and bridges as Twilio keeps them: waiting in line, agents dialling the queue, either side hanging up."""

from __future__ import annotations

from sqlmodel import select

from core.phones import mask
from ivr.models import Call
from queueing.models import QueueOutcome
from simulator.call import CallDriver
from simulator.call_state import CallState
from simulator.switchboard import Switchboard
from tests.callbacks.builders import AGENT_PIN, ANA, callbacks
from tests.ivr.test_callback_calls import placed_call
from tests.simulator.phones import (
    NEIGHBOUR,
    RESIDENT,
    VERIFIED,
    Canned,
    in_queue,
    run,
    said,
    signed_in_agent,
)


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


def test_hanging_up_in_the_queue_posts_queue_result_hangup_and_the_status_callback(phones, session, drain):
    call = in_queue(phones)
    phones.later(30)
    run(call.hang_up())
    assert phones.transport.to("/voice/queue/result")[-1]["QueueResult"] == "hangup"
    status = phones.transport.to("/voice/status")[-1]
    assert status["CallStatus"] == "completed" and status["CallDuration"] == "30"
    assert session.exec(select(QueueOutcome)).one().result == "abandoned"
    drain()  # the call's records, written behind
    assert session.exec(select(Call).where(Call.call_sid == call.state.call_sid)).one().status == "completed"


def test_an_agent_dialling_the_queue_is_bridged_with_the_caller_at_its_front(phones, session):
    caller = in_queue(phones)
    phones.later(40)
    agent = signed_in_agent(phones)
    assert agent.waiting_for == "bridged" and agent.state.bridged_with == caller.state.call_sid
    assert f"connected to {mask(RESIDENT)}" in [line.text for line in agent.heard]  # masked on the agent's side
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
    phones.later(agent.state.dial.timeout)
    run(agent.tick())
    assert phones.transport.to("/voice/agent/next")[-1]["DialCallStatus"] == "no-answer"
    assert agent.waiting_for == "dial"  # asked again: still signed in, dialling the queue once more


def test_a_full_queue_posts_queue_full_at_once():
    canned = Canned(
        {
            "/in": '<Response><Enqueue action="/full" waitUrl="/wait">q</Enqueue></Response>',
            "/full": "<Response><Say>Busy.</Say><Hangup/></Response>",
            "/status": "",
        }
    )
    board = Switchboard(max_size=0)
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
    # The agent's side shows the resident's number (masked), never the service's own number that placed the call.
    assert f"connected to {mask(placed['To'])}" in [line.text for line in agent.heard]
    assert not any(placed["From"] in line.text for line in agent.heard)
    assert callbacks(engine)[0].status == "completed"
    run(agent.hang_up())
    heard = run(resident.tick())
    assert phones.transport.to("/voice/callback/queued")[-1]["QueueResult"] == "bridged"
    assert "Goodbye" in said(heard) and resident.waiting_for == "ended"
    assert phones.transport.to("/voice/callback/status")[-1]["CallStatus"] == "completed"


# A browser phone's switchboard and call as stored in Redis before the simulator was split into modules (the keys the
# dict-shaped state had); a session stored then must load and carry on after an upgrade.
STORED_SWITCHBOARD = {
    "queues": {
        "q": [
            {
                "call_sid": "CA2",
                "caller": NEIGHBOUR,
                "joined_at": 100.0,
                "form": {"CallSid": "CA2", "From": NEIGHBOUR},
                "action": "/done",
            }
        ]
    },
    "dialers": {"q": []},
    "bridges": {
        "CA1": {"with": "CA9", "since": 90.0, "queue": "q", "queue_time": 30, "role": "caller"},
        "CA9": {"with": "CA1", "since": 90.0, "queue": "q", "queue_time": 30, "role": "agent"},
    },
    "mailbox": {"CA9": [{"speaker": "system", "text": "connected to x", "language": None, "kind": "event"}]},
    "ended": {"CA7": {"with": "CA8", "since": 10.0, "queue": "q", "queue_time": 4, "role": "caller", "ended_at": 50.0}},
    "waits": {"q": [2, 64]},
    "max_size": 1000,
}
STORED_CALL = {
    "call_sid": "CA2",
    "caller": NEIGHBOUR,
    "to": "+1555",
    "direction": "inbound",
    "account_sid": "AC" + "0" * 32,
    "status": "in-progress",
    "started_at": 95.0,
    "status_url": "/status",
    "extra": {},
    "waiting_for": "queue",
    "document_url": "/in",
    "pending": None,
    "queue": {
        "name": "q",
        "sid": Switchboard.queue_sid("q"),
        "joined_at": 100.0,
        "next_poll_at": 130.0,
        "action": "/done",
        "wait_url": "/wait",
        "gather": {"attrs": {"numDigits": "1", "action": "/key"}, "url": "/wait"},
        "rest": "<Response />",
        "url": "/in",
    },
    "dial": None,
    "bridged_with": None,
    "bridge": None,
    "heard": [],
}


def test_a_switchboard_and_call_stored_before_the_split_load_and_keep_their_shape():
    board, state = Switchboard.from_dict(STORED_SWITCHBOARD), CallState.from_dict(STORED_CALL)
    assert board.to_dict() == STORED_SWITCHBOARD and state.to_dict() == STORED_CALL
    assert board.waiting("q") == ["CA2"] and board.average_wait("q") == 32
    assert board.bridges["CA1"].other_call_sid == "CA9" and board.ended["CA7"].ended_at == 50.0
    assert state.queue.gather.attributes["action"] == "/key"
    canned = Canned({"/key": "<Response><Leave/></Response>", "/done": "<Response><Say>Bye.</Say></Response>"})
    canned.documents["/status"] = ""
    call = CallDriver(canned, state, switchboard=board, now=lambda: 140.0)
    run(call.press("1"))
    assert [url for url, _ in canned.posts] == ["/key", "/done", "/status"]
    assert canned.posts[1][1]["QueueResult"] == "leave" and canned.posts[1][1]["QueueTime"] == "40"
    assert call.said() == "Bye." and board.waiting("q") == []
