"""Webhook replay protection: Twilio retries a webhook on timeout; a retry gets the first answer again."""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import hashlib
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from redis.asyncio import Redis
from sqlalchemy.engine import Engine

from core import deliveries, prefetch, write_behind
from core.db import UNAVAILABLE
from core.defaults import REPLAY_CLAIM_SECONDS, REPLAY_POLL_SECONDS, REPLAY_TTL, REPLAY_WAIT_SECONDS

# Twilio names each webhook delivery with this header: a fresh token per request, the same one on a retry of it.
TOKEN_HEADER = "I-Twilio-Idempotency-Token"
MAX_TOKEN = 200

# A claim is stored under the answer's own key, so "is there an answer?" and "then it is mine" are one step: two
# steps let a twin slip in between another's check and its lock and handle the delivery a second time. Answers
# are TwiML or empty, never text starting with NUL.
CLAIMED = "\0claimed:"

# The stored answer or claim if there is one; else the caller's claim is set and nothing (nil) is returned.
_CLAIM_OR_ANSWER = """
local found = redis.call('GET', KEYS[1])
if found then return found end
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
return false
"""

# Drop the claim only if it is still this attempt's (after a crash), never a twin's claim or a stored answer.
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


def request_key(path: str, params: dict[str, str], token: str = "") -> str:
    """A key naming one webhook delivery: its path, every field it carried and Twilio's idempotency token if any.

    A loop's requests (the same URL, the same fields) are told apart by their tokens; a retry carries its token again.
    """
    digest = hashlib.sha256(path.encode())
    for name in sorted(params):
        digest.update(b"\0" + name.encode() + b"=" + params[name].encode())
    if token:
        digest.update(b"\0\0token=" + token[:MAX_TOKEN].encode())
    return f"replay:{digest.hexdigest()}"


# Redis writes to go out with the answer of the delivery being handled (in its MULTI), one round trip for all.
_alongside: contextvars.ContextVar[list[Callable[[object], None]] | None] = contextvars.ContextVar(
    "replay_alongside", default=None
)


def alongside(write: Callable[[object], None]) -> bool:
    """Queue `write(pipeline)` to go out with this delivery's answer, in its MULTI; False outside a delivery (the
    caller then writes now). A retry then finds the answer and what produced it (a session, say) or neither."""
    writes = _alongside.get()
    if writes is None:
        return False
    writes.append(write)
    return True


@dataclass(frozen=True)
class Durable:
    """The database's memory of one delivery (core.deliveries): its key, and the answer to a re-send it remembers.

    `reads` are Redis keys fetched with the claim, in its round trip, and kept for the request (core.prefetch);
    `new_if(values)` may tell from them that the delivery cannot have been handled, so the database is not asked.
    """

    engine: Engine
    key: str
    already: str
    reads: tuple[str, ...] = ()
    new_if: Callable[[list[str | None]], bool] | None = None


async def _seen(durable: Durable) -> bool:
    try:
        return await deliveries.seen_now(durable.engine, key=durable.key)
    except UNAVAILABLE:  # the database is away: the effects need it too, and their own outage answer is the reply
        return False


async def once(redis: Redis, key: str, produce: Callable[[], Awaitable[str]], *, durable: Durable | None = None) -> str:
    """Run produce() for the first delivery of key; twins wait for its answer, later deliveries get it stored.

    With `durable`, a delivery the database remembers (a re-send after the replay window, or after Redis restarted
    empty) gets `durable.already` and nothing is done again; the records produce() wrote behind (core.write_behind)
    and the delivery's own record go into the stream in the same MULTI as the answer.
    """
    claim = CLAIMED + secrets.token_hex(8)
    deadline = time.monotonic() + REPLAY_WAIT_SECONDS
    reads = list(durable.reads) if durable is not None else []
    while True:
        found, values = await _claim(redis, key, claim, reads)
        if found is None:
            prefetch.keep(dict(zip(reads, values, strict=True)))
            known_new = durable is not None and durable.new_if is not None and durable.new_if(values)
            return await _produce(redis, key, claim, produce, None if known_new else durable, durable)
        if not found.startswith(CLAIMED):
            return found
        # A twin is being handled right now (here or in another process): wait for its answer, or for its claim
        # to be released by a crash, and then handle the delivery here.
        if time.monotonic() > deadline:
            raise TimeoutError(f"twin delivery of {key} did not finish")
        await asyncio.sleep(REPLAY_POLL_SECONDS)


async def _claim(redis: Redis, key: str, claim: str, reads: list[str]) -> tuple[str | None, list[str | None]]:
    # The claim and the reads in one round trip; the reads follow the claim, so they see what the first delivery left.
    if not reads:
        return await redis.eval(_CLAIM_OR_ANSWER, 1, key, claim, REPLAY_CLAIM_SECONDS), []
    async with redis.pipeline(transaction=False) as pipe:
        pipe.eval(_CLAIM_OR_ANSWER, 1, key, claim, REPLAY_CLAIM_SECONDS)
        pipe.mget(reads)
        found, values = await pipe.execute()
    return found, values


async def _produce(redis: Redis, key: str, claim: str, produce: Callable[[], Awaitable[str]],
                   check: Durable | None, durable: Durable | None) -> str:
    batch, writes = None, []
    try:
        if check is not None and await _seen(check):
            result = durable.already
        else:
            token = _alongside.set(writes)
            try:
                with write_behind.collecting(durable.key if durable else write_behind.fresh_key()) as batch:
                    result = await produce()
            finally:
                _alongside.reset(token)
        # One round trip: the answer for retries, the writes that go with it and the records, all or nothing. A
        # process killed before it left no record and no answer, so Twilio's retry is acted on, not told goodbye.
        async with redis.pipeline(transaction=True) as pipe:
            for write in writes:
                write(pipe)
            pipe.set(key, result, ex=REPLAY_TTL)
            if batch is not None and (batch.records or durable is not None):
                write_behind.append_to(pipe, batch)
            await pipe.execute()
    except BaseException:
        # Twilio retries a failed webhook: the retry (or a waiting twin) must be processed, not find a dead claim.
        with contextlib.suppress(Exception):  # Redis itself may be the failure; the claim then expires by itself
            await redis.eval(_RELEASE, 1, key, claim)
        raise
    return result
