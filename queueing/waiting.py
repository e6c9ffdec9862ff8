"""While a caller waits: their place and an honest estimate on every poll, and how they left the queue."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlmodel import select

from core.context import AppContext
from core.db import run_db
from queueing.estimator import Estimate, SpokenWait, spoken_range
from queueing.live_queues import Joined, LiveQueues, Told
from queueing.models import QueueOutcome, QueueResult

TWILIO_RESULTS = {
    "bridged": QueueResult.ANSWERED,
    "bridging-in-process": QueueResult.ANSWERED,
    "hangup": QueueResult.ABANDONED,
    "queue-full": QueueResult.QUEUE_FULL,
    "leave": QueueResult.LEFT,
    "redirected": QueueResult.LEFT,
    "error": QueueResult.ERROR,
    "system-error": QueueResult.ERROR,
}

# Moved on whenever a queue outcome is recorded: screens recount today's figures only then (console.live_today).
OUTCOMES_VERSION_KEY = "q:outcomes:version"


@dataclass(frozen=True)
class Poll:
    """What Twilio tells us on each wait-URL request."""

    call_sid: str
    queue: str
    waited: int  # seconds in the queue so far (QueueTime)
    position: int  # 1 at the head of the line (QueuePosition)
    size: int | None = None  # callers waiting now (CurrentQueueSize), when Twilio sent it


@dataclass(frozen=True)
class WaitNews:
    """What to tell the waiting caller now."""

    position: int
    estimate: Estimate
    said: SpokenWait  # the words the caller hears, recorded on their first announcement


async def poll(ctx: AppContext, poll: Poll, *, meta: dict[str, str]) -> WaitNews:
    """Count the caller in (once), correct the queue size from Twilio's own figure, and estimate their wait.

    A poll for a call that already left a queue (late, or repeated by Twilio) changes nothing.
    """
    live = LiveQueues(ctx.redis, ctx.settings)
    now = ctx.now()
    joined = await live.joined(poll.queue, poll.call_sid, now, waited=poll.waited, position=poll.position, meta=meta)
    if joined is not Joined.REFUSED and poll.size is not None:
        await live.observe(poll.queue, now, poll.size)
    estimate = await live.estimate(poll.queue, poll.position, now, poll.waited)
    said = spoken_range(estimate)
    if joined is not Joined.REFUSED:
        await live.told(poll.queue, poll.call_sid, Told.of(said, after=poll.waited))
    return WaitNews(poll.position, estimate, said)


async def left(
    ctx: AppContext, *, call_sid: str, queue: str, language: str, twilio_result: str, waited: int
) -> QueueResult:
    """The caller left the queue: count how (answered, hung up, full, left) and record it."""
    outcome = TWILIO_RESULTS.get(twilio_result, QueueResult.ERROR)
    live = LiveQueues(ctx.redis, ctx.settings)
    told = await live.take_told(queue, call_sid)
    if outcome is QueueResult.ANSWERED:
        fresh = await live.answered(queue, call_sid, ctx.now(), waited=waited, told=told)
    else:
        fresh = await live.left(queue, call_sid, ctx.now(), waited=waited, abandoned=outcome is QueueResult.ABANDONED)
    await run_db(
        ctx.engine,
        _record,
        call_sid=call_sid,
        queue=queue,
        language=language,
        result=outcome,
        waited=waited,
        told=told,
        late=not fresh,
    )
    await ctx.redis.incr(OUTCOMES_VERSION_KEY)  # today's figures, counted from these records, are out of date
    return outcome


def _record(
    db,
    *,
    call_sid: str,
    queue: str,
    language: str,
    result: QueueResult,
    waited: int,
    told: Told | None,
    late: bool = False,
) -> None:
    told_columns = (
        {}
        if told is None
        else {
            "told_low_seconds": told.low,
            "told_high_seconds": told.high,
            "told_seconds": told.said,
            "told_after_seconds": told.after,
        }
    )
    if late:
        # Twilio's own word on a wait the call's end already recorded as a hang-up: it replaces that guess.
        guessed = db.exec(
            select(QueueOutcome)
            .where(QueueOutcome.call_sid == call_sid, QueueOutcome.queue == queue)
            .order_by(QueueOutcome.id.desc())
        ).first()
        if guessed is not None:
            guessed.result, guessed.wait_seconds = result, waited
            for column, value in told_columns.items():
                setattr(guessed, column, value)
            db.add(guessed)
            return
    db.add(
        QueueOutcome(
            call_sid=call_sid, queue=queue, language=language, result=result, wait_seconds=waited, **told_columns
        )
    )


async def call_ended(ctx: AppContext, call_sid: str) -> list[str]:
    """The call is over (its final status): it waits in no queue any more, recorded as a hang-up in each it was still
    in (the queue's own result was lost or is late: it corrects the record when it comes); returns those queues."""
    live = LiveQueues(ctx.redis, ctx.settings)
    ended = await live.call_ended(call_sid, ctx.now())
    for queue, waited in ended.items():
        language = (await live.meta(queue, call_sid)).get("language", "")
        told = await live.take_told(queue, call_sid)
        await run_db(
            ctx.engine, _record, call_sid=call_sid, queue=queue, language=language, result=QueueResult.ABANDONED,
            waited=round(waited), told=told,
        )
    if ended:
        await ctx.redis.incr(OUTCOMES_VERSION_KEY)
    return list(ended)


async def joined_at(ctx: AppContext, *, queue: str, call_sid: str, waited: int | None) -> dt.datetime:
    """When a waiting caller first joined the queue: from Twilio's QueueTime, else our own record, else now."""
    now = ctx.now()
    if waited is not None:
        return now - dt.timedelta(seconds=waited)
    joined = await LiveQueues(ctx.redis, ctx.settings).joined_at(queue, call_sid)
    return dt.datetime.fromtimestamp(joined, dt.UTC) if joined is not None else now
