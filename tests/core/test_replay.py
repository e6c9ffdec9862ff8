"""Replay protection: one answer per webhook delivery, however many twins arrive together; a crash frees the claim."""

from __future__ import annotations

import asyncio
import contextlib
import random
import secrets
import signal
import subprocess
import sys
from urllib.parse import urlencode

import httpx
import pytest
from sqlmodel import Session, select

import core.clock
from app import create_app
from core import replay
from core.defaults import REPLAY_CLAIM_SECONDS
from core.redis import async_client
from ivr.models import Call, CallStep
from settings import ROOT
from tests.helpers import sign

TWILIO_RETRIES_END_WITHIN = 15  # seconds: the connection overrides' most total time, retries included


def test_twins_in_flight_get_the_first_answer_and_produce_runs_once(redis_url, redis):
    calls = []

    async def produce() -> str:
        calls.append(1)
        await asyncio.sleep(0.05)  # the first delivery is still being handled when its twins arrive
        return f"answer {len(calls)}"

    async def main() -> list[str]:
        client = async_client(redis_url)
        try:
            return await asyncio.gather(*(replay.once(client, "replay:twins", produce) for _ in range(4)))
        finally:
            await client.aclose()

    assert asyncio.run(main()) == ["answer 1"] * 4
    assert calls == [1]


def test_an_answer_is_kept_through_twilios_retries_and_then_let_go(redis_url, redis):
    async def produce() -> str:
        return "<Response/>"

    async def main() -> None:
        client = async_client(redis_url)
        try:
            await replay.once(client, "replay:kept", produce)
        finally:
            await client.aclose()

    asyncio.run(main())
    # Twilio's retries of one webhook all end within 15 s; the answers of a storm day's every webhook must not pile up
    # in Redis for an hour (the database remembers a delivery after that).
    assert TWILIO_RETRIES_END_WITHIN * 10 <= redis.ttl("replay:kept") <= 600


def test_a_crashed_first_attempt_frees_the_claim_so_the_retry_is_processed(redis_url, redis):
    async def crash() -> str:
        raise RuntimeError("database went away")

    async def fine() -> str:
        return "<Response/>"

    async def main() -> str:
        client = async_client(redis_url)
        try:
            with pytest.raises(RuntimeError):
                await replay.once(client, "replay:crash", crash)
            return await replay.once(client, "replay:crash", fine)
        finally:
            await client.aclose()

    assert asyncio.run(main()) == "<Response/>"


def test_a_twin_waiting_on_a_crashed_attempt_handles_the_delivery_itself(redis_url, redis):
    produced = []

    async def crash() -> str:
        await asyncio.sleep(0.1)
        raise RuntimeError("worker died")

    async def fine() -> str:
        produced.append(1)
        return "second try"

    async def main():
        client = async_client(redis_url)
        try:
            first = asyncio.create_task(replay.once(client, "replay:handover", crash))
            await asyncio.sleep(0.02)  # the twin arrives while the first attempt holds the claim
            twin = await replay.once(client, "replay:handover", fine)
            with pytest.raises(RuntimeError):
                await first
            return twin
        finally:
            await client.aclose()

    assert asyncio.run(main()) == "second try"
    assert produced == [1]


@contextlib.asynccontextmanager
async def _served(settings, clock):
    """The app with its lifespan run, reached through httpx in this event loop."""
    application = create_app(settings, clock=clock)
    try:
        async with application.router.lifespan_context(application):
            transport = httpx.ASGITransport(app=application)
            async with httpx.AsyncClient(transport=transport, base_url="https://311.example.gov") as client:
                yield client
    finally:
        core.clock.install(None)


def test_four_copies_of_a_new_call_within_10_ms_make_one_record_and_one_answer(settings, engine, redis, clock, drain):
    # Twilio (or a proxy in front of us) delivering the same webhook four times within 10 ms, 50 times over.
    rounds, copies = 50, 4
    jitter = random.Random(10)
    sids = [f"CA{secrets.token_hex(16)}" for _ in range(rounds)]

    async def deliver(client, form: dict[str, str], delay: float) -> httpx.Response:
        await asyncio.sleep(delay)
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Twilio-Signature": sign("/voice/incoming", form),
        }
        return await client.post("/voice/incoming", content=urlencode(form), headers=headers)

    async def main() -> list[list[httpx.Response]]:
        answers = []
        async with _served(settings, clock) as client:
            for sid in sids:
                form = {
                    "CallSid": sid,
                    "AccountSid": "AC" + "1" * 32,
                    "From": "+13125550147",
                    "To": "+15555550311",
                    "CallStatus": "ringing",
                    "Direction": "inbound",
                }
                delays = [jitter.uniform(0, 0.010) for _ in range(copies)]
                answers.append(await asyncio.gather(*(deliver(client, form, d) for d in delays)))
        return answers

    answers = asyncio.run(main())
    for sid, responses in zip(sids, answers, strict=True):
        assert [r.status_code for r in responses] == [200] * copies
        assert len({r.text for r in responses}) == 1, f"{sid} got different TwiML"
    assert drain() == rounds  # one stream entry per call: the twins added none
    calls = engine_rows(engine, Call)
    assert sorted(c.call_sid for c in calls) == sorted(sids)
    steps = engine_rows(engine, CallStep)
    per_call = {sid: sorted(s.seq for s in steps if s.call_sid == sid) for sid in sids}
    one_welcome = min(len(seqs) for seqs in per_call.values())
    assert [sid for sid, seqs in per_call.items() if seqs != list(range(1, one_welcome + 1))] == []


