"""The agent line as TwiML: staff dial in, key their PIN once per call, hear who is next, and are joined to them.

After each conversation (and every AGENT_IDLE_DIAL_SECONDS while nobody waits) Twilio asks /voice/agent/next, which
hands a signed-in agent the next caller without asking for the PIN again.
"""

from __future__ import annotations

from urllib.parse import urlencode

from twilio.twiml.voice_response import Dial, Gather, VoiceResponse

from core import text_rules
from core.defaults import AGENT_IDLE_DIAL_SECONDS, AGENT_PIN_LOCK_SECONDS, AGENT_PIN_MAX_DIGITS, AGENT_PIN_TIMEOUT
from core.twilio_fields import seconds
from flows.context import FlowContext
from ivr import callback_calls, desk_pop
from outreach import callback_dispatch
from queueing import agents
from queueing.agent_presence import AgentPresence
from queueing.models import AgentLineOutcome
from settings import Agent

_REFUSALS = {
    AgentLineOutcome.STRANGER: "staff_only",
    AgentLineOutcome.UNVERIFIED: "agent_unverified",
    AgentLineOutcome.NO_PIN: "agent_pin_not_set",
    AgentLineOutcome.LOCKED: "agent_pin_locked",
}


async def agent_line(ctx: FlowContext, form: dict[str, str]) -> str:
    """TwiML for an agent's call: the PIN prompt, or why the line cannot take this call. Nobody is named yet."""
    check = await agents.answer(
        ctx, call_sid=form["CallSid"], caller=form.get("From", ""), verstat=form.get("StirVerstat", "")
    )
    if check.outcome is AgentLineOutcome.PIN_ASKED:
        return _ask_pin(ctx, VoiceResponse(), attempt=1)
    return _refuse(ctx, VoiceResponse(), check.outcome)


async def pin(ctx: FlowContext, form: dict[str, str], *, attempt: int) -> str:
    """The PIN keyed: who is next and the Dial into that queue, the prompt again, or the line locked."""
    digits = form.get("Digits", "").strip()[: AGENT_PIN_MAX_DIGITS + 8]
    check = await agents.enter_pin(
        ctx, call_sid=form["CallSid"], caller=form.get("From", ""), verstat=form.get("StirVerstat", ""), pin=digits
    )
    if check.outcome is AgentLineOutcome.PIN_OK:
        await agents.SignedIn(ctx.redis).add(form["CallSid"], check.agent.name)
        await desk_pop.signed_in(ctx, agent=check.agent.name, line_sid=form["CallSid"])
        return await _take_next(ctx, check.agent, form["CallSid"], seq=0)
    response = VoiceResponse()
    if check.wrong_pin:
        _say(ctx, response, "agent_pin_wrong")
    if check.outcome in (AgentLineOutcome.PIN_WRONG, AgentLineOutcome.PIN_ASKED):
        return _ask_pin(ctx, response, attempt=attempt + 1)
    return _refuse(ctx, response, check.outcome)


async def next_caller(ctx: FlowContext, form: dict[str, str], *, seq: int = 0) -> str:
    """After a conversation or an idle wait: the next caller for an agent signed in on this call, else the PIN.

    seq is the loop's step number from the URL; the next Dial's action carries seq + 1.
    """
    name = await agents.SignedIn(ctx.redis).agent(form["CallSid"])
    agent = agents.agent_named(ctx.settings, name) if name else None
    if agent is None or agent != agents.find_agent(ctx.settings, form.get("From", "")):
        return await agent_line(ctx, form)
    return await _take_next(ctx, agent, form["CallSid"], seq=seq)


def _ask_pin(ctx: FlowContext, response: VoiceResponse, *, attempt: int) -> str:
    # The attempt number makes each entry its own request, so Twilio's retry of one is told apart from a new try.
    gather = Gather(
        input="dtmf",
        finish_on_key="#",
        timeout=AGENT_PIN_TIMEOUT,
        action=f"/voice/agent/pin?{urlencode({'attempt': attempt})}",
        method="POST",
    )
    _say(ctx, gather, "agent_pin_prompt")
    response.append(gather)
    _say(ctx, response, "agent_pin_none")  # the Gather timed out with no digits
    response.hangup()
    return text_rules.xml_document(response)


