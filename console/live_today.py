"""Today's queue figures for the Live page and /api/queues: counted from the queue outcomes by report_figures, the
one place the Reports page's queue table is computed too, so every screen says the same for the same day.

A wall of screens polls every second: they share one count in Redis, made again only when a new outcome has been
recorded since (queueing.waiting.OUTCOMES_VERSION_KEY) or the day changed.
"""

from __future__ import annotations

import json

from console import report_figures
from core.db import run_db
from flows.context import FlowContext
from queueing.waiting import OUTCOMES_VERSION_KEY

CACHE_KEY = "console:live:today"
CACHE_SECONDS = 3600


async def figures(ctx: FlowContext) -> dict[str, dict]:
    """Per queue, today's offered, answered, abandoned, service level, speed of answer and estimate accuracy."""
    zone = ctx.settings.timezone
    day = ctx.now().astimezone(zone).date()
    key = f"{CACHE_KEY}:{day:%Y%m%d}"
    version, cached = await ctx.redis.mget(OUTCOMES_VERSION_KEY, key)
    version = version or "0"
    if cached is not None:
        held = json.loads(cached)
        if held["version"] == version:
            return held["queues"]
    first, after = report_figures.bounds(day, day, zone)
    queues = await run_db(ctx.engine, report_figures.queue_figures, first=first, after=after)
    await ctx.redis.set(key, json.dumps({"version": version, "queues": queues}), ex=CACHE_SECONDS)
    return queues
