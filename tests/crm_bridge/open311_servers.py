"""Servers for CRM tests: OneCall itself as "the city's CRM" in a second process, and a flaky proxy in front of it."""

from __future__ import annotations

import contextlib
import os
import pickle
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import httpx
from rq import SimpleWorker
from rq.job import Job
from rq.registry import ScheduledJobRegistry
from sqlmodel import select

from core.db import in_session, make_engine
from core.redis import sync_client
from core.worker import configure, queue
from crm_bridge import service
from crm_bridge.models import Ticket, TicketStatus
from settings import ROOT

REMOTE_API_KEY = "city-crm-key-for-the-tests-0001"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def other_database(redis_url: str) -> str:
    """The same Redis server, the next database: the city's CRM does not share our keys."""
    parts = urlsplit(redis_url)
    if parts.scheme == "unix":
        db = int(parse_qs(parts.query).get("db", ["0"])[0])
        return f"{redis_url.split('?')[0]}?db={db + 1}"
    db = int(parts.path.strip("/") or 0)
    return urlunsplit(parts._replace(path=f"/{db + 1}"))


@dataclass
class RemoteCrm:
    """OneCall's own Open311 endpoint, running as a separate process with its own SQLite database."""

    base: str
    database_url: str
    process: subprocess.Popen
    api_key: str = REMOTE_API_KEY

    @property
    def url(self) -> str:
        return f"{self.base}/open311/v2"

    def tickets(self, description: str) -> list[Ticket]:
        """The requests the CRM holds with this description (one per create it saw), whatever reference follows it."""
        return self._db(lambda s: list(s.exec(select(Ticket).where(Ticket.description.startswith(description))).all()))

    def close(self, number: str, note: str) -> None:
        """A city worker closes the request in the CRM."""

        def close(session):
            ticket = service.get_ticket(session, number=number)
            service.change_status(session, ticket=ticket, status=TicketStatus.CLOSED, note=note, actor="crew")

        self._db(close)

    def _db(self, fn):
        engine = make_engine(self.database_url)
        try:
            return in_session(engine, fn)
        finally:
            engine.dispose()

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()


def start_remote_crm(folder: Path, redis_url: str) -> RemoteCrm:
    """Migrate a fresh SQLite database and serve `run.py web` on a free port; wait until it is healthy."""
    port = free_port()
    database_url = f"sqlite:///{folder / 'city-crm.db'}"
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "OPEN311_API_KEYS")}
    env.update(
        DATABASE_URL=database_url,
        REDIS_URL=other_database(redis_url),
        OPEN311_API_KEYS=REMOTE_API_KEY,
        TWILIO_AUTH_TOKEN="remote-crm-token", TWILIO_ACCOUNT_SID="AC" + "3" * 32,
        PUBLIC_BASE_URL=f"http://127.0.0.1:{port}",
        ONECALL_VAR_DIR=str(folder / "var"),
        PYTHONUNBUFFERED="1",
    )
    run = [sys.executable, str(ROOT / "run.py"), "--config", str(ROOT / "config.toml")]
    log = open(folder / "city-crm.log", "w")  # noqa: SIM115 (kept open for the child's lifetime)
    subprocess.run([*run, "migrate"], env=env, stdout=log, stderr=subprocess.STDOUT, check=True, timeout=120)
    process = subprocess.Popen(
        [*run, "web", "--host", "127.0.0.1", "--port", str(port)], env=env, stdout=log, stderr=subprocess.STDOUT
    )
    remote = RemoteCrm(f"http://127.0.0.1:{port}", database_url, process)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"the CRM process exited: {(folder / 'city-crm.log').read_text()[-2000:]}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{remote.base}/healthz", timeout=2).status_code == 200:
                return remote
        time.sleep(0.2)
    remote.stop()
    raise AssertionError("the CRM process never became healthy")


@dataclass
class Seen:
    method: str
    path: str
    form: dict[str, str]
    mode: str


