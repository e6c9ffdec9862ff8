"""Agents: who may take calls, and which caller is next for them (call-backs first, then the longest wait)."""

from __future__ import annotations

from core.context import AppContext
from core.phones import e164
from queueing.live_queues import LiveQueues
from settings import Agent, Settings


def find_agent(settings: Settings, caller: str) -> Agent | None:
    """The configured agent calling from this number, if any."""
    number = e164(caller)
    return next((a for a in settings.agents if a.phone == number), None)


async def next_queue(ctx: AppContext, agent: Agent) -> tuple[str, str | None]:
    """The queue to take a call from and its next caller: call-backs first, then the longest wait in their languages."""
    live = LiveQueues(ctx.redis, ctx.settings)
    now = ctx.now()
    await live.agent_seen(agent.phone, now)
    if await live.oldest(ctx.settings.queue.callback_queue, now):
        return ctx.settings.queue.callback_queue, None
    best: tuple[float, str, str] | None = None
    for language in agent.languages:
        queue = ctx.settings.queue.names[language]
        head = await live.oldest(queue, now)
        if head and (best is None or head[1] < best[0]):
            best = (head[1], queue, head[0])
    if best is None:
        return ctx.settings.queue.names[agent.languages[0]], None
    return best[1], best[2]


async def caller_meta(ctx: AppContext, queue: str, call_sid: str) -> dict[str, str]:
    """What we know of a waiting caller: language and topic."""
    return await LiveQueues(ctx.redis, ctx.settings).meta(queue, call_sid)


async def connected(ctx: AppContext, queue: str, call_sid: str, *, waited: float) -> dict[str, str]:
    """An agent is on with the caller: count them answered; returns what we know of them."""
    live = LiveQueues(ctx.redis, ctx.settings)
    meta = await live.meta(queue, call_sid)
    await live.answered(queue, call_sid, ctx.now(), waited=waited)
    return meta
