"""The rq worker process: jobs read their configuration from the context the worker was started with."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from rq import Queue, Worker
from sqlalchemy.engine import Engine

from core.db import make_engine
from core.redis import sync_client
from core.twilio_client import make_client
from settings import Settings

QUEUE_NAMES = ("default",)


@dataclass
class JobContext:
    settings: Settings

    @cached_property
    def engine(self) -> Engine:
        return make_engine(self.settings.database_url)

    @cached_property
    def twilio(self):
        return make_client(self.settings)

    @cached_property
    def wording(self):
        from flows.wording import Wording

        return Wording.load([language.code for language in self.settings.languages], self.settings.wording)

    @cached_property
    def catalogue(self):
        from crm_bridge.catalogue import load_catalogue

        return load_catalogue()


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


def run_worker(settings: Settings, *, burst: bool = False) -> None:
    """Run one rq worker with its scheduler until stopped."""
    configure(settings)
    connection = sync_client(settings.redis_url)
    worker = Worker([queue(connection, name) for name in QUEUE_NAMES], connection=connection)
    worker.work(with_scheduler=True, burst=burst)


async def enqueue(connection, fn, /, **kwargs):
    """Put a job on the queue from the event loop, retried with back-off if it fails."""
    import anyio.to_thread
    from rq import Retry

    def put():
        return queue(connection).enqueue_call(fn, kwargs=kwargs, retry=Retry(max=5, interval=[10, 30, 60, 300, 900]))

    return await anyio.to_thread.run_sync(put)
