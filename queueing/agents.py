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


async def next_queue(ctx: AppContext, agent: Agent, *, owed: float | None = None) -> tuple[str, str | None]:
    """The queue to take a call from and its next caller: whoever joined the line first, live or call-back.

    A call-back waits in the call-back queue ranked by the time its resident first joined the line (or the time they
    chose), so one order by join time serves both and the call-back queue wins a tie. `owed` is the place in line of
    the first call-back not in that queue yet (being dialled, or due): when it comes before every caller waiting, the
    agent waits on the call-back queue for it (caller None); with nobody at all, on their first language's queue.
    """
    live = LiveQueues(ctx.redis, ctx.settings)
    await live.agent_seen(agent.phone, ctx.now())
    queues = [ctx.settings.queue.callback_queue, *(ctx.settings.queue.names[lang] for lang in agent.languages)]
    best: tuple[float, str, str] | None = None
    for queue in queues:
        head = await live.oldest(queue)
        if head and (best is None or head[1] < best[0]):
            best = (head[1], queue, head[0])
    if owed is not None and (best is None or owed < best[0]):
        return ctx.settings.queue.callback_queue, None
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
