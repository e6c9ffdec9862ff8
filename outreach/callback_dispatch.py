"""Placing call-backs: which to dial now, claiming each attempt, the call through Twilio, and what an answer, a status
callback or an agent's pick-up means for it. It weighs queue facts and call-backs together, so it lives above both.

The database is the truth: `dispatch` (every 15 s) reads what is due from it, `reconcile` (every minute and when a
worker starts) settles attempts whose news never came and sends due reminders, so a Redis flush, a restart or a
killed worker loses no call-back. An attempt is claimed by one UPDATE in the database before its call is created, so
several workers (or a dispatcher racing a reconciler) place exactly one call per attempt.

When to dial: a kept place when no live caller who joined before it is still waiting in its language's queue (or
its turn is within `lead_seconds` by the wait estimate); a chosen time when it comes; and either only while an agent
who speaks the language is waiting on the agent line and not spoken for by another call-back being placed.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from urllib.parse import urlencode

import anyio
from sqlmodel import Session

from callbacks import service
from callbacks.models import ACTIVE, IN_PROGRESS, Callback, CallbackStatus
from core import duty, metrics
from core.db import in_session, run_db
from core.phones import display, mask, outbound_refusal
from core.redis import async_client
from core.worker import JobContext, enqueue, periodic_run
from crm_bridge import intake
from flows.context import FlowContext
from flows.spoken_time import spoken_when
from flows.wording import Wording
from hours.cache import refresh_sync
from messaging import segments
from messaging.outbound import deliver
from outreach import on_callback_failed
from queueing.agent_presence import AgentPresence
from queueing.live_queues import LiveQueues
from settings import Settings

log = logging.getLogger("onecall.callbacks")

DISPATCH_LOCK_SECONDS = 60
RECONCILE_LOCK_SECONDS = 55


@dataclass(frozen=True)
class CallbackView:
    """What a call-back's call and the agent's briefing need to know of it."""

    id: int
    language: str
    kind: str
    topic: str | None
    ticket_number: str | None
    entitled_at: dt.datetime  # its place in the one line: the first join (keep my place) or the time chosen


def _view(row: Callback | None) -> CallbackView | None:
    if row is None:
        return None
    return CallbackView(row.id, row.language, row.kind, row.topic, row.ticket_number, service.entitled_at(row))


# ----- the periodic jobs


def dispatch() -> int:
    """Job (every 15 s): dial the call-backs whose turn or chosen time has come, while agents are free to take them."""
    with periodic_run("callbacks:cron:dispatch", DISPATCH_LOCK_SECONDS) as run:
        if run is None:
            return 0
        duty.refresh_sync(run.ctx.calendar, run.connection, dev_mode=run.ctx.settings.dev_mode)
        return place_due(run.ctx)


def place_due(ctx: JobContext) -> int:
    """Choose and place the call-backs due now (never outside agent hours); how many calls were placed."""
    now = ctx.now()
    if not refresh_sync(ctx.calendar, ctx.engine, now).state(now).is_open:  # a "close now" stops call-backs too
        return 0
    candidates = in_session(ctx.engine, service.due, now=now)
    if not candidates:
        return 0
    placing = len(in_session(ctx.engine, service.in_flight))
    chosen = anyio.run(_choose, ctx.settings, candidates, placing, now)
    return sum(1 for row in chosen if place(ctx, callback_id=row.id, attempts=row.attempts))


async def _choose(settings: Settings, candidates: list[Callback], placing: int, now: dt.datetime) -> list[Callback]:
    redis = async_client(settings.redis_url)
    try:
        return await choose(LiveQueues(redis, settings), AgentPresence(redis), settings, candidates,
                            placing=placing, now=now)
    finally:
        await redis.aclose()


async def choose(
    live: LiveQueues, presence: AgentPresence, settings: Settings, candidates: list[Callback], *, placing: int,
    now: dt.datetime,
) -> list[Callback]:
    """The call-backs to dial now, in the order they are owed, never more being placed than agents waiting."""
    ready: dict[str, int] = {}
    behind: set[str] = set()  # languages whose earliest kept place is not at the front yet: later ones are not either
    chosen = []
    for row in candidates:
        if row.language not in ready:
            ready[row.language] = await presence.ready_for(row.language, now)
        if ready[row.language] <= placing:
            continue  # no agent for this language who is not already spoken for by a call-back being placed
        if row.status == CallbackStatus.WAITING:
            if row.language in behind or not await _at_front(live, settings, row, now):
                behind.add(row.language)
                continue
        chosen.append(row)
        placing += 1
    return chosen


async def _at_front(live: LiveQueues, settings: Settings, row: Callback, now: dt.datetime) -> bool:
    # A kept place never jumps a caller who joined before it: dial when none is left, or its turn is near.
    queue = settings.queue.names.get(row.language) or settings.queue.names[settings.default_language.code]
    ahead = await live.waiting_before(queue, service.entitled_at(row).timestamp())
    if ahead == 0:
        return True
    return (await live.estimate(queue, ahead + 1, now)).seconds <= settings.callbacks.lead_seconds


def place(ctx: JobContext, *, callback_id: int, attempts: int) -> str | None:
    """Claim the call-back's next attempt and place its call; None when another worker claimed it first."""
    row = in_session(ctx.engine, service.claim, callback_id=callback_id, attempts=attempts, now=ctx.now())
    if row is None:
        return None
    number = row.attempts
    if outbound_refusal(row.phone, ctx.settings.outbound.countries) is not None:
        in_session(ctx.engine, service.give_up, callback_id=row.id, now=ctx.now())  # the allowed countries changed
        return None
    query = urlencode({"callback": row.id, "attempt": number})
    base = ctx.settings.public_base_url
    detection = {"machine_detection": "Enable"} if ctx.settings.callbacks.machine_detection else {}
    try:
        call = ctx.twilio.calls.create(
            to=row.phone,
            from_=ctx.settings.numbers[0],
            url=f"{base}/voice/callback/answer?{query}",
            method="POST",
            status_callback=f"{base}/voice/callback/status?{query}",
            status_callback_method="POST",
            **detection,
        )
    except Exception as exc:  # Twilio refused it or could not be reached: the attempt counts, the next try comes later
        # Twilio's messages name the number: log the call-back and the error's code only.
        metrics.ERRORS.labels(metrics.ErrorKind.CALL).inc()
        log.warning("call-back %s attempt %s to %s not placed: %s %s", row.id, number, mask(row.phone),
                    type(exc).__name__, getattr(exc, "code", ""))
        in_session(ctx.engine, service.call_ended, callback_id=row.id, number=number, call_status="failed",
                   now=ctx.now(), calendar=ctx.calendar, settings=ctx.settings.callbacks)
        return None
    metrics.CALLS_PLACED.inc()
    in_session(ctx.engine, service.placed, callback_id=row.id, number=number, call_sid=call.sid, now=ctx.now())
    return call.sid


