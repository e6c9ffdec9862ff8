"""The live page: each queue's figures, sent again by server-sent events whenever they change (about every second).

The stream reads Redis through the async client only, so a hundred wall screens never block the event loop.
"""

from __future__ import annotations

import asyncio
import json
import time

from starlette.authentication import AuthenticationError, requires
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from console import service
from console.pages import floor
from console.pages.render import duration, local_time, minutes, page, percent
from console.pages.session_auth import SessionBackend
from core.defaults import (
    CONSOLE_LIVE_HEARTBEAT_SECONDS,
    CONSOLE_LIVE_INTERVAL_SECONDS,
    CONSOLE_SESSION_RECHECK_SECONDS,
)

# The figures the table shows, in order: (field, column heading).
COLUMNS = (
    ("waiting", "Waiting now"),
    ("longest", "Longest wait"),
    ("callbacks", "Call-backs due"),
    ("estimate", "Estimated wait"),
    ("accuracy", "Estimate accuracy today"),
    ("agents", "Agents active"),
    ("offered", "Offered today"),
    ("answered", "Answered today"),
    ("abandoned", "Abandoned today"),
    ("service_level", "Answered in 30 s"),
    ("asa", "Average speed of answer"),
)
WORDS = frozenset({"callbacks", "accuracy"})  # columns of a few words rather than one number


def _labels(settings) -> dict[str, str]:
    names = {queue: settings.language(code).name for code, queue in settings.queue.names.items()}
    return {**names, settings.queue.callback_queue: "Call-backs"}


def rows(settings, figures: list[dict]) -> list[dict]:
    """Each queue's figures as the page shows them (the stream sends the same strings)."""
    labels = _labels(settings)
    return [
        {
            "queue": f["queue"],
            "label": labels.get(f["queue"], f["queue"]),
            "waiting": str(f["waiting"]),
            "longest": duration(f["longest_wait_seconds"]),
            "callbacks": callbacks_due(f["callbacks_due_now"], f["callbacks_due_within_hour"]),
            "estimate": duration(f["estimated_wait_seconds"]),
            "accuracy": accuracy(f),
            "agents": str(f["agents_active"]),
            "offered": str(f["offered_today"]),
            "answered": str(f["answered_today"]),
            "abandoned": str(f["abandoned_today"]),
            "service_level": percent(f["service_level"]),
            "asa": duration(f["average_speed_of_answer_seconds"]),
        }
        for f in figures
    ]


def callbacks_due(now: int, within_hour: int) -> str:
    """Call-backs owed now and due within the hour, in a few words ("3 now · 1 next hour")."""
    if not within_hour:
        return f"{now} now" if now else "0"
    return f"{now} now · {within_hour} next hour"


def accuracy(figures: dict) -> str:
    """What answered callers were told against what they waited, today: a dash before anyone told was answered."""
    if not figures["told_answered_today"]:
        return "–"
    told, waited = figures["told_average_seconds"], figures["told_waited_average_seconds"]
    return (
        f"told ~{minutes(told)}, waited {minutes(waited)} on average; "
        f"{percent(figures['told_kept_share'])} within what they were told"
    )


async def _snapshot(request: Request) -> dict:
    ctx = request.app.state.ctx
    figures = rows(ctx.settings, await service.queues(ctx))
    return {"queues": figures, "updated": local_time(ctx.now(), ctx.settings.timezone)[-5:]}


@requires("live")
async def live_page(request: Request) -> Response:
    """The table as it is now; live.js keeps it current from the event stream."""
    snapshot = await _snapshot(request)
    return page(request, "live.html", columns=COLUMNS, words=WORDS, **snapshot, **await floor.context(request))


@requires("live")
async def live_events(request: Request) -> Response:
    """`text/event-stream`: a `queues` event when a figure changes, a comment when quiet, `signed-out` at the end."""
    return StreamingResponse(
        _events(request),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},  # no proxy may hold events back
    )


async def _events(request: Request):
    yield "retry: 2000\n\n"  # a dropped stream is reopened within 2 s
    last, last_sent, checked = "", time.monotonic(), time.monotonic()
    while True:
        snapshot = await _snapshot(request)
        figures = json.dumps(snapshot["queues"])  # the clock alone moving on is no news
        if figures != last:
            yield f"event: queues\ndata: {json.dumps(snapshot, ensure_ascii=False)}\n\n"
            last, last_sent = figures, time.monotonic()
        elif time.monotonic() - last_sent >= CONSOLE_LIVE_HEARTBEAT_SECONDS:
            yield ": still here\n\n"
            last_sent = time.monotonic()
        if time.monotonic() - checked >= CONSOLE_SESSION_RECHECK_SECONDS:
            checked = time.monotonic()
            if not await _still_signed_in(request):
                yield "event: signed-out\ndata: {}\n\n"
                return
        await asyncio.sleep(CONSOLE_LIVE_INTERVAL_SECONDS)


async def _still_signed_in(request: Request) -> bool:
    # A screen left open must not outlive its session: signing out, a disabled account or expiry ends the stream.
    try:
        await SessionBackend().authenticate(request)
    except AuthenticationError:
        return False
    return True
