"""GET /healthz tells an operator whether the database and Redis answer."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time

from starlette.testclient import TestClient

from app import create_app
from app.health import stamp
from core import heartbeats
from core.defaults import HEARTBEAT_STALE_SECONDS, PROCESS_BEAT_FORGET_SECONDS
from core.heartbeats import Heartbeats, Role
from core.redis import async_client
from settings import ROOT


def test_healthz_is_200_when_database_and_redis_answer(app):
    response = app.get("/healthz")
    assert response.status_code == 200
    assert {k: response.json()[k] for k in ("status", "database", "redis")} == {"status": "ok", "database": "ok",
                                                                               "redis": "ok"}


def test_healthz_is_503_naming_redis_when_it_is_down(settings, engine, redis):
    application = create_app(settings)
    with TestClient(application) as client:
        application.state.ctx.redis = async_client("redis://127.0.0.1:1/0")
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["redis"].startswith("down")
    assert response.json()["database"] == "ok"


def test_healthz_reports_each_roles_last_heartbeat(app, redis):
    now = time.time()
    Heartbeats(redis, wall=lambda: now - 3).beat(Role.WORKER)
    alive = app.get("/healthz")
    assert alive.status_code == 200  # a role never seen (no cron here) is reported, not failed
    body = alive.json()
    assert (body["web"], body["worker"], body["cron"]) == ("ok", "ok", "not seen")
    assert body["last_heartbeat"]["worker"] == stamp(now - 3) and body["last_heartbeat"]["cron"] is None
    assert body["last_heartbeat"]["web"] is not None  # the web process beats while it serves
    assert app.get("/healthz?require=worker,cron").json()["cron"] == "not seen (required)"
    assert app.get("/healthz?require=worker,cron").status_code == 503
    Heartbeats(redis, wall=lambda: now - HEARTBEAT_STALE_SECONDS - 30).beat(Role.CRON)
    stale = app.get("/healthz")
    assert stale.status_code == 503
    assert stale.json()["cron"].startswith("stale: last heartbeat 9") and stale.json()["worker"] == "ok"


def beat_as(monkeypatch, redis, name: str, at: float, role: Role = Role.WORKER) -> None:
    monkeypatch.setattr(heartbeats, "process_name", lambda: name)
    Heartbeats(redis, wall=lambda: at).beat(role)


def test_healthz_lists_every_process_of_a_role_with_its_own_heartbeat(app, redis, monkeypatch):
    now = time.time()
    beat_as(monkeypatch, redis, "old-host:7", now - PROCESS_BEAT_FORGET_SECONDS - 5)  # long gone: forgotten
    beat_as(monkeypatch, redis, "host-b:12", now - 200)  # stopped: listed stale
    beat_as(monkeypatch, redis, "host-a:11", now - 2)
    beat_as(monkeypatch, redis, "host-a:13", now - 4, Role.CRON)
    body = app.get("/healthz").json()
    assert body["worker"] == "ok" and body["cron"] == "ok"  # the role is alive: one of its processes beats
    assert body["processes"]["worker"] == [
        {"process": "host-a:11", "state": "ok", "last_heartbeat": stamp(now - 2)},
        {"process": "host-b:12", "state": "stale: last heartbeat 200 s ago", "last_heartbeat": stamp(now - 200)},
    ]
    assert body["processes"]["cron"] == [{"process": "host-a:13", "state": "ok", "last_heartbeat": stamp(now - 4)}]
    assert [p["process"] for p in body["processes"]["web"]] == [heartbeats.socket.gethostname() + f":{os.getpid()}"]
    assert not redis.hexists(heartbeats.processes_key(Role.WORKER), "old-host:7")


def test_run_health_names_a_stale_role(settings, engine, redis):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "REDIS_URL", "TWILIO_"))}
    env.update(DATABASE_URL=settings.database_url, REDIS_URL=settings.redis_url, ONECALL_VAR_DIR=str(settings.var_dir))

    def health(*args):
        return subprocess.run([sys.executable, str(ROOT / "run.py"), "health", *args], env=env, capture_output=True,
                              text=True, timeout=60)

    now = time.time()
    for role in (Role.WEB, Role.WORKER):
        Heartbeats(redis).beat(role)
    fine = health()
    assert fine.returncode == 0, fine.stderr
    assert re.search(r"^worker: ok \(last heartbeat \d+ s ago\)$", fine.stdout, re.M), fine.stdout
    assert re.search(r"^cron: not seen$", fine.stdout, re.M), fine.stdout
    assert re.search(rf"^  [^ ]+:{os.getpid()}: ok \(last heartbeat \d+ s ago\)$", fine.stdout, re.M), fine.stdout
    assert health("--require", "cron").returncode == 1
    Heartbeats(redis, wall=lambda: now - 600).beat(Role.WORKER)
    stale = health()
    assert stale.returncode == 1
    assert re.search(r"^worker: stale: last heartbeat 6\d\d s ago$", stale.stdout, re.M), stale.stdout
    assert stale.stderr.strip().endswith("unhealthy: worker")