def _refuse(ctx: FlowContext, response: VoiceResponse, outcome: AgentLineOutcome) -> str:
    _say(ctx, response, _REFUSALS[outcome], minutes=AGENT_PIN_LOCK_SECONDS // 60)
    response.hangup()
    return text_rules.xml_document(response)


def _say(ctx: FlowContext, parent, key: str, **values: object) -> None:
    staff = ctx.settings.default_language
    parent.say(ctx.wording(staff.code, key, **values), voice=staff.voice, language=staff.code)


async def _take_next(ctx: FlowContext, agent: Agent, call_sid: str, *, seq: int) -> str:
    response = VoiceResponse()
    staff = ctx.settings.default_language
    await AgentPresence(ctx.redis).ready(call_sid, agent.languages, ctx.now())
    owed = await callback_dispatch.owed(ctx, agent.languages)
    taking = await agents.next_queue(ctx, agent, call_sid=call_sid, owed=owed)
    queue = taking.queue
    await desk_pop.waiting(ctx, agent=agent.name, queue=queue, caller=taking.caller)
    response.say(await _whisper(ctx, taking), voice=staff.voice, language=staff.code)
    # With nobody waiting the Dial ends after a while and the agent line is asked again (a call-back may be there).
    # Each round's URL has its own step number: Twilio's retry of one round is told apart from the next round.
    action = f"/voice/agent/next?{urlencode({'seq': seq + 1})}"
    dial = Dial(action=action, method="POST", timeout=AGENT_IDLE_DIAL_SECONDS)
    dial.queue(queue, url=f"/voice/agent/connect?{urlencode({'queue': queue})}", method="POST")
    response.append(dial)
    return text_rules.xml_document(response)


async def _whisper(ctx: FlowContext, taking: agents.NextCall) -> str:
    staff = ctx.settings.default_language.code
    if taking.caller is None and taking.callback_id is not None:
        # A call-back owed before anyone waiting is being dialled for this agent: the resident is put straight
        # through when they press 1, so the agent is briefed on it now.
        placing = ctx.wording(staff, "agent_callback_placing")
        view = await callback_dispatch.view(ctx, callback_id=taking.callback_id)
        if view is None:
            return placing
        return f"{placing} {await _brief(ctx, await callback_dispatch.briefing(ctx, view))}"
    if taking.caller is None:
        return ctx.wording(staff, "agent_none_waiting")
    return await _brief(ctx, await agents.caller_meta(ctx, taking.queue, taking.caller))


async def _brief(ctx: FlowContext, meta: dict[str, str]) -> str:
    """Who is next: their language and topic (and for a call-back, that it is one and its request)."""
    staff = ctx.settings.default_language.code
    language = ctx.settings.language(meta.get("language")).name
    kb = await ctx.knowledge.get()
    article = kb.article(staff, meta.get("topic"))
    topic = article.title if article else ctx.wording(staff, "agent_no_topic")
    if meta.get("callback"):
        return callback_calls.whisper(ctx, meta, language=language, topic=topic)
    return ctx.wording(staff, "agent_next", language=language, topic=topic)


async def connect(ctx: FlowContext, form: dict[str, str], *, queue: str) -> str:
    """Played to the waiting caller just before the agent is on: this is the moment they were answered."""
    waited = seconds(form.get("QueueTime")) or 0
    meta = await agents.connected(ctx, queue, form["CallSid"], waited=waited)
    await AgentPresence(ctx.redis).busy(form.get("DequeingCallSid", ""), ctx.now())
    await desk_pop.connected(ctx, line_sid=form.get("DequeingCallSid", ""), call_sid=form["CallSid"], queue=queue,
                             meta=meta, waited=waited)
    if queue == ctx.settings.queue.callback_queue:
        await callback_dispatch.bridged(ctx, call_sid=form["CallSid"])
    language = ctx.settings.language(meta.get("language"))
    response = VoiceResponse()
    response.say(ctx.wording(language.code, "agent_connected"), voice=language.voice, language=language.code)
    return text_rules.xml_document(response)
