"""Agents on the agent line: ready while waiting for a caller, busy when put through, gone when their call ends, and
forgotten when the agent line stops seeing them."""

from __future__ import annotations

import datetime as dt

from core.defaults import AGENT_READY_SECONDS
from queueing.agent_presence import AgentPresence
from tests.callbacks.builders import ANA, BEN, agent_dials_in, agent_takes, waiting_caller
from tests.helpers import twilio_post


def ready(app, language: str) -> int:
    ctx = app.app.state.ctx
    return app.portal.call(lambda: AgentPresence(ctx.redis).ready_for(language, ctx.now()))


def test_ready_busy_and_gone(app, clock):
    ana, _ = agent_dials_in(app, ANA)
    ben, _ = agent_dials_in(app, BEN)
    assert (ready(app, "en-US"), ready(app, "es-US")) == (2, 1)
    caller = waiting_caller(app, waited=30)
    agent_takes(app, ben, caller.sid, "311-english")
    assert (ready(app, "en-US"), ready(app, "es-US")) == (1, 1)
    twilio_post(app, "/voice/status", {"CallSid": ana, "AccountSid": "AC" + "1" * 32, "From": ANA,
                                       "CallStatus": "completed", "CallDuration": "600"})
    assert ready(app, "es-US") == 0
    agent_dials_in(app, BEN, sid=ben)  # the conversation ended: Ben's Dial hands him back to the agent line
    assert ready(app, "en-US") == 1
    clock.now = clock.now + dt.timedelta(seconds=AGENT_READY_SECONDS + 1)
    assert ready(app, "en-US") == 0  # a hang-up we never heard of leaves no phantom agent


def test_an_idle_agent_is_asked_again_after_a_while_without_the_pin_again(app):
    sid, heard = agent_dials_in(app, BEN)
    assert 'action="/voice/agent/next?seq=1"' in heard.xml and 'timeout="20"' in heard.xml
    assert "No one is waiting right now." in heard.text
    _, again = agent_dials_in(app, BEN, sid=sid)  # the Dial ended: Twilio asks the action URL
    assert "No one is waiting right now." in again.text and "PIN" not in again.text


def test_the_next_caller_route_asks_for_the_pin_on_a_call_that_never_keyed_it(app):
    agent_dials_in(app, BEN)  # Ben has a PIN and is signed in on another call
    _, heard = agent_dials_in(app, BEN, sid="CA" + "5" * 32)
    assert "PIN" in heard.text and "/voice/agent/pin" in heard.xml
