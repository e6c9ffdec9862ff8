"""rq plumbing: the worker's job context, the queue, and putting jobs on it from the event loop."""

from __future__ import annotations

import contextlib
import datetime as dt
from dataclasses import dataclass
from functools import cached_property

import anyio.to_thread
from redis.exceptions import LockError
from rq import Queue, Retry, Worker, get_current_job
from rq.exceptions import DuplicateJobError, NoSuchJobError
from rq.job import Job, JobStatus
from sqlalchemy.engine import Engine

from core import clock
from core.calendar import BusinessCalendar
from core.db import make_engine
from core.defaults import JOB_RETRY_INTERVALS
from core.memo import ProcessMemo
from core.redis import sync_client
from core.twilio_client import make_client
from settings import Settings

QUEUE_NAMES = ("default",)


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


def run_worker(settings: Settings, *, burst: bool = False) -> None:
    """Run one rq worker with its scheduler until stopped."""
    configure(settings)
    connection = sync_client(settings.redis_url)
    worker = Worker([queue(connection, name) for name in QUEUE_NAMES], connection=connection)
    worker.work(with_scheduler=True, burst=burst)


def describe(fn) -> str:
    """What the worker logs for a job: its function only, never its arguments (phone numbers, message bodies)."""
    return f"{fn.__module__}.{fn.__qualname__}"


async def enqueue(connection, fn, /, **kwargs):
    """Put a job on the queue from the event loop, retried with back-off if it fails."""

    def put():
        return queue(connection).enqueue_call(fn, kwargs=kwargs, retry=retry(), description=describe(fn))

    return await anyio.to_thread.run_sync(put)


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
