"""The agent line's idle loop is legitimate repetition, not a replay: an agent waiting for minutes stays ready on every
web process, so call-backs are dialled; only a retry of the same delivery (the same idempotency token) is a replay."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import itertools
from urllib.parse import urlencode

from starlette.testclient import TestClient

import core.clock
from app import create_app
from core.defaults import AGENT_IDLE_DIAL_SECONDS, AGENT_READY_SECONDS
from queueing.agent_presence import AgentPresence
from simulator.driver import CallDriver, Switchboard, signed_transport
from tests.callbacks.builders import AGENT_PIN, ANA, agent_dials_in, dispatch
from tests.helpers import AUTH_TOKEN, PUBLIC_BASE_URL, sign, twilio_post
from tests.ivr.test_callback_calls import book

# Long enough that a ready mark not renewed since the first round would have faded.
ROUNDS = AGENT_READY_SECONDS // AGENT_IDLE_DIAL_SECONDS + 2


@contextlib.contextmanager
def second_process(settings, clock):
    """Another web process: its own app and caches, the same database and Redis."""
    try:
        with TestClient(create_app(settings, clock=clock)) as client:
            yield client
    finally:
        core.clock.install(clock)  # the first process still runs on the test's clock


class Alternating:
    """Twilio's requests spread over the web processes behind the load balancer: each goes to the next one."""

    def __init__(self, *transports) -> None:
        self._next = itertools.cycle(transports)

    async def post(self, url, form):
        return await next(self._next).post(url, form)


def ready(client, language: str = "en-US") -> int:
    ctx = client.app.state.ctx
    return client.portal.call(lambda: AgentPresence(ctx.redis).ready_for(language, ctx.now()))


def later(clock, seconds: float) -> None:
    clock.now += dt.timedelta(seconds=seconds)


def placed_callbacks(twilio_api) -> list[dict[str, str]]:
    return [call for call in twilio_api.calls() if "/voice/callback/answer" in call.get("Url", "")]


def test_idle_agent_loop_is_not_a_replay_and_callbacks_are_dialled(app, settings, engine, redis, clock, twilio_api):
    with second_process(settings, clock) as other:
        # Plain repeated identical posts, as Twilio without the idempotency header and an older Dial URL sends them.
        sid, _ = agent_dials_in(app, ANA)
        for web in itertools.islice(itertools.cycle([other, app]), ROUNDS):
            later(clock, AGENT_IDLE_DIAL_SECONDS)
            _, heard = agent_dials_in(web, ANA, sid=sid)
            assert "No one is waiting right now." in heard.text
        assert ready(app) == 1 and ready(other) == 1
        twilio_post(app, "/voice/status", {"CallSid": sid, "AccountSid": "AC" + "1" * 32, "From": ANA,
                                           "CallStatus": "completed", "CallDuration": "300"})
        assert ready(app) == 0

        # The TwiML driver, its requests alternating between the two processes.
        transports = [signed_transport(web, auth_token=AUTH_TOKEN, public_base_url=PUBLIC_BASE_URL)
                      for web in (app, other)]
        agent = asyncio.run(CallDriver.dial(
            Alternating(*transports), caller=ANA, to="+15555550399", switchboard=Switchboard(),
            now=lambda: clock.now.timestamp(), path="/voice/agent", extra={"StirVerstat": "TN-Validation-Passed-A"},
        ))
        asyncio.run(agent.press(f"{AGENT_PIN}#"))
        for _ in range(ROUNDS):
            later(clock, AGENT_IDLE_DIAL_SECONDS)
            asyncio.run(agent.tick())
            assert agent.waiting_for == "dial"
        assert ready(app) == 1 and ready(other) == 1

        # A call-back falls due: the dispatcher sees a ready agent and dials the resident.
        book(engine, due_at=clock.now - dt.timedelta(minutes=1), phone="+13125550150")
        dispatch(settings, redis)
        assert [call["To"] for call in placed_callbacks(twilio_api)] == ["+13125550150"]


def _next_form(sid: str) -> dict[str, str]:
    return {"CallSid": sid, "AccountSid": "AC" + "1" * 32, "From": ANA, "To": "+15555550311",
            "CallStatus": "in-progress", "DialCallStatus": "no-answer"}


def _post_next(client, sid: str, token: str):
    form = _next_form(sid)
    headers = {"Content-Type": "application/x-www-form-urlencoded",
               "X-Twilio-Signature": sign("/voice/agent/next", form), "I-Twilio-Idempotency-Token": token}
    return client.post("/voice/agent/next", content=urlencode(form), headers=headers)


def _ready_since(client, sid: str) -> float | None:
    return client.portal.call(lambda: client.app.state.ctx.redis.zscore(AgentPresence.READY, sid))


def test_retry_with_same_idempotency_token_is_a_replay(app, settings, clock):
    sid, _ = agent_dials_in(app, ANA)
    with second_process(settings, clock) as other:
        later(clock, AGENT_IDLE_DIAL_SECONDS)
        first = _post_next(app, sid, "idem-round-1")
        renewed = _ready_since(app, sid)
        assert renewed == clock.now.timestamp()
        later(clock, 5)
        retry = _post_next(other, sid, "idem-round-1")  # Twilio retries that delivery, on the other process
        assert retry.text == first.text
        assert _ready_since(app, sid) == renewed  # the retry was answered, not acted on again
        next_round = _post_next(other, sid, "idem-round-2")  # the loop's next request: same fields, a new token
        assert next_round.status_code == 200
        assert _ready_since(app, sid) == clock.now.timestamp()

        # The driver names each delivery with a fresh token and a retry with the same one.
        transport = signed_transport(other, auth_token=AUTH_TOKEN, public_base_url=PUBLIC_BASE_URL)
        status, text = asyncio.run(transport.post("/voice/agent/next", _next_form(sid)))
        token = transport.last[2]["I-Twilio-Idempotency-Token"]
        later(clock, 5)
        again = asyncio.run(transport.retry())
        assert again == (status, text) and transport.last[2]["I-Twilio-Idempotency-Token"] == token
        assert _ready_since(app, sid) == clock.now.timestamp() - 5
        asyncio.run(transport.post("/voice/agent/next", _next_form(sid)))
        assert transport.last[2]["I-Twilio-Idempotency-Token"] != token
        assert _ready_since(app, sid) == clock.now.timestamp()


def test_an_agent_loop_request_re_sent_after_the_call_ended_marks_nobody_ready(app):
    sid, _ = agent_dials_in(app, ANA)
    twilio_post(app, "/voice/status", {"CallSid": sid, "AccountSid": "AC" + "1" * 32, "From": ANA,
                                       "CallStatus": "completed", "CallDuration": "300"})
    assert ready(app) == 0
    _, heard = agent_dials_in(app, ANA, sid=sid)  # the loop's request, re-sent by someone who kept it
    assert "PIN" in heard.text and "<Dial" not in heard.xml
    assert ready(app) == 0
