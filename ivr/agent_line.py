"""The agent line as TwiML: staff dial in, hear who is next (language and topic), and are joined to that caller."""

from __future__ import annotations

from urllib.parse import urlencode

from twilio.twiml.voice_response import Dial, VoiceResponse

from core.defaults import AGENT_IDLE_DIAL_SECONDS
from flows import callback_dispatch
from flows.context import FlowContext
from ivr import callback_calls
from queueing import agents
from queueing.agent_presence import AgentPresence


async def agent_line(ctx: FlowContext, form: dict[str, str]) -> str:
    """TwiML for an agent's call: who is next (language and topic), then the Dial into that queue."""
    response = VoiceResponse()
    staff = ctx.settings.default_language
    agent = agents.find_agent(ctx.settings, form.get("From", ""))
    if agent is None:
        response.say(ctx.wording(staff.code, "staff_only"), voice=staff.voice, language=staff.code)
        response.hangup()
        return str(response)
    await AgentPresence(ctx.redis).ready(form.get("CallSid", ""), agent.languages, ctx.now())
    queue, caller = await agents.next_queue(ctx, agent, owed=await callback_dispatch.owed(ctx, agent.languages))
    response.say(await _whisper(ctx, queue, caller), voice=staff.voice, language=staff.code)
    # With nobody waiting the Dial ends after a while and the agent line is asked again (a call-back may be there).
    dial = Dial(action="/voice/agent", method="POST", timeout=AGENT_IDLE_DIAL_SECONDS)
    dial.queue(queue, url=f"/voice/agent/connect?{urlencode({'queue': queue})}", method="POST")
    response.append(dial)
    return str(response)


async def _whisper(ctx: FlowContext, queue: str, caller: str | None) -> str:
    staff = ctx.settings.default_language.code
    if caller is None:
        placing = queue == ctx.settings.queue.callback_queue  # a call-back owed before anyone waiting is being dialled
        return ctx.wording(staff, "agent_callback_placing" if placing else "agent_none_waiting")
    meta = await agents.caller_meta(ctx, queue, caller)
    language = ctx.settings.language(meta.get("language")).name
    kb = await ctx.knowledge.get()
    article = kb.article(staff, meta.get("topic"))
    topic = article.title if article else ctx.wording(staff, "agent_no_topic")
    if meta.get("callback"):
        return callback_calls.whisper(ctx, meta, language=language, topic=topic)
    return ctx.wording(staff, "agent_next", language=language, topic=topic)


async def connect(ctx: FlowContext, form: dict[str, str], *, queue: str) -> str:
    """Played to the waiting caller just before the agent is on: this is the moment they were answered."""
    meta = await agents.connected(ctx, queue, form["CallSid"], waited=float(form.get("QueueTime") or 0))
    await AgentPresence(ctx.redis).busy(form.get("DequeingCallSid", ""), ctx.now())
    if queue == ctx.settings.queue.callback_queue:
        await callback_dispatch.bridged(ctx, call_sid=form["CallSid"])
    language = ctx.settings.language(meta.get("language"))
    response = VoiceResponse()
    response.say(ctx.wording(language.code, "agent_connected"), voice=language.voice, language=language.code)
    return str(response)
