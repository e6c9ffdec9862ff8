"""Before a call, a text or a console page is answered, this process's calendar takes in any hours change made in
another process (one Redis read; hours.cache)."""

from __future__ import annotations

import contextlib
import logging

from core import clock as clocks
from hours.cache import HoursCache

log = logging.getLogger("onecall")
PATHS = ("/voice/", "/sms/", "/console/", "/api/")


def hours_cache(ctx) -> HoursCache:
    """This process's hours cache, kept on its context."""
    return ctx.memo("hours", lambda: HoursCache(ctx.calendar, ctx.engine, ctx.redis, clocks.now))


class FreshHours:
    """ASGI middleware: refresh the calendar's hours changes before the routes read it."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "http" and scope["path"].startswith(PATHS):
            ctx = getattr(scope["app"].state, "ctx", None)
            if ctx is not None:
                # Redis or the database away: the last changes loaded stand; the request answers its own outage.
                with contextlib.suppress(Exception):
                    await hours_cache(ctx).refresh()
        await self.app(scope, receive, send)
