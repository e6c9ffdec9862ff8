"""Whether a caller can wait for a person now, and voice messages for those who can't or won't."""

from __future__ import annotations

from core.context import AppContext
from core.db import run_db
from flows.turns import QueueDecision
from queueing.live import LiveQueues
from queueing.models import Voicemail


async def decide(ctx: AppContext, language: str) -> QueueDecision:
    """Join the language's queue, unless agents are off duty, it is full, or the wait is over the limit."""
    queue = ctx.settings.queue.names.get(language) or ctx.settings.queue.names[ctx.settings.default_language.code]
    now = ctx.now()
    if not ctx.calendar.state(now).is_open:
        return QueueDecision(None, "closed")
    live = LiveQueues(ctx.redis, ctx.settings)
    waiting = await ctx.redis.zcard(f"q:{queue}:waiting")
    if waiting >= ctx.settings.queue.max_size:
        await live.queue_full(queue, now)
        return QueueDecision(None, "busy")
    estimate = await live.estimate(queue, waiting + 1, now)
    if estimate.seconds > ctx.settings.queue.max_wait:
        return QueueDecision(None, "busy")
    return QueueDecision(queue)


async def save_voicemail(ctx: AppContext, session: dict, recording_url: str) -> int:
    """Keep the caller's voice message (and number, to call back); return its id."""

    def save(db, *, call_sid: str, caller: str | None, language: str, url: str) -> int:
        row = Voicemail(call_sid=call_sid, caller=caller, language=language, recording_url=url[:500])
        db.add(row)
        db.flush()
        return row.id

    return await run_db(
        ctx.engine,
        save,
        call_sid=session.get("call_sid", ""),
        caller=session.get("phone"),
        language=session["lang"],
        url=recording_url,
    )
