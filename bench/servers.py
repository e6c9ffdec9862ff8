"""The servers the benches start and stop: ours (`run.py`, configured for a storm day) and the bare endpoint, each in
its own process on a free loopback port."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent


def free_port() -> int:
    """A free TCP port on the loopback interface."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_answering(url: str, proc: subprocess.Popen | None, log: Path | None, seconds: float = 120, *,
                   any_status: bool = False) -> None:
    """Return once url answers below 500 (with `any_status`, at all: a web process alone says 503 at /healthz, no
    worker beating), or raise RuntimeError with the end of the server's log."""
    import httpx

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and (proc is None or proc.poll() is None):
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(url, timeout=2).status_code < 500 or any_status:
                return
        time.sleep(0.2)
    tail = log.read_text(errors="replace")[-3000:] if log and log.exists() else ""
    raise RuntimeError(f"{url} did not answer:\n{tail}")


def storm_day_config(tmp: Path) -> Path:
    """config.toml as a city sets it for a storm day: the service-wide texts-an-hour cap (a cost guard, 500) raised,
    so the run's own residents do not use it up and read "I can't send a text right now"."""
    text = re.sub(r"(?m)^texts_per_hour = \d+", "texts_per_hour = 1000000", (ROOT / "config.toml").read_text())
    path = tmp / "config.toml"
    path.write_text(text)
    return path


def start_ours(tmp: Path, web: int | None, procs: list[subprocess.Popen]) -> tuple[str, str, int]:
    """`run.py --web N` in its own var/ folder (development mode: nothing is sent), configured for a storm day; its
    URL, auth token and pid."""
    port, var = free_port(), tmp / "var"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TWILIO_", "PUBLIC_BASE_URL", "ONECALL_"))}
    env.update(ONECALL_VAR_DIR=str(var), PYTHONUNBUFFERED="1")
    log = tmp / "server.log"
    with log.open("wb") as out:
        command = [sys.executable, str(ROOT / "run.py"), "--config", str(storm_day_config(tmp)), "--port", str(port),
                   *(["--web", str(web)] if web else [])]
        proc = subprocess.Popen(command,
                                env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    procs.append(proc)
    url = f"http://127.0.0.1:{port}"
    wait_answering(f"{url}/healthz", proc, log)
    return url, (var / "dev-auth-token").read_text().strip(), proc.pid


def start_bare(tmp: Path, procs: list[subprocess.Popen]) -> tuple[str, int]:
    """The bare Starlette endpoint (uvicorn, uvloop, httptools), one process; its URL and pid."""
    port, log = free_port(), tmp / "bare.log"
    with log.open("wb") as out:
        proc = subprocess.Popen([sys.executable, str(BENCH / "bare_endpoint.py"), str(port)], cwd=ROOT, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True)
    procs.append(proc)
    url = f"http://127.0.0.1:{port}"
    wait_answering(f"{url}/", proc, log, seconds=60)  # 404 at / answers: it is up
    return url, proc.pid


def stop(procs: list[subprocess.Popen]) -> None:
    """SIGTERM each server (run.py stops its children), SIGKILL after 20 s."""
    for proc in procs:
        with contextlib.suppress(ProcessLookupError):
            proc.send_signal(signal.SIGTERM)
    for proc in procs:
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
