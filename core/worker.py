"""rq plumbing: the worker's job context, the queue, and putting jobs on it from the event loop."""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cached_property

from redis.exceptions import LockError
from rq import Queue, Retry, SimpleWorker, get_current_job
from rq.exceptions import DuplicateJobError, NoSuchJobError, StopRequested
from rq.job import Job, JobStatus
from sqlalchemy.engine import Engine

from core import clock, threads
from core.calendar import BusinessCalendar
from core.db import make_engine
from core.defaults import JOB_RETRY_INTERVALS, WORKER_MONITOR_SECONDS, WORKER_TTL_SECONDS
from core.heartbeats import Heartbeats, Role
from core.memo import ProcessMemo
from core.processes import STABLE_SECONDS, backoff
from core.redis import sync_client
from core.twilio_client import make_client
from settings import Settings

QUEUE_NAMES = ("default",)
log = logging.getLogger("onecall.worker")


@dataclass
class JobContext(ProcessMemo):
    """What a job reads: settings, the database, Twilio, the clock; packages keep their own caches in memo()."""

    settings: Settings

    @cached_property
    def engine(self) -> Engine:
        return make_engine(self.settings.database_url)

    @cached_property
    def twilio(self):
        return make_client(self.settings)

    @cached_property
    def calendar(self) -> BusinessCalendar:
        return BusinessCalendar(self.settings)

    def now(self) -> dt.datetime:
        """The current time from the process's clock."""
        return clock.now()


_context: JobContext | None = None


def configure(settings: Settings) -> JobContext:
    """Set this worker process's job context; called once when the worker starts."""
    global _context
    _context = JobContext(settings)
    return _context


def context() -> JobContext:
    """The job context of this worker process."""
    if _context is None:
        raise RuntimeError("the job context is not configured: start workers with core.worker.run_worker")
    return _context


def queue(redis_connection, name: str = "default") -> Queue:
    """The rq queue jobs are put on; the connection is always the caller's."""
    return Queue(name, connection=redis_connection)


def retry() -> Retry:
    """The back-off every job that talks to an outside service gets."""
    return Retry(max=len(JOB_RETRY_INTERVALS), interval=JOB_RETRY_INTERVALS)


class BeatingWorker(SimpleWorker):
    """An rq worker that writes the worker role's heartbeat (core.heartbeats) whenever rq renews its own.

    It runs each job in its own process instead of forking one per job: a fork per job threw away the job context
    (the database engine and its pool, Twilio's client, every package's cache) and built it again for each text sent
    and each batch written behind, which cost more than the jobs. A job that kills the process is run again after the
    supervisor restarts it (rq's abandoned-job handling); timeouts still stop a job that hangs (a signal, as before).
    """

    asked_to_stop = False  # SIGTERM/SIGINT, as opposed to rq giving up on a Redis error

    def heartbeat(self, timeout: int | None = None, pipeline=None):
        result = super().heartbeat(timeout, pipeline)
        Heartbeats(self.connection).beat(Role.WORKER)
        return result

    def request_stop(self, signum, frame):
        self.asked_to_stop = True
        super().request_stop(signum, frame)


def make_worker(connection) -> BeatingWorker:
    """A worker on every queue that beats at least every WORKER_TTL_SECONDS - 15 s, idle or busy."""
    return BeatingWorker([queue(connection, name) for name in QUEUE_NAMES], connection=connection,
                         worker_ttl=WORKER_TTL_SECONDS, job_monitoring_interval=WORKER_MONITOR_SECONDS)


def run_worker(settings: Settings, *, burst: bool = False) -> bool:
    """Run one rq worker with its scheduler until it stops; True when it stopped because it was asked to."""
    configure(settings)
    connection = sync_client(settings.redis_url)
    try:
        worker = make_worker(connection)
        worker.work(with_scheduler=True, burst=burst)
        return burst or worker.asked_to_stop
    finally:
        connection.close()


