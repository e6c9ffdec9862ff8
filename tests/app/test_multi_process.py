"""Two web processes and two workers, as real processes on their own ports, behave as one service.

They share the test's database and Redis (PostgreSQL and Redis when DATABASE_URL / REDIS_URL are set, else one SQLite
file and one embedded Redis), as several machines behind a load balancer do: a call whose webhooks alternate between
the two web processes goes through, a surge message or a knowledge change made through one is heard through the
other, and two workers racing over one call-back place one call.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
import subprocess
import sys
import time

import httpx
import pytest
from rq import Queue
from rq.registry import StartedJobRegistry

from callbacks import service
from callbacks.models import CallbackKind, CallbackRequest, CallbackSource
from console.models import Role, TokenScope
from console.tokens import create_token
from core.calendar import BusinessCalendar
from core.db import in_session
from outreach import callback_dispatch
from queueing import agents
from settings import ROOT, load_settings
from tests.callbacks.builders import AGENT_PIN, ANA, attempts
from tests.console.browser_session import make_account, sign_in
from tests.console.test_knowledge_page import LIBRARY, NEW_TEXT, edit
from tests.helpers import AUTH_TOKEN, PUBLIC_BASE_URL, AgentCall, Caller, Texter
from tests.test_run import clean_env, free_port

STORM = {"scope": "greeting", "texts": {"en-US": "Roads are flooded downtown. Avoid Main Street.",
                                        "es-US": "Las calles del centro están inundadas."}}
SPOKEN = "Every branch is open from 10 in the morning to 6 in the evening, every day, during the renovation."


class Alternating:
    """An HTTP client whose requests go to each web process in turn, as a load balancer may send them."""

    def __init__(self, *bases: str):
        self.clients = [httpx.Client(base_url=base, timeout=20) for base in bases]
        self.served: list[str] = []

    def _next(self) -> httpx.Client:
        client = self.clients[len(self.served) % len(self.clients)]
        self.served.append(str(client.base_url))
        return client

    def post(self, path: str, **options) -> httpx.Response:
        return self._next().post(path, **options)

    def close(self) -> None:
        for client in self.clients:
            client.close()


class FakeApp:
    """Just enough of a TestClient for the console helpers: the database to make an account in."""

    def __init__(self, engine, client: httpx.Client):
        self.client = client
        self.app = type("App", (), {"state": type("State", (), {"ctx": type("Ctx", (), {"engine": engine})})})

    def __getattr__(self, name):
        return getattr(self.client, name)


def open_all_day(tmp_path) -> str:
    """config.toml with agents answering around the clock, so a call-back is due whatever the hour of the test."""
    text = (ROOT / "config.toml").read_text()
    text = re.sub(r'(?m)^(monday|tuesday|wednesday|thursday|friday|saturday|sunday) = "[^"]*"', r'\1 = "00:00-24:00"',
                  text)
    path = tmp_path / "config.toml"
    path.write_text(text)
    return str(path)


@pytest.fixture
def service_processes(settings, engine, redis, twilio_api, tmp_path):
    """Two web processes (each its own port) and two workers, started as `run.py` children are; their base URLs."""
    config = open_all_day(tmp_path)
    env = clean_env(tmp_path / "var", ONECALL_CONFIG=config, ONECALL_SUPERVISED="1", DATABASE_URL=settings.database_url,
                    REDIS_URL=settings.redis_url, TWILIO_API_BASE_URL=twilio_api.url,
                    TWILIO_ACCOUNT_SID="AC" + "1" * 32, TWILIO_AUTH_TOKEN=AUTH_TOKEN, PUBLIC_BASE_URL=PUBLIC_BASE_URL)
    ports = [free_port(), free_port()]
    command = [sys.executable, str(ROOT / "run.py"), "--config", config]
    argvs = [[*command, "web", "--port", str(port)] for port in ports] + [[*command, "worker"]] * 2
    logs = [open(tmp_path / f"process-{n}.log", "w+") for n in range(len(argvs))]  # noqa: SIM115
    procs = [subprocess.Popen(argv, env=env, stdout=log, stderr=subprocess.STDOUT)
             for argv, log in zip(argvs, logs, strict=True)]
    bases = [f"http://127.0.0.1:{port}" for port in ports]
    try:
        deadline = time.monotonic() + 60
        for base in bases:
            while True:
                assert all(proc.poll() is None for proc in procs), "a process exited early"
                with contextlib.suppress(httpx.HTTPError):
                    if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                        break
                assert time.monotonic() < deadline, "the web processes did not start"
                time.sleep(0.2)
        yield bases, load_settings(config, env)
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
        for log in logs:
            log.seek(0)
            output = log.read()
            log.close()
            assert "Traceback" not in output, output[-3000:]


def test_two_web_processes_and_two_workers_behave_as_one(service_processes, engine, redis, twilio_api):
    (first, second), config = service_processes
    lb = Alternating(first, second)
    try:
        # A call whose webhooks alternate between the two processes: each step finds what the last one left.
        caller = Caller(lb)
        assert "Thank you for calling Springfield" in caller.dial().text
        heard = caller.say("when does the library close")
        if heard.node == "confirm":
            heard = caller.press("1")
        assert "ibrary" in heard.text, heard.text
        assert caller.press("9").hangup
        assert caller.hang_up().status_code == 204
        assert {first, second} <= set(lb.served)
        # A text is answered on whichever process it reaches.
        texter = Texter(lb, "+13125550190")
        assert "Mon-Thu 9am-8pm" in texter.send("when does the library close?")

        # A surge message made through the first process is heard on the next call through the second.
        a, b = (httpx.Client(base_url=base, timeout=20, follow_redirects=True) for base in (first, second))
        token = in_session(engine, create_token, name="multi", now=dt.datetime.now(dt.UTC),
                           scope=TokenScope.SUPERVISOR, days=1)
        made = a.post("/api/announcements", json=STORM, headers={"Authorization": f"Bearer {token}"})
        assert made.status_code == 201, made.text
        assert Caller(b).dial().says[0] == ("en-US", STORM["texts"]["en-US"])

        # A knowledge change published through the first process answers the next call and text on the second.
        editor = FakeApp(engine, a)
        make_account(editor, "cleo", Role.CONTENT_EDITOR)
        assert sign_in(editor, "cleo").status_code == 303
        published = edit(editor, LIBRARY, text=NEW_TEXT, spoken=SPOKEN)
        assert 'id="done">Published' in published.text  # (this answer only: Spanish keeps its own words)
        assert NEW_TEXT in Texter(b, "+13125550191").send("when does the library close?")
        asker = Caller(b)
        asker.dial()
        assert SPOKEN in asker.say("what time does the library close tonight").text
        a.close()
        b.close()

        # Two workers racing over one call-back: the dispatcher and the placing job queued many times, one call.
        now = dt.datetime.now(dt.UTC)
        if not BusinessCalendar(config).state(now).is_open:
            pytest.skip("today is a public holiday: no call-back is placed")  # the rest of the test has passed
        data = CallbackRequest(phone="+13125550150", language="en-US", kind=CallbackKind.SCHEDULED,
                               source=CallbackSource.SMS, due_at=now)
        row = in_session(engine, service.request, data=data, now=now, actor="test")[0]
        in_session(engine, agents.set_pin, agent="Ana", pin=AGENT_PIN, actor="test")
        ready = AgentCall(lb, ANA).sign_in(AGENT_PIN)  # an agent waits on the agent line: a call-back may be placed
        assert "A call-back is being placed for you." in ready.text, ready.text
        jobs = Queue("default", connection=redis)  # the agent line queued a dispatcher run too
        queued = [jobs.enqueue(callback_dispatch.dispatch) for _ in range(4)]
        deadline = time.monotonic() + 25
        while twilio_api.calls() == [] or len(jobs) or StartedJobRegistry(queue=jobs).count or any(
                job.get_status(refresh=True) not in ("finished", "failed") for job in queued):
            assert time.monotonic() < deadline, [(job.get_status(), job.result, job.exc_info) for job in queued]
            time.sleep(0.1)
        assert len(twilio_api.calls()) == 1, twilio_api.calls()
        assert twilio_api.calls()[0]["To"] == "+13125550150"
        assert [attempt.callback_id for attempt in attempts(engine)] == [row.id]
    finally:
        lb.close()
