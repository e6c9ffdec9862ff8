"""Blocking work off the event loop: the caller's context goes with it, and a cancelled caller waits for it."""

from __future__ import annotations

import asyncio
import contextvars
import os
import threading
import time

from core import threads

current_city = contextvars.ContextVar("current_city", default="none")


def test_the_work_runs_on_another_thread_with_the_callers_context_variables():
    def work(suffix):
        return threading.get_ident(), current_city.get() + suffix

    async def main():
        current_city.set("Springfield")
        return await threads.run(work, "!")

    ident, city = asyncio.run(main())
    assert ident != threading.get_ident() and city == "Springfield!"


def test_a_cancelled_caller_waits_until_the_write_it_started_has_ended():
    written = []

    def slow_write():
        time.sleep(0.2)
        written.append("row")

    async def main():
        task = asyncio.create_task(threads.run(slow_write))
        await asyncio.sleep(0.05)
        task.cancel()
        try:
            await task
        except asyncio.CancelledError:
            return list(written)  # what had been written when the cancellation reached the caller

    assert asyncio.run(main()) == ["row"]


def test_a_health_probe_may_abandon_work_stuck_on_a_dead_host():
    release = threading.Event()

    async def main():
        started = time.monotonic()
        try:
            await asyncio.wait_for(threads.run(release.wait, 5, abandon_on_cancel=True), 0.05)
        except TimeoutError:
            return time.monotonic() - started

    try:
        assert asyncio.run(main()) < 1
    finally:
        release.set()


def test_a_forked_child_gets_a_pool_of_its_own():
    asyncio.run(threads.run(int))  # the parent's pool exists and has a thread
    child = os.fork()
    if child == 0:  # a work horse, as rq forks one per job: its work must run, not wait for the parent's threads
        try:
            os._exit(0 if asyncio.run(asyncio.wait_for(threads.run(lambda: 42), 5)) == 42 else 1)
        except BaseException:
            os._exit(2)
    deadline = time.monotonic() + 10
    while (ended := os.waitpid(child, os.WNOHANG))[0] == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    if ended[0] == 0:  # stuck waiting for threads it does not have
        os.kill(child, 9)
        os.waitpid(child, 0)
    assert ended[0] == child and os.waitstatus_to_exitcode(ended[1]) == 0
