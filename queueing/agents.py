"""The agent line: staff dial in and are connected to the caller who has waited longest, call-backs first."""

from __future__ import annotations

from urllib.parse import urlencode

from twilio.twiml.voice_response import Dial, VoiceResponse

from core.context import AppContext
from core.phones import e164
from queueing.live import LiveQueues
from settings import Agent


def _agent(ctx: AppContext, caller: str) -> Agent | None:
    number = e164(caller)
    return next((a for a in ctx.settings.agents if a.phone == number), None)


async def next_queue(ctx: AppContext, agent: Agent) -> tuple[str, str | None]:
    """The queue to take a call from: call-backs first, then the longest-waiting queue in the agent's languages."""
    live = LiveQueues(ctx.redis, ctx.settings)
    if await live.oldest(ctx.settings.queue.callback_queue):
        return ctx.settings.queue.callback_queue, None
    best: tuple[float, str, str] | None = None
    for language in agent.languages:
        queue = ctx.settings.queue.names[language]
        head = await live.oldest(queue)
        if head and (best is None or head[1] < best[0]):
            best = (head[1], queue, head[0])
    if best is None:
        return ctx.settings.queue.names[agent.languages[0]], None
    return best[1], best[2]


async def agent_line(ctx: AppContext, form: dict[str, str]) -> str:
    """TwiML for an agent's call: who is next (language and topic), then the Dial into that queue."""
    response = VoiceResponse()
    staff = ctx.settings.default_language
    agent = _agent(ctx, form.get("From", ""))
    if agent is None:
        response.say(ctx.wording(staff.code, "staff_only"), voice=staff.voice, language=staff.code)
        response.hangup()
        return str(response)
    live = LiveQueues(ctx.redis, ctx.settings)
    await live.agent_seen(agent.phone, ctx.now())
    queue, caller = await next_queue(ctx, agent)
    response.say(await _whisper(ctx, live, queue, caller), voice=staff.voice, language=staff.code)
    dial = Dial()
    dial.queue(queue, url=f"/voice/agent/connect?{urlencode({'queue': queue})}", method="POST")
    response.append(dial)
    return str(response)


async def _whisper(ctx: AppContext, live: LiveQueues, queue: str, caller: str | None) -> str:
    staff = ctx.settings.default_language.code
    if caller is None:
        return ctx.wording(staff, "agent_none_waiting")
    meta = await live.meta(queue, caller)
    language = ctx.settings.language(meta.get("language")).name
    kb = await ctx.knowledge.get()
    article = kb.article(staff, meta.get("topic"))
    topic = article.title if article else ctx.wording(staff, "agent_no_topic")
    return ctx.wording(staff, "agent_next", language=language, topic=topic)


async def connect(ctx: AppContext, form: dict[str, str], *, queue: str) -> str:
    """Played to the waiting caller just before the agent is on: this is the moment they were answered."""
    live = LiveQueues(ctx.redis, ctx.settings)
    meta = await live.meta(queue, form["CallSid"])
    await live.answered(queue, form["CallSid"], ctx.now(), waited=float(form.get("QueueTime") or 0))
    language = ctx.settings.language(meta.get("language"))
    response = VoiceResponse()
    response.say(ctx.wording(language.code, "agent_connected"), voice=language.voice, language=language.code)
    return str(response)
