"""`run.py cron` and `run.py worker` ride out a Redis outage of any length, and what Redis lost is queued again."""

from __future__ import annotations

import dataclasses
import os
import signal
import subprocess
import sys
import time

import redis as redis_lib
from rq import Queue
from rq.cron import CronScheduler
from sqlmodel import select

from app import schedule
from core.cron import EPOCH_KEY, ResilientCron
from core.heartbeats import Heartbeats, Role
from core.redis import EmbeddedRedis, sync_client
from crm_bridge.models import CrmDelivery
from settings import ROOT
from tests.conftest import run_jobs
from tests.crm_bridge.builders import make_ticket


def until(predicate, seconds: float, what: str):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if value := predicate():
            return value
        time.sleep(0.2)
    raise AssertionError(f"{what} within {seconds} s")


def queued_functions(connection) -> set[str]:
    return {job.func_name for job in Queue("default", connection=connection).get_jobs()}


def beat_of(client, role: Role):
    return next(beat for beat in Heartbeats(client).read() if beat.role is role)


def child_env(settings, redis_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "REDIS_URL", "TWILIO_"))}
    env.update(DATABASE_URL=settings.database_url, REDIS_URL=redis_url, ONECALL_VAR_DIR=str(settings.var_dir),
               PYTHONUNBUFFERED="1")
    return env


def test_cron_survives_redis_outage_and_resumes(engine, settings, tmp_path):
    server = EmbeddedRedis(tmp_path / "redis")
    server.start()
    log = open(tmp_path / "cron.log", "w+")  # noqa: SIM115 (the child's output)
    cron = subprocess.Popen([sys.executable, str(ROOT / "run.py"), "cron"], env=child_env(settings, server.url),
                            stdout=log, stderr=subprocess.STDOUT)
    client = redis_lib.Redis.from_url(server.url)
    try:
        until(lambda: "crm_bridge.jobs.reconcile_outbox" in queued_functions(client), 30, "the cron queued its jobs")
        server.process.kill()  # Redis goes away at the cron's next tick, and stays away for several ticks
        server.process.wait()
        time.sleep(8)  # at least one tick (every 5 s at most) meets the outage
        assert cron.poll() is None, "run.py cron exited when Redis went away"
        server.start()  # back, emptied: the queued jobs were lost with it
        until(lambda: "crm_bridge.jobs.reconcile_outbox" in queued_functions(client), 30,
              "the cron queued its jobs again after Redis returned")
        until(lambda: beat_of(client, Role.CRON).at, 10, "a cron heartbeat")
        assert not beat_of(client, Role.CRON).stale
        cron.send_signal(signal.SIGTERM)
        assert cron.wait(timeout=15) == 0
    finally:
        if cron.poll() is None:
            cron.kill()
        client.close()
        server.stop()
        log.seek(0)
        output = log.read()
        log.close()
    failed = [line for line in output.splitlines() if "cron: tick failed (" in line]
    assert failed, output
    assert "cron: back after" in output, output
    assert "Traceback" not in output, output


def test_lost_jobs_are_redelivered_after_redis_returns(engine, redis, session, settings):
    ticket = make_ticket(session, settings, deliver=True)  # intake committed its outbox row and queued a job...
    scheduler = CronScheduler(connection=redis)
    schedule.register(scheduler)
    cron = ResilientCron(scheduler, sleep=lambda _: None)
    cron.tick()  # every periodic job queued once, as at start
    redis.flushdb()  # ...and Redis restarted without its data: those jobs are gone, none is due for a minute
    assert cron.tick() <= 5
    assert "crm_bridge.jobs.reconcile_outbox" in queued_functions(redis)
    assert "outreach.callback_dispatch.reconcile" in queued_functions(redis)
    assert redis.exists(EPOCH_KEY)
    run_jobs(settings, redis)
    session.expire_all()
    delivery = session.exec(select(CrmDelivery).where(CrmDelivery.ticket_id == ticket.id)).one()
    assert delivery.status == "delivered"
    redis.delete(*[key for key in redis.keys("rq:*")])
    cron.tick()  # nothing lost since: nothing is queued before its interval (but the every-second drain, if due)
    assert queued_functions(redis) - {"core.write_behind.drain_job"} == set()


def test_a_failed_tick_is_one_line_and_a_growing_back_off(engine, settings, tmp_path, caplog):
    server = EmbeddedRedis(tmp_path / "redis")
    server.start()
    connection = sync_client(server.url, socket_timeout=2)
    scheduler = CronScheduler(connection=connection)
    schedule.register(scheduler)
    cron = ResilientCron(scheduler, sleep=lambda _: None)
    try:
        assert cron.tick() <= 5
        server.process.kill()
        server.process.wait()
        assert [cron.tick() for _ in range(7)] == [1, 2, 4, 8, 16, 30, 30]
        assert len([r for r in caplog.records if r.name == "onecall.cron"]) == 7
        server.start()
        assert cron.tick() <= 5 and cron.failures == 0
    finally:
        connection.close()
        server.stop()


def test_run_worker_survives_redis_outage_and_runs_jobs_after(engine, settings, tmp_path):
    server = EmbeddedRedis(tmp_path / "redis")
    server.start()
    log = open(tmp_path / "worker.log", "w+")  # noqa: SIM115 (the child's output)
    worker = subprocess.Popen([sys.executable, str(ROOT / "run.py"), "worker"],
                              env=child_env(dataclasses.replace(settings), server.url), stdout=log,
                              stderr=subprocess.STDOUT)
    client = redis_lib.Redis.from_url(server.url)
    try:
        until(lambda: beat_of(client, Role.WORKER).at, 30, "a worker heartbeat")
        server.process.kill()
        server.process.wait()
        time.sleep(3)
        assert worker.poll() is None, "run.py worker exited when Redis went away"
        server.start()
        job = Queue("default", connection=client).enqueue("crm_bridge.jobs.reconcile_outbox")
        until(lambda: job.get_status(refresh=True) == "finished", 60, "the worker ran a job after Redis returned")
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(timeout=20) == 0
    finally:
        if worker.poll() is None:
            worker.kill()
        client.close()
        server.stop()
        log.seek(0)
        output = log.read()
        log.close()
    assert "the rq worker stopped" not in output, output  # a SIGTERM is a stop, not a failure to ride out