def reconcile() -> int:
    """Job (every minute, and when a worker starts): settle attempts whose news never came, let unconfirmed requests
    for another line's number lapse, send due reminders, and place what is due; returns how many attempts settled."""
    with periodic_run("callbacks:cron:reconcile", RECONCILE_LOCK_SECONDS) as run:
        if run is None:
            return 0
        ctx = run.ctx
        refresh_sync(ctx.calendar, ctx.engine, ctx.now())
        settled = in_session(ctx.engine, service.settle_stale, now=ctx.now(), calendar=ctx.calendar,
                             settings=ctx.settings.callbacks)
        in_session(ctx.engine, service.lapse_unconfirmed, now=ctx.now())  # nobody said YES in time
        remind(ctx)
    dispatch()
    return settled


def remind(ctx: JobContext) -> int:
    """Text the residents whose chosen time is near and who asked for texts, once each; how many were due."""
    due = in_session(ctx.engine, service.due_reminders, now=ctx.now(), minutes=ctx.settings.callbacks.reminder_minutes)
    for row in due:
        with Session(ctx.engine) as session:
            deliver(ctx, session, to=row.phone, body=reminder_text(ctx, row), kind="callback_reminder")
            service.mark_reminded(session, callback_id=row.id, now=ctx.now())  # once, sent or refused
            session.commit()
    return len(due)


def reminder_text(ctx: JobContext, row: Callback) -> str:
    """The reminder before a chosen time, in the resident's language."""
    wording = Wording.of(ctx)
    when = spoken_when(row.due_at, ctx.now(), ctx.settings.timezone, wording, row.language)
    text = wording(row.language, "sms_callback_reminder", city=ctx.settings.city_name, when=when,
                   number=display(row.phone))
    return segments.fit(text, 3)


