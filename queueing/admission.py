"""Whether a caller can wait for a person now, and voice messages for those who can't or won't."""

from __future__ import annotations

from dataclasses import dataclass

from core import duty
from core.context import AppContext
from core.db import run_db
from queueing.live_queues import LiveQueues
from queueing.models import Voicemail


@dataclass(frozen=True)
class Admission:
    """The queue to join, or why not ("closed": agents off duty; "busy": full or the wait is over the limit)."""

    queue: str | None
    reason: str = ""


async def decide(ctx: AppContext, language: str, *, call_sid: str = "") -> Admission:
    """Join the language's queue, unless agents are off duty, it is full, or the wait is over the limit."""
    queue = ctx.settings.queue.names.get(language) or ctx.settings.queue.names[ctx.settings.default_language.code]
    now = ctx.now()
    await duty.refresh(ctx.calendar, ctx.redis, dev_mode=ctx.settings.dev_mode)
    if not ctx.calendar.state(now).is_open:
        return Admission(None, "closed")
    live = LiveQueues(ctx.redis, ctx.settings)
    waiting = await live.waiting_count(queue, now)
    if waiting >= ctx.settings.queue.max_size:
        await live.queue_full(queue, now)
        return Admission(None, "busy")
    estimate = await live.estimate(queue, waiting + 1, now)
    if estimate.seconds > ctx.settings.queue.max_wait:
        return Admission(None, "busy")
    if call_sid:
        # A caller who left a queue earlier in this call and asks again is a new wait, not a late poll.
        await live.admitted(call_sid)
    return Admission(queue)


async def save_voicemail(ctx: AppContext, *, call_sid: str, caller: str | None, language: str, url: str) -> int:
    """Keep the caller's voice message (and number, to call back); return its id."""

    def save(db, *, call_sid: str, caller: str | None, language: str, url: str) -> int:
        row = Voicemail(call_sid=call_sid, caller=caller, language=language, recording_url=url[:500])
        db.add(row)
        db.flush()
        return row.id

    return await run_db(ctx.engine, save, call_sid=call_sid, caller=caller, language=language, url=url)
