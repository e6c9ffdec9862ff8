"""`python run.py` on a fresh checkout: embedded Redis, SQLite under var/, web and worker; SIGTERM stops it all."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from urllib.parse import urlencode

import httpx
import psutil
from twilio.request_validator import RequestValidator

from settings import ROOT


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_healthy(url: str, proc: subprocess.Popen, seconds: float = 90) -> httpx.Response:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert proc.poll() is None, "run.py exited early"
        try:
            response = httpx.get(url, timeout=2)
            if response.status_code == 200:
                return response
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise AssertionError("never became healthy")


def test_run_py_serves_a_signed_call_and_stops_cleanly_on_sigterm(tmp_path):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "TWILIO_AUTH_TOKEN")}
    env.update(ONECALL_VAR_DIR=str(tmp_path / "var"), PUBLIC_BASE_URL="https://311.example.gov", PYTHONUNBUFFERED="1")
    log = open(tmp_path / "out.log", "w+")
    proc = subprocess.Popen([sys.executable, str(ROOT / "run.py"), "--port", str(port)], env=env, stdout=log,
                            stderr=subprocess.STDOUT)
    try:
        health = wait_healthy(f"http://127.0.0.1:{port}/healthz", proc)
        assert health.json() == {"status": "ok", "database": "ok", "redis": "ok"}
        token = (tmp_path / "var" / "dev-auth-token").read_text().strip()
        form = {"CallSid": "CA" + "e" * 32, "From": "+13125550147", "To": "+15555550311"}
        signature = RequestValidator(token).compute_signature("https://311.example.gov/voice/incoming", form)
        headers = {"Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": signature}
        url = f"http://127.0.0.1:{port}/voice/incoming"
        answer = httpx.post(url, content=urlencode(form), headers=headers, timeout=10)
        assert answer.status_code == 200 and "Thank you for calling Springfield" in answer.text
        unsigned = httpx.post(url, content=urlencode(form), headers={"Content-Type": headers["Content-Type"]})
        assert unsigned.status_code == 403
        assert (tmp_path / "var" / "onecall.db").exists()
        sim = subprocess.run([sys.executable, str(ROOT / "run.py"), "--port", str(port), "simulate"], env=env,
                             input="1\nwhen does the library close\n9\n", capture_output=True, text=True, timeout=60)
        assert "Thank you for calling Springfield" in sim.stdout and "Goodbye" in sim.stdout, sim.stdout + sim.stderr
        children = psutil.Process(proc.pid).children(recursive=True)
        assert len(children) >= 3  # web, worker, embedded redis-server
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
        gone, alive = psutil.wait_procs(children, timeout=10)
        assert alive == []
    finally:
        if proc.poll() is None:
            proc.kill()
        log.seek(0)
        output = log.read()
        log.close()
    assert f"http://127.0.0.1:{port}/" in output
    assert "DEVELOPMENT MODE" in output
    assert "stopped" in output
