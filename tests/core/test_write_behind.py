"""Records written behind: the answer does not wait for them, a retry before the drain is still answered once, and
no record is lost or doubled when the drainer is killed mid-batch."""

from __future__ import annotations

import signal
import subprocess
import sys

import pytest
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, select

from core import write_behind
from core.deliveries import ProcessedDelivery
from core.worker import configure
from ivr.models import Call, CallStep
from settings import ROOT
from tests.helpers import Caller


def rows(engine, table) -> list:
    with Session(engine) as session:
        return session.exec(select(table)).all()


def test_a_call_is_answered_before_its_records_are_written_and_they_appear_after_the_drain(app, engine, redis, drain):
    caller = Caller(app)
    caller.dial()
    heard = caller.say("when does the library close")
    assert "Most branches are open" in heard.text
    assert rows(engine, Call) == [] and rows(engine, CallStep) == [] and rows(engine, ProcessedDelivery) == []
    assert write_behind.waiting(redis) == 2  # one entry per webhook, each with its delivery's own record
    assert drain() == 2
    assert [c.call_sid for c in rows(engine, Call)] == [caller.sid]
    assert sorted(s.outcome for s in rows(engine, CallStep)) == ["answered", "menu"]
    assert len(rows(engine, ProcessedDelivery)) == 2
    assert write_behind.waiting(redis) == 0 and drain() == 0


def test_what_a_caller_said_reads_back_exactly_after_the_drain_backslashes_and_all(app, engine, redis, drain):
    # On PostgreSQL the drain streams its rows with COPY, whose text format gives backslashes and "\\." a meaning.
    said = 'is 12\\N Main St. \\. closed «café» 🚧 "really"? \\\\'
    caller = Caller(app)
    caller.dial()
    caller.say(said)
    drain()
    step = next(step for step in rows(engine, CallStep) if step.input_kind == "speech")
    assert step.input_value == said and step.created_at.tzinfo is not None
    deliveries = rows(engine, ProcessedDelivery)
    assert len(deliveries) == 2 and all(d.created_at.tzinfo is not None for d in deliveries)


def test_a_retry_before_the_drain_is_answered_from_the_replay_cache_and_recorded_once(app, engine, redis, drain):
    caller = Caller(app)
    welcome = caller.dial()
    first = caller.say("when does the library close")
    caller.last = welcome  # Twilio's retry of the same delivery, before any record reached the database
    assert caller.say("when does the library close").xml == first.xml
    assert write_behind.waiting(redis) == 2  # the retry added nothing
    redis.delete(*redis.keys("replay:*"))  # and even once the replay window passed, after the drain:
    drain()
    caller.last = welcome
    assert "Goodbye" in caller.say("when does the library close").text  # the database remembers the delivery
    assert drain() == 0
    assert len(rows(engine, CallStep)) == 2


def test_the_drain_job_writes_under_its_run_lock(app, engine, redis, settings):
    Caller(app).dial()
    configure(settings)
    redis.set("write_behind:cron:drain", "another run")  # a run in progress elsewhere: this one skips
    assert write_behind.drain_job() == 0 and rows(engine, Call) == []
    redis.delete("write_behind:cron:drain")
    assert write_behind.drain_job() == 1 and len(rows(engine, Call)) == 1


def test_an_entry_no_transaction_can_write_is_set_aside_and_the_others_are_written(app, engine, redis, drain):
    Caller(app).dial()
    redis.xadd(write_behind.STREAM, {"key": "wb:broken", "records": '[["ivr.steps", {"call": {}}, "2026-11-17"]]'})
    Caller(app).dial()
    assert drain() == 3
    assert len(rows(engine, Call)) == 2
    assert [fields[b"key"] for _, fields in redis.xrange(write_behind.FAILED)] == [b"wb:broken"]
    assert write_behind.waiting(redis) == 0


def test_a_database_outage_leaves_every_entry_waiting_for_the_next_run(app, engine, redis, drain, monkeypatch):
    Caller(app).dial()
    Caller(app).dial()

    def away(*_args, **_kwargs):
        raise OperationalError("INSERT ...", {}, ConnectionRefusedError("database restarting"))

    monkeypatch.setattr(write_behind, "in_session", away)
    with pytest.raises(OperationalError):
        drain()
    monkeypatch.undo()
    assert redis.xlen(write_behind.FAILED) == 0  # nothing set aside: it was not the entries' fault
    assert drain() == 2 and len(rows(engine, Call)) == 2


# A drainer killed (SIGKILL: the OOM killer, a deploy) in the middle of a batch, or after its commit but before it
# acknowledged the entries.
KILLED_DRAINER = """
import os, signal, sys
import ivr.records
from core import write_behind
from core.db import make_engine
from core.redis import sync_client

database_url, redis_url, when = sys.argv[1:]
written = []
write_entry, in_session = write_behind._write_entry, write_behind.in_session

def dies_mid_batch(session, key, fields):
    write_entry(session, key, fields)
    written.append(key)
    if len(written) == 3:
        os.kill(os.getpid(), signal.SIGKILL)

def dies_after_commit(engine, fn, **kwargs):
    in_session(engine, fn, **kwargs)
    os.kill(os.getpid(), signal.SIGKILL)

if when == "mid-batch":
    write_behind._write_entry = dies_mid_batch
else:
    write_behind.in_session = dies_after_commit
write_behind.drain(make_engine(database_url), sync_client(redis_url), consumer="doomed")
"""


def _kill_a_drainer(settings, when: str) -> None:
    killed = subprocess.run([sys.executable, "-c", KILLED_DRAINER, settings.database_url, settings.redis_url, when],
                            cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert killed.returncode == -signal.SIGKILL, killed.stderr


def _six_calls(app) -> list[str]:
    callers = [Caller(app) for _ in range(3)]
    for caller in callers:
        caller.dial()
        caller.say("when does the library close")
    return sorted(caller.sid for caller in callers)


def test_a_drainer_killed_mid_batch_loses_nothing(app, engine, redis, settings, drain):
    sids = _six_calls(app)
    _kill_a_drainer(settings, "mid-batch")
    assert rows(engine, Call) == [] and rows(engine, CallStep) == []  # its transaction never committed
    assert redis.xpending(write_behind.STREAM, write_behind.GROUP)["pending"] == 6  # read, never acknowledged
    assert drain() == 6  # the next run claims the dead drainer's entries
    assert sorted(c.call_sid for c in rows(engine, Call)) == sids
    assert len(rows(engine, CallStep)) == 6
    assert redis.xpending(write_behind.STREAM, write_behind.GROUP)["pending"] == 0
    assert write_behind.waiting(redis) == 0


def test_a_drainer_killed_after_its_commit_writes_nothing_twice(app, engine, redis, settings, drain):
    sids = _six_calls(app)
    _kill_a_drainer(settings, "after-commit")
    assert len(rows(engine, CallStep)) == 6  # committed...
    assert redis.xpending(write_behind.STREAM, write_behind.GROUP)["pending"] == 6  # ...but not acknowledged
    assert drain() == 6
    assert sorted(c.call_sid for c in rows(engine, Call)) == sids
    assert len(rows(engine, CallStep)) == 6  # each entry's delivery key was committed with it: no step twice
    assert write_behind.waiting(redis) == 0
