"""`run.py cron`: rq's CronScheduler, ticked by a loop that rides out Redis and database outages of any length.

rq's own loop ends the process at the first Redis error. Here each tick's error is one log line and a back-off, and
the loop never exits but on SIGTERM/SIGINT. After an outage, or when Redis comes back emptied (a restart without
persistence loses every queued job), every periodic job is queued at once: they all rebuild their work from the
database (the CRM outbox, call-backs due, notices owed), so what was lost with Redis goes out without waiting.
"""

from __future__ import annotations

import contextlib
import logging
import signal
import time
from collections.abc import Callable

from rq.cron import CronScheduler
from rq.exceptions import StopRequested
from rq.utils import now as rq_now

from core.defaults import HEARTBEAT_SECONDS
from core.heartbeats import Heartbeats, Role
from core.processes import backoff  # the same 1, 2, 4 ... 30 s as the supervisor's restarts

log = logging.getLogger("onecall.cron")

# A key without expiry: when it is missing, Redis was emptied (restarted without its data) since the last tick.
EPOCH_KEY = "cron:epoch"


class ResilientCron:
    """Ticks a CronScheduler: enqueue what is due, beat, and catch up after an outage; one log line per failure."""

    def __init__(self, scheduler: CronScheduler, *, sleep: Callable[[float], None] = time.sleep):
        self.scheduler = scheduler
        self.connection = scheduler.connection
        self.beats = Heartbeats(self.connection)
        self.sleep = sleep
        self.failures = 0
        self.born = False

    def tick(self) -> float:
        """One pass; returns the seconds to wait before the next (never more than a heartbeat interval)."""
        try:
            self._pass()
        except StopRequested:
            raise
        except Exception as exc:  # Redis or the database away, or anything else: this process must stay up
            self.failures += 1
            delay = backoff(self.failures)
            log.warning("cron: tick failed (%s: %s); retrying in %g s", type(exc).__name__, exc, delay)
            return delay
        return min(self.scheduler.calculate_sleep_interval(), HEARTBEAT_SECONDS)

    def _pass(self) -> None:
        first = not self.born
        if first:
            self.scheduler.register_birth()
            self.born = True
        emptied = self.connection.set(EPOCH_KEY, "1", nx=True) and not first  # the key was gone since the last tick
        if self.failures or emptied:
            self._catch_up()
        if self.scheduler.enqueue_jobs():
            self.scheduler.save()
        self.scheduler.heartbeat()
        self.beats.beat(Role.CRON)
        if self.failures or emptied:
            why = f"back after {self.failures} failed ticks" if self.failures else "Redis came back emptied"
            log.warning("cron: %s; every periodic job queued to catch up", why)
        self.failures = 0

    def _catch_up(self) -> None:
        # Every periodic job reconciles from the database, so running each now re-queues whatever Redis lost.
        now = rq_now()  # rq compares its schedule with its own real-time clock
        for job in self.scheduler.get_jobs():
            job.next_enqueue_time = now

    def run(self) -> None:
        """Tick until SIGTERM or SIGINT."""
        signal.signal(signal.SIGTERM, _stop)
        signal.signal(signal.SIGINT, _stop)
        try:
            while True:
                self.sleep(self.tick())
        except (StopRequested, KeyboardInterrupt):
            pass
        finally:
            with contextlib.suppress(Exception):  # Redis may be the reason we stop
                self.scheduler.register_death()


def _stop(_signum, _frame):
    raise StopRequested()