def serve_forever(settings: Settings, *, at_start: Callable[[object], None] | None = None,
                  sleep: Callable[[float], None] = time.sleep) -> None:
    """`run.py worker`: run the worker again after Redis or the database failed it, with back-off; return on SIGTERM.

    rq ends its loop at a Redis timeout or any unhandled error; this process stays up and starts a fresh worker.
    `at_start(connection)` runs before each worker starts (a reconciliation from the database).
    """
    failures = 0
    while True:
        started = time.monotonic()
        try:
            if at_start is not None:
                _at_start(settings, at_start)
            if run_worker(settings):
                return
            why = "the rq worker stopped"
        except (StopRequested, KeyboardInterrupt):
            return
        except Exception as exc:  # Redis or the database away: wait and try again, never exit
            why = f"{type(exc).__name__}: {exc}"
        failures = 1 if time.monotonic() - started >= STABLE_SECONDS else failures + 1
        delay = backoff(failures)  # a worker that ran a minute before failing starts again from 1 s
        log.warning("worker: %s; starting it again in %g s", why, delay)
        try:
            sleep(delay)
        except (StopRequested, KeyboardInterrupt):  # rq's signal handlers are still installed
            return


def _at_start(settings: Settings, at_start: Callable[[object], None]) -> None:
    connection = sync_client(settings.redis_url)
    try:
        at_start(connection)
    finally:
        connection.close()


def describe(fn) -> str:
    """What the worker logs for a job: its function only, never its arguments (phone numbers, message bodies)."""
    return f"{fn.__module__}.{fn.__qualname__}"


async def enqueue(connection, fn, /, **kwargs):
    """Put a job on the queue from the event loop, retried with back-off if it fails."""

    def put():
        return queue(connection).enqueue_call(fn, kwargs=kwargs, retry=retry(), description=describe(fn))

    return await threads.run(put)


LIVE_JOB = (JobStatus.QUEUED, JobStatus.STARTED, JobStatus.SCHEDULED, JobStatus.DEFERRED)


@contextlib.contextmanager
def job_connection(settings: Settings):
    """The running job's Redis connection, or a short-lived one when called outside a worker."""
    job = get_current_job()
    if job is not None:
        yield job.connection
        return
    connection = sync_client(settings.redis_url)
    try:
        yield connection
    finally:
        connection.close()


@dataclass(frozen=True)
class PeriodicRun:
    """What one run of a periodic job holds: the job context and a Redis connection."""

    ctx: JobContext
    connection: object


@contextlib.contextmanager
def periodic_run(key: str, seconds: int) -> Iterator[PeriodicRun | None]:
    """A periodic job's opening: its context, a Redis connection and the run lock `key` (None: another run has it)."""
    ctx = context()
    with job_connection(ctx.settings) as connection, run_lock(connection, key, seconds) as mine:
        yield PeriodicRun(ctx, connection) if mine else None


@contextlib.contextmanager
def run_lock(connection, key: str, seconds: int):
    """A run lock (SET NX EX, released by its owner), so periodic jobs from several schedulers never overlap."""
    lock = connection.lock(key, timeout=seconds, blocking=False)
    mine = lock.acquire(blocking=False)
    try:
        yield mine
    finally:
        if mine:
            with contextlib.suppress(LockError):
                lock.release()


def enqueue_once(connection, fn, *, job_id: str, still_live=None, **kwargs) -> bool:
    """Queue fn under job_id unless a live job has that id; False when one is queued, running or waiting to retry.

    `still_live(job)` may say that a started job is in fact dead (its worker was killed), to make room for a new one.
    """
    with contextlib.suppress(NoSuchJobError):
        job = Job.fetch(job_id, connection=connection)
        if job.get_status(refresh=False) in LIVE_JOB and (still_live is None or still_live(job)):
            return False
        job.delete()  # finished, failed after its last retry, stopped, or dead: make room for a fresh one
    try:
        queue(connection).enqueue_call(
            fn, kwargs=kwargs, job_id=job_id, retry=retry(), unique=True, description=describe(fn)
        )  # unique: two schedulers at once still queue one job
    except DuplicateJobError:
        return False
    return True