# ----- what the call's webhooks report (ivr/callback_calls.py)


async def answered(ctx: FlowContext, *, callback_id: int, attempt: int, human: bool) -> CallbackView | None:
    """The call was picked up, by a person or a machine (a machine counts as an attempt); None if no longer wanted."""
    row = await run_db(ctx.engine, service.answered, callback_id=callback_id, number=attempt, human=human,
                       now=ctx.now(), calendar=ctx.calendar, settings=ctx.settings.callbacks)
    await _after(ctx, row)
    return _view(row)


async def view(ctx: FlowContext, *, callback_id: int) -> CallbackView | None:
    """A call-back still being pursued, whichever attempt (what an agent waiting for it is briefed on)."""

    def find(session, *, callback_id: int):
        row = service.get(session, callback_id=callback_id)
        return row if row is not None and row.status in ACTIVE else None

    return _view(await run_db(ctx.engine, find, callback_id=callback_id))


async def current(ctx: FlowContext, *, callback_id: int, attempt: int) -> CallbackView | None:
    """The call-back while this attempt is the one in progress."""

    def find(session, *, callback_id: int, attempt: int):
        row = service.get(session, callback_id=callback_id)
        ok = row is not None and row.attempts == attempt and row.status in IN_PROGRESS
        return row if ok else None

    return _view(await run_db(ctx.engine, find, callback_id=callback_id, attempt=attempt))


async def missed(ctx: FlowContext, *, callback_id: int, attempt: int) -> None:
    """Picked up, but nobody pressed a key: tried again later like an unanswered call."""
    row = await run_db(ctx.engine, service.missed, callback_id=callback_id, number=attempt, now=ctx.now(),
                       calendar=ctx.calendar, settings=ctx.settings.callbacks)
    await _after(ctx, row)


async def ended(ctx: FlowContext, *, callback_id: int, attempt: int, call_status: str) -> None:
    """Twilio's final status for an attempt: busy, no answer or failed means another try, or a text that we tried."""
    row = await run_db(ctx.engine, service.call_ended, callback_id=callback_id, number=attempt,
                       call_status=call_status, now=ctx.now(), calendar=ctx.calendar, settings=ctx.settings.callbacks)
    await _after(ctx, row)


async def bridged(ctx: FlowContext, *, call_sid: str) -> None:
    """An agent picked up a call-back's call: it is done."""
    await run_db(ctx.engine, service.bridged, call_sid=call_sid, now=ctx.now())


async def owed(ctx: FlowContext, languages: tuple[str, ...]) -> list[tuple[float, int]]:
    """The call-backs in these languages owed a call now (being placed, or due) as (place in line, id), first first.
    When there is one not yet placed, the dispatcher is asked to run at once, so an agent who is free for it waits
    seconds, not a dispatch interval."""
    now = ctx.now()
    await duty.refresh(ctx.calendar, ctx.redis, dev_mode=ctx.settings.dev_mode)
    if not ctx.calendar.state(now).is_open:
        return []

    def find(session, *, now: dt.datetime) -> tuple[list[Callback], list[Callback]]:
        return service.in_flight(session), service.due(session, now=now)

    placing, due = await run_db(ctx.engine, find, now=now)
    owing = [row for row in [*placing, *due] if row.language in languages]
    if any(row in due for row in owing):
        await enqueue(ctx.sync_redis, dispatch)
    return sorted((service.entitled_at(row).timestamp(), row.id) for row in owing)


async def briefing(ctx: FlowContext, view: CallbackView) -> dict[str, str]:
    """What the agent line tells the agent: a call-back, its language and topic, and any request with its status."""
    meta = {"language": view.language, "topic": view.topic or "", "callback": str(view.id)}
    if view.ticket_number:
        ticket = await intake.lookup(ctx, view.ticket_number)
        meta |= {"ticket": view.ticket_number, "ticket_status": ticket.status if ticket else ""}
    return meta


async def _after(ctx: FlowContext, row: Callback | None) -> None:
    # The last try failed: the resident is texted that we tried (outreach.on_callback_failed), now rather than later.
    if row is not None and row.status == CallbackStatus.FAILED:
        await enqueue(ctx.sync_redis, on_callback_failed.sweep)


# ----- plumbing
