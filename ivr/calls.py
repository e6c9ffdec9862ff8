"""One voice webhook, start to finish: the session in Redis, a conversation step, the call record, side effects."""

from __future__ import annotations

import re

from pydantic import ValidationError

from core.defaults import CALL_SESSION_TTL
from core.phones import mask, normalize, number_key
from core.twilio_fields import fraction, seconds
from flows import runner
from flows.capabilities import VOICE
from flows.context import FlowContext
from flows.session import Session
from flows.sessions import SessionStore
from flows.turns import Input, InputKind, Turn
from ivr import records, twiml
from ivr.models import CallCreate
from queueing import agents, waiting
from queueing.agent_desk import AgentDesks, city_day
from queueing.agent_presence import AgentPresence

MAX_SPEECH = 500
# Twilio's CallStatus values; the last five mean the call is over.
CALL_STATUSES = frozenset({"queued", "ringing", "in-progress", "completed", "busy", "failed", "no-answer", "canceled"})
FINAL_STATUSES = frozenset({"completed", "busy", "failed", "no-answer", "canceled"})


def parse_input(form: dict[str, str]) -> Input:
    """The caller's input from Twilio's Gather fields: keys, speech with its confidence, or nothing."""
    if form.get("RecordingUrl", "").startswith("https://"):  # Twilio's recordings; anything else is no recording
        return Input(InputKind.RECORDING, form["RecordingUrl"][:500])
    speech = " ".join(form.get("SpeechResult", "").split())[:MAX_SPEECH]
    if speech:
        return Input(InputKind.SPEECH, speech, _confidence(form.get("Confidence")))
    digits = form.get("Digits", "").strip()
    if digits:
        # Only keypad characters are read back to the caller; anything else is "not understood".
        return Input(InputKind.KEY, digits[:20] if re.fullmatch(r"[0-9*#]+", digits) else "")
    return Input(InputKind.NONE)


def _confidence(raw: str | None) -> float:
    if raw in (None, ""):
        return 1.0
    # An unreadable confidence ("nan", "٠.٩") is not trusted: the caller is asked to confirm what we heard.
    confidence = fraction(raw)
    return 0.0 if confidence is None else confidence


def _call(ctx: FlowContext, form: dict[str, str]) -> CallCreate:
    caller = form.get("From", "")
    key = number_key(ctx.settings.console_secret, caller)
    return CallCreate(call_sid=form["CallSid"], caller_masked=mask(caller), caller_key=key)


def store(ctx: FlowContext) -> SessionStore:
    """Where calls' sessions live."""
    return SessionStore(ctx.redis, "call", CALL_SESSION_TTL)


def new_session(ctx: FlowContext, form: dict[str, str]) -> Session:
    """A call's session from its first webhook: the caller's number when it is a real one."""
    phone = normalize(form.get("From", ""))
    return Session(
        lang=ctx.settings.default_language.code, channel="voice", phone=phone, can_text=phone is not None,
        call_sid=form["CallSid"],
    )


def unhandled(saved: str | None, seq: str) -> bool:
    """Whether a step numbered `seq` cannot have been handled yet, by the call's saved session (its JSON): the session
    waits for that step and has seen every step since the greeting. It moves on in the MULTI that stores a step's
    answer, so a handled step is always behind it; a session lost and made again (from_greeting unset) proves nothing.
    """
    if not saved or not seq.isascii() or not seq.isdigit():
        return False
    try:
        session = Session.model_validate_json(saved)
    except ValidationError:
        return False
    return session.from_greeting and session.seq == int(seq)


async def incoming(ctx: FlowContext, form: dict[str, str]) -> str:
    """A new call: greet, record it, and wait for a language or a question."""
    session = new_session(ctx, form)
    session.from_greeting = True
    turn = await runner.start(ctx, session, VOICE)
    return await _finish(ctx, form, session, turn, welcome=True)


async def step(ctx: FlowContext, form: dict[str, str], node: str, language: str | None = None) -> str:
    """The caller answered a prompt at node: advance the conversation."""
    session = await store(ctx).load(form["CallSid"])
    if session is None:  # expired, or lost with Redis: told so in their language (from the URL) if it mattered
        session = new_session(ctx, form)
        session.lang = ctx.settings.language(language).code
        turn = await runner.recover(ctx, session, node, parse_input(form), VOICE)
    else:
        turn = await runner.advance(ctx, session, node, parse_input(form), VOICE)
    return await _finish(ctx, form, session, turn, welcome=turn.node == "welcome")


async def _finish(ctx: FlowContext, form, session: Session, turn: Turn, welcome: bool) -> str:
    await records.add_steps(ctx.redis, call=_call(ctx, form), language=turn.language, steps=turn.steps)
    session.seq += 1
    await store(ctx).save_with_answer(form["CallSid"], session)  # the session is not changed after this
    return twiml.render(turn, ctx.settings, ctx.wording, seq=session.seq, welcome=welcome)


async def status(ctx: FlowContext, form: dict[str, str]) -> None:
    """Twilio's status callback: the call ended, so it waits in no queue any more."""
    # Whatever else the callback carries, the call ended: an odd status or duration must not leave it "in-progress".
    status = form.get("CallStatus", "")
    status = status if status in CALL_STATUSES else "completed"
    # Written behind, after the call's steps: whether it was self-service is worked out from them.
    await records.add_end(ctx.redis, call=_call(ctx, form), status=status,
                          duration=seconds(form.get("CallDuration")))  # None: worked out from the call's own times
    await store(ctx).delete(form["CallSid"])
    if status in FINAL_STATUSES:
        await waiting.call_ended(ctx, form["CallSid"])
        await agents.SignedIn(ctx.redis).forget(form["CallSid"])  # an agent's call: signed out with it
        await AgentDesks(ctx.redis).line_ended(form["CallSid"], ctx.now(), city_day(ctx.now(), ctx.settings.timezone))
    await AgentPresence(ctx.redis).gone(form["CallSid"])  # an agent's call ended (nothing for a resident's)


async def show(ctx: FlowContext, form: dict[str, str], node: str) -> str:
    """Render a node of the conversation without input (e.g. after leaving a queue)."""
    session = await store(ctx).load(form["CallSid"]) or new_session(ctx, form)
    turn = await runner.render(ctx, session, node, VOICE)
    return await _finish(ctx, form, session, turn, welcome=False)
