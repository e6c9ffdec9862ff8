"""Blocking work (the database, rq, a synchronous Redis call) run off the event loop on one pool of threads.

asyncio's own executor hand-off costs a third of anyio's `to_thread.run_sync` per call (a webhook makes one to
three). As with anyio, the caller's context variables go with the work, and a cancelled caller still waits for the
work it started: a webhook that gives up must not release its replay claim while its own write is still going in.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import functools
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from core.defaults import BLOCKING_THREADS

T = TypeVar("T")


@functools.cache
def _pool() -> ThreadPoolExecutor:
    # Made on first use, not at import; threads start as work arrives and live as long as the process.
    return ThreadPoolExecutor(max_workers=BLOCKING_THREADS, thread_name_prefix="onecall-blocking")


# A forked child (an rq job's work horse) has none of its parent's threads: it makes its own pool.
os.register_at_fork(after_in_child=_pool.cache_clear)


async def run(fn: Callable[..., T], /, *args, abandon_on_cancel: bool = False) -> T:
    """fn(*args) in a pool thread; a cancelled caller waits for it to end unless `abandon_on_cancel` (a health probe
    stuck on a dead host)."""
    running = asyncio.get_running_loop().run_in_executor(_pool(), contextvars.copy_context().run, fn, *args)
    if abandon_on_cancel:
        return await running
    try:
        return await asyncio.shield(running)
    except asyncio.CancelledError:
        with contextlib.suppress(Exception):
            await running  # the work ends, whatever it returns; then the cancellation goes on
        raise