@dataclass
class FlakyProxy:
    """A proxy in front of the CRM that can fail: "pass" forwards; "error" answers 500 without forwarding;
    "stall" forwards (so the CRM creates the request) and then holds the answer for stall_seconds, as a timeout
    that loses the answer does. With ignore_device_id the CRM behind it never sees device_id, as a CRM that ignores
    it would not: every POST creates a request."""

    upstream: str
    mode: str = "pass"
    stall_seconds: float = 2.0
    ignore_device_id: bool = False
    seen: list[Seen] = field(default_factory=list)

    def __post_init__(self) -> None:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (http.server's naming)
                proxy._handle(self, "GET")

            def do_POST(self):  # noqa: N802
                proxy._handle(self, "POST")

            def log_message(self, *args):
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        self.base = f"http://127.0.0.1:{self._server.server_port}"

    @property
    def url(self) -> str:
        return f"{self.base}/open311/v2"

    def posts(self) -> list[Seen]:
        return [s for s in self.seen if s.method == "POST"]

    def lookups(self) -> list[Seen]:
        return [s for s in self.seen if s.method == "GET" and urlsplit(s.path).path.endswith("/requests.json")]

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _handle(self, handler: BaseHTTPRequestHandler, method: str) -> None:
        body = handler.rfile.read(int(handler.headers.get("Content-Length") or 0))
        mode = self.mode
        self.seen.append(Seen(method, handler.path, {k: v[-1] for k, v in parse_qs(body.decode()).items()}, mode))
        if mode == "error":
            return self._reply(handler, 500, b'[{"code": 500, "description": "stub failure"}]', "application/json")
        headers = {"Content-Type": handler.headers.get("Content-Type", "application/octet-stream")}
        if method == "POST" and self.ignore_device_id:
            form = {k: v for k, v in parse_qs(body.decode(), keep_blank_values=True).items() if k != "device_id"}
            body = urlencode(form, doseq=True).encode()
        answer = httpx.request(method, self.upstream + handler.path, content=body, headers=headers, timeout=30)
        if mode == "stall":
            time.sleep(self.stall_seconds)
        self._reply(handler, answer.status_code, answer.content, answer.headers.get("content-type", "text/plain"))

    def _reply(self, handler: BaseHTTPRequestHandler, status: int, body: bytes, content_type: str) -> None:
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # the client may have given up
            handler.send_response(status)
            handler.send_header("Content-Type", content_type)
            handler.send_header("Content-Length", str(len(body)))
            handler.end_headers()
            handler.wfile.write(body)


def run_due_retries(redis) -> int:
    """Put every job waiting out its retry back-off on the queue now, as rq's scheduler does when the time comes."""
    q = queue(redis)
    registry = ScheduledJobRegistry(queue=q)
    job_ids = registry.get_job_ids()
    for job_id in job_ids:
        job = Job.fetch(job_id, connection=redis)
        registry.remove(job)
        q.enqueue_job(job)
    return len(job_ids)


def elapse(redis, seconds: float, *keys: str) -> None:
    """Time passes for these keys' expiry: each loses `seconds` of its time to live, and is gone if that was all."""
    for key in keys:
        left = redis.pttl(key)
        if left < 0:
            continue  # no such key, or no expiry
        if left <= seconds * 1000:
            redis.delete(key)
        else:
            redis.pexpire(key, int(left - seconds * 1000))


def start_worker(settings, folder: Path) -> subprocess.Popen:
    """An rq worker in a process of its own (it stops when the queue is empty), for a test to kill mid-job."""
    path = folder / "worker-settings.pickle"
    path.write_bytes(pickle.dumps(settings))
    code = f"from tests.crm_bridge.open311_servers import work; work({str(path)!r})"
    log = open(folder / "worker.log", "w")  # noqa: SIM115 (kept open for the child's lifetime)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)


def work(settings_file: str) -> None:
    """The worker process of start_worker: run the queued jobs, as `run.py worker` does, then stop."""
    settings = pickle.loads(Path(settings_file).read_bytes())
    configure(settings)
    connection = sync_client(settings.redis_url)
    SimpleWorker([queue(connection)], connection=connection).work(burst=True, with_scheduler=False)
