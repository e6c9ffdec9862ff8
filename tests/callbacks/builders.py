"""Builders for call-back tests: callers who keep their place, agents on the agent line, the dispatcher's runs, and
the webhooks Twilio sends for a call-back's call, all through the real app and the Twilio stand-in."""

from __future__ import annotations

import itertools
from urllib.parse import urlsplit

from sqlmodel import Session, select

from callbacks.models import Callback, CallbackAttempt
from core.db import in_session
from core.worker import queue
from outreach import callback_dispatch
from queueing import agents
from tests.conftest import run_jobs
from tests.helpers import PUBLIC_BASE_URL, AgentCall, Caller, Heard, hear, twilio_post

ANA, BEN = "+15555550101", "+15555550102"  # config.toml's agents: Ana speaks English and Spanish, Ben English
ENGLISH = "lang=en-US&queue=311-english"
_agent_sids = itertools.count(1)


def queue_form(caller: Caller, **fields: str) -> dict[str, str]:
    """What Twilio posts for a caller in a queue."""
    return {**caller._form(), "QueueSid": "QU" + "a" * 32, **fields}


def waiting_caller(app, *, waited: int, phone: str = "+13125550147", position: int = 1) -> Caller:
    """A caller who asked for a person and has waited `waited` seconds in the English queue."""
    caller = Caller(app, phone=phone)
    caller.dial()
    caller.say("when is the library open")
    assert "<Enqueue" in caller.press("0").xml
    form = queue_form(caller, QueuePosition=str(position), QueueTime=str(waited), CurrentQueueSize="3")
    hear(twilio_post(app, f"/voice/queue/wait?{ENGLISH}", form))
    return caller


def leave_queue(app, caller: Caller, key: str, *, waited: int | None = None) -> Heard:
    """The caller presses 1 (keep my place) or 2 (choose a time) and leaves the queue; returns what they hear next."""
    fields = {"Digits": key} | ({"QueueTime": str(waited)} if waited is not None else {})
    left = hear(twilio_post(app, f"/voice/queue/keys?{ENGLISH}", queue_form(caller, **fields)))
    assert "<Leave" in left.xml
    result = twilio_post(app, f"/voice/queue/result?{ENGLISH}",
                         queue_form(caller, QueueResult="leave", QueueTime=str(waited or 0)))
    caller.last = hear(result)
    return caller.last


def keep_my_place(app, *, waited: int, phone: str = "+13125550147") -> Caller:
    """A caller who waited, pressed 1, and booked a call-back to their own number (no text)."""
    caller = waiting_caller(app, waited=waited, phone=phone)
    heard = leave_queue(app, caller, "1", waited=waited)
    assert "number ending in" in heard.text, heard.text
    caller.press("1")
    done = caller.press("2")
    assert "You're all set" in done.text and done.hangup, done.text
    return caller


AGENT_PIN = "246810"


def agent_dials_in(app, phone: str = ANA, sid: str | None = None) -> tuple[str, Heard]:
    """An agent calls the agent line and keys their PIN, or (sid given) their Dial ended and Twilio asks again."""
    if sid is not None:
        form = {"CallSid": sid, "AccountSid": "AC" + "1" * 32, "From": phone, "To": "+15555550311",
                "CallStatus": "in-progress"}
        return sid, hear(twilio_post(app, "/voice/agent/next", form))
    agent = agents.find_agent(app.app.state.ctx.settings, phone)
    in_session(app.app.state.ctx.engine, agents.set_pin, agent=agent.name, pin=AGENT_PIN, actor="test")
    call = AgentCall(app, phone)
    return call.sid, call.sign_in(AGENT_PIN)


def agent_takes(app, agent_sid: str, call_sid: str, queue_name: str, waited: int = 30):
    """Twilio puts a waiting caller through to the agent (the <Queue url> document is fetched for the caller)."""
    form = {"CallSid": call_sid, "AccountSid": "AC" + "1" * 32, "QueueSid": "QU" + "a" * 32,
            "QueueTime": str(waited), "DequeingCallSid": agent_sid}
    return twilio_post(app, f"/voice/agent/connect?queue={queue_name}", form)


def dispatch(settings, redis) -> None:
    """One run of the dispatcher, as the cron schedule runs it every 15 seconds."""
    queue(redis).enqueue(callback_dispatch.dispatch)
    run_jobs(settings, redis)


def callbacks(engine) -> list[Callback]:
    """Every call-back, oldest first, read fresh."""
    with Session(engine) as session:
        return list(session.exec(select(Callback).order_by(Callback.id)).all())


def attempts(engine) -> list[CallbackAttempt]:
    """Every attempt, in order."""
    with Session(engine) as session:
        return list(session.exec(select(CallbackAttempt).order_by(CallbackAttempt.id)).all())


def path_of(url: str) -> str:
    """The path and query Twilio requests for one of our absolute webhook URLs."""
    assert url.startswith(PUBLIC_BASE_URL), url
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


def call_form(call_sid: str, to: str, **fields: str) -> dict[str, str]:
    """What Twilio posts for our outbound call to the resident."""
    return {"CallSid": call_sid, "AccountSid": "AC" + "1" * 32, "From": "+15555550311", "To": to,
            "CallStatus": "in-progress", "Direction": "outbound-api", **fields}


def answer(app, placed: dict[str, str], call_sid: str, answered_by: str = "human") -> Heard:
    """The resident (or a machine) answers the call-back's call."""
    form = call_form(call_sid, placed["To"], AnsweredBy=answered_by)
    return hear(twilio_post(app, path_of(placed["Url"]), form))


def call_status(app, placed: dict[str, str], call_sid: str, status: str):
    """Twilio's status callback at the end of the call-back's call."""
    form = call_form(call_sid, placed["To"], CallStatus=status, CallDuration="0")
    response = twilio_post(app, path_of(placed["StatusCallback"]), form)
    assert response.status_code == 204, response.text
