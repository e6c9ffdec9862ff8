"""Call-backs owed per queue, for the live page: due now (a kept place waiting its turn, or a chosen time that came)
and due within the next hour; counted in the database, shared by every screen through a one-second Redis copy."""

from __future__ import annotations

import datetime as dt
import json

from sqlmodel import Session, select

from callbacks.models import Callback, CallbackStatus
from core.db import run_db
from flows.context import FlowContext

CACHE_KEY = "console:live:callbacks-due"
# A wall of screens polls every second: one of them counts, the others read its count (at most this old).
CACHE_MILLISECONDS = 1000
SOON = dt.timedelta(hours=1)


def due_by_language(session: Session, *, now: dt.datetime) -> dict[str, dict[str, int]]:
    """Per language: call-backs owed a call now ("now") and those whose chosen time comes within the hour ("soon")."""
    rows = session.exec(
        select(Callback.language, Callback.status, Callback.next_attempt_at).where(
            Callback.status.in_([CallbackStatus.WAITING, CallbackStatus.SCHEDULED]), Callback.test_run.is_(None)
        )
    ).all()
    counts: dict[str, dict[str, int]] = {}
    for language, status, next_attempt_at in rows:
        if status == CallbackStatus.WAITING or (next_attempt_at is not None and next_attempt_at <= now):
            when = "now"
        elif next_attempt_at is not None and next_attempt_at <= now + SOON:
            when = "soon"
        else:
            continue
        counts.setdefault(language, {"now": 0, "soon": 0})[when] += 1
    return counts


def per_queue(ctx: FlowContext, by_language: dict[str, dict[str, int]]) -> dict[str, dict[str, int]]:
    """Each queue's call-backs: its language's (those of a language without a queue go to the default one); the
    call-back queue's row counts them all."""
    names = ctx.settings.queue.names
    default = names[ctx.settings.default_language.code]
    queues = {queue: {"now": 0, "soon": 0} for queue in [*names.values(), ctx.settings.queue.callback_queue]}
    for language, counts in by_language.items():
        for queue in (names.get(language, default), ctx.settings.queue.callback_queue):
            for when, n in counts.items():
                queues[queue][when] += n
    return queues


async def due(ctx: FlowContext) -> dict[str, dict[str, int]]:
    """Per queue, call-backs due now and within the hour (at most a second old)."""
    cached = await ctx.redis.get(CACHE_KEY)
    if cached is None:
        by_language = await run_db(ctx.engine, due_by_language, now=ctx.now())
        await ctx.redis.set(CACHE_KEY, json.dumps(by_language), px=CACHE_MILLISECONDS)
    else:
        by_language = json.loads(cached)
    return per_queue(ctx, by_language)
