"""Before a call, a text or a console page is answered: a webhook's Redis reads are fetched in one round trip
(core.prefetch), and this process's calendar takes in any hours change made in another process (hours.cache)."""

from __future__ import annotations

import contextlib
import logging

from core import clock as clocks
from core import prefetch
from flows import runner
from hours.cache import VERSION_KEY as HOURS_VERSION
from hours.cache import HoursCache

log = logging.getLogger("onecall")
PATHS = ("/voice/", "/sms/", "/console/", "/api/")
WEBHOOKS = ("/voice/", "/sms/")  # they never change what they read first; a console page may (core.prefetch.forget)


def hours_cache(ctx) -> HoursCache:
    """This process's hours cache, kept on its context."""
    return ctx.memo("hours", lambda: HoursCache(ctx.calendar, ctx.engine, ctx.redis, clocks.now))


class FreshState:
    """ASGI middleware: fetch a webhook's reads, and refresh the calendar's hours changes before the routes read it."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "http" and scope["path"].startswith(PATHS):
            ctx = getattr(scope["app"].state, "ctx", None)
            if ctx is not None:
                # Redis or the database away: the last changes loaded stand; the request answers its own outage.
                with contextlib.suppress(Exception):
                    if scope["path"].startswith(WEBHOOKS):
                        await prefetch.fetch(ctx.redis, [HOURS_VERSION, *runner.EVERY_CONVERSATION_READS])
                    await hours_cache(ctx).refresh()
        await self.app(scope, receive, send)