def engine_rows(engine, table):
    with Session(engine) as session:
        return session.exec(select(table)).all()


def test_the_database_claim_outlives_redis_and_a_failed_delivery_gives_it_back(engine, redis_url, redis, drain):
    runs = []

    async def produce() -> str:
        runs.append(1)
        return "<Response>acted</Response>"

    async def crash() -> str:
        raise RuntimeError("database went away")

    async def deliver(sid: str, handler) -> str:
        client = async_client(redis_url)
        try:
            durable = replay.Durable(engine, f"sms:{sid}", "<Response/>")
            return await replay.once(client, f"replay:sms:{sid}", handler, durable=durable)
        finally:
            await client.aclose()

    answers = [asyncio.run(deliver("SMfirst", produce))]
    drain()  # the delivery's record, written behind
    redis.delete("replay:sms:SMfirst")  # Redis long forgot it
    answers.append(asyncio.run(deliver("SMfirst", produce)))
    with pytest.raises(RuntimeError):
        asyncio.run(deliver("SMsecond", crash))
    answers.append(asyncio.run(deliver("SMsecond", produce)))  # Twilio's retry
    assert answers == ["<Response>acted</Response>", "<Response/>", "<Response>acted</Response>"]
    assert runs == [1, 1]
    assert drain() == 1  # the failed attempt wrote nothing behind; the retry did


# A webhook process killed half-way through a delivery (a deploy, the OOM killer): no handler of its runs at all.
KILLED_HALF_WAY = """
import asyncio, os, signal, sys
from core import replay
from core.db import make_engine
from core.redis import async_client

async def main(database_url, redis_url, durable_key, redis_key):
    async def produce():
        os.kill(os.getpid(), signal.SIGKILL)
        await asyncio.sleep(30)

    durable = replay.Durable(make_engine(database_url), durable_key, "<Response/>")
    await replay.once(async_client(redis_url), redis_key, produce, durable=durable)

asyncio.run(main(*sys.argv[1:]))
"""


def test_a_delivery_killed_half_way_is_acted_on_by_twilios_retry(engine, settings, redis, drain):
    durable_key, redis_key = "sms:SMkilled", "replay:sms:SMkilled"
    killed = subprocess.run([sys.executable, "-c", KILLED_HALF_WAY, settings.database_url, settings.redis_url,
                             durable_key, redis_key], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert 0 < redis.ttl(redis_key) <= REPLAY_CLAIM_SECONDS  # the dead process's claim frees itself...
    redis.delete(redis_key)  # ...and has, by the time Twilio's retry comes
    runs = []

    async def produce() -> str:
        runs.append(1)
        return "<Response><Message>Thanks, we got it.</Message></Response>"

    async def deliver() -> str:
        client = async_client(settings.redis_url)
        try:
            durable = replay.Durable(engine, durable_key, "<Response/>")
            return await replay.once(client, redis_key, produce, durable=durable)
        finally:
            await client.aclose()

    assert asyncio.run(deliver()) == "<Response><Message>Thanks, we got it.</Message></Response>"
    assert drain() == 1  # the killed attempt left nothing in the stream
    redis.delete(redis_key)  # Redis forgot it (an hour later, or a restart): the database still remembers
    assert asyncio.run(deliver()) == "<Response/>"
    assert runs == [1]


def test_keys_read_with_the_claim_can_show_a_delivery_is_new_without_the_database(engine, redis_url, redis, drain):
    runs, shown = [], []

    async def produce() -> str:
        runs.append(1)
        return "<Response>acted</Response>"

    def new_if(values):
        shown.append(values)
        return values == ["at this step"]

    async def deliver() -> str:
        client = async_client(redis_url)
        try:
            durable = replay.Durable(engine, "voice:CAnew:1", "<Response/>", reads=("where:CAnew",), new_if=new_if)
            return await replay.once(client, "replay:CAnew:1", produce, durable=durable)
        finally:
            await client.aclose()

    assert asyncio.run(deliver()) == "<Response>acted</Response>"
    drain()
    redis.delete("replay:CAnew:1")
    assert asyncio.run(deliver()) == "<Response/>"  # the database remembers it, and nothing read says otherwise
    redis.delete("replay:CAnew:1")
    redis.set("where:CAnew", "at this step")
    assert asyncio.run(deliver()) == "<Response>acted</Response>"  # trusted: the database was not asked
    assert shown == [[None], [None], ["at this step"]] and runs == [1, 1]
