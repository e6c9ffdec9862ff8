"""Live queue figures in Redis, shared by every process: who is waiting, today's counts, the wait estimator.

The language queues and the call-back queue are served by one pool of agents (queueing.agents.next_queue: call-backs
first, then the longest wait in the agent's languages), so one estimator describes them all: a caller's place in it
counts the callers of every queue the agents take first, and its agents are those seen on the agent line lately.
Agents who speak only some languages make this a little optimistic for the others.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from enum import Enum

from redis.asyncio import Redis

from core import test_traffic
from core.defaults import (
    AGENT_ACTIVE_SECONDS,
    CALL_SESSION_TTL,
    QUEUE_DAY_TTL,
    QUEUE_META_TTL,
    QUEUE_POLL_SLACK_SECONDS,
    QUEUE_STALE_POLLS,
    SERVICE_LEVEL_SECONDS,
)
from queueing.estimator import Estimate, EstimatorConfig, SpokenWait, WaitEstimator
from settings import Settings

AGENTS_SEEN_KEY = "agents:seen"
POOL_EWT_KEY = "agents:ewt"  # the estimator of the agents' pool, shared by every queue


class Joined(int, Enum):
    """What a wait-URL poll did to the line."""

    REFUSED = -1  # the call already left a queue: a late or repeated poll, not a caller
    WAITING = 0  # already counted
    NEW = 1  # first poll: counted as offered
    BACK = 2  # polled again after being dropped as stale: back in line, not counted twice


@dataclass(frozen=True)
class Told:
    """What a caller was told of their wait on their first announcement, in seconds."""

    low: int  # the range the words cover ("about 4 minutes": 3 to 5 minutes)
    high: int
    said: int  # the words as one number: their midpoint
    after: int  # how long the caller had already waited when told

    @classmethod
    def of(cls, said: SpokenWait, *, after: float) -> Told:
        """The record of these words, said after this many seconds in the queue."""
        low, high = said.span
        return cls(round(low), round(high), round(said.midpoint), round(after))

    def kept(self, waited: float) -> bool:
        """Whether a caller answered after `waited` seconds in all waited no longer than the words promised."""
        return waited - self.after <= self.high


_TOLD_FIELDS = ("told_low", "told_high", "told_said", "told_after")


# One script, so a departure (below) can never fall between the check and the add: a caller who left stays gone.
# KEYS: waiting, polled, left, meta; ARGV: call_sid, joined at, polled at.
_JOIN = """
if redis.call('EXISTS', KEYS[3]) == 1 then return -1 end
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[1])
if redis.call('ZADD', KEYS[1], 'NX', ARGV[2], ARGV[1]) == 0 then return 0 end
if redis.call('EXISTS', KEYS[4]) == 1 then return 2 end
return 1
"""

# Mark the call gone and take it out of the line; returns when it joined, or nil if it was not waiting.
# KEYS: waiting, polled, left; ARGV: call_sid, how long to remember it left.
_DEPART = """
redis.call('SET', KEYS[3], '1', 'EX', ARGV[2])
local joined = redis.call('ZSCORE', KEYS[1], ARGV[1])
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('ZREM', KEYS[2], ARGV[1])
return joined
"""

# Drop callers whose last poll (or, never polled, whose join) is before the cutoff; returns them.
# KEYS: waiting, polled; ARGV: cutoff.
_SWEEP = """
local stale = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', '(' .. ARGV[1])
for _, sid in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', '(' .. ARGV[1])) do
  if not redis.call('ZSCORE', KEYS[2], sid) then table.insert(stale, sid) end
end
for _, sid in ipairs(stale) do
  redis.call('ZREM', KEYS[1], sid)
  redis.call('ZREM', KEYS[2], sid)
end
return stale
"""


class LiveQueues:
    """Figures for every queue; events are idempotent per call, so Twilio retries count once."""

    def __init__(self, redis: Redis, settings: Settings) -> None:
        self.redis = redis
        self.zone = settings.timezone
        self.config = EstimatorConfig(agents=settings.queue.agents, handle_time=float(settings.queue.handle_time))
        self.callback_queue = settings.queue.callback_queue
        self.queues = tuple(dict.fromkeys([*settings.queue.names.values(), settings.queue.callback_queue]))
        self.agent_phones = frozenset(agent.phone for agent in settings.agents)
        self.stale_after = QUEUE_STALE_POLLS * (settings.queue.offer_every + QUEUE_POLL_SLACK_SECONDS)

    # The Redis keys this class owns, one place for their names.
    def _day(self, queue: str, now: dt.datetime) -> str:
        return f"q:{queue}:day:{now.astimezone(self.zone):%Y%m%d}"

    @staticmethod
    def _waiting(queue: str) -> str:
        return f"q:{queue}:waiting"

    @staticmethod
    def _polled(queue: str) -> str:
        return f"q:{queue}:polled"

    @staticmethod
    def _left(call_sid: str) -> str:
        return f"q:left:{call_sid}"

    @staticmethod
    def _meta(queue: str, call_sid: str) -> str:
        return f"q:{queue}:meta:{call_sid}"

    async def joined(
        self, queue: str, call_sid: str, now: dt.datetime, *, waited: float, position: int, meta: dict[str, str]
    ) -> Joined:
        """A wait-URL poll: the caller is waiting (counted once per call), unless the call already left a queue."""
        keys = [self._waiting(queue), self._polled(queue), self._left(call_sid), self._meta(queue, call_sid)]
        now_ts = now.timestamp()
        joined = Joined(await self.redis.eval(_JOIN, len(keys), *keys, call_sid, now_ts - waited, now_ts))
        if joined is not Joined.NEW or not _counted():
            return joined
        day = self._day(queue, now)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hincrby(day, "offered", 1).expire(day, QUEUE_DAY_TTL)
            pipe.hset(self._meta(queue, call_sid), mapping=meta or {"language": ""})
            pipe.expire(self._meta(queue, call_sid), QUEUE_META_TTL)
            await pipe.execute()
        place = position + await self._ahead_elsewhere(queue, now_ts - waited)
        await self._update(lambda est: est.joined(now_ts - waited, place))
        return joined

    async def admitted(self, call_sid: str) -> None:
        """The call is being put in a queue (again): its polls count from now on, even after an earlier leave."""
        await self.redis.delete(self._left(call_sid))

    async def observe(self, queue: str, now: dt.datetime, size: int) -> None:
        """Twilio's own count of callers waiting (CurrentQueueSize), with the other queues', corrects the pool's."""
        total = size + sum(await self._counts(queue, None))
        await self._update(lambda est: est.observe_queue(now.timestamp(), total))

    async def told(self, queue: str, call_sid: str, told: Told) -> None:
        """Remember what a waiting caller was first told (later announcements keep the first)."""
        key = self._meta(queue, call_sid)
        async with self.redis.pipeline(transaction=True) as pipe:
            for field, value in zip(_TOLD_FIELDS, (told.low, told.high, told.said, told.after), strict=True):
                pipe.hsetnx(key, field, value)
            pipe.expire(key, QUEUE_META_TTL)
            await pipe.execute()

    async def take_told(self, queue: str, call_sid: str) -> Told | None:
        """What the caller leaving the queue was told, forgotten here so a later wait in the same call starts afresh."""
        key = self._meta(queue, call_sid)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hmget(key, list(_TOLD_FIELDS)).hdel(key, *_TOLD_FIELDS)
            values, _ = await pipe.execute()
        if any(v is None or not str(v).lstrip("-").isdigit() for v in values):
            return None
        return Told(*(int(v) for v in values))

    async def answered(
        self, queue: str, call_sid: str, now: dt.datetime, *, waited: float, told: Told | None = None
    ) -> bool:
        """An agent took the caller; False if this was already counted. What they were told is scored against it."""
        if await self._depart(queue, call_sid) is None:
            return False
        if not _counted():
            return True
        day = self._day(queue, now)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hincrby(day, "answered", 1).hincrbyfloat(day, "answer_wait_sum", waited)
            if waited <= SERVICE_LEVEL_SECONDS:
                pipe.hincrby(day, "answered_in_time", 1)
            if told is not None:
                pipe.hincrby(day, "told_answered", 1).hincrby(day, "told_sum", told.said)
                pipe.hincrbyfloat(day, "told_waited_sum", max(0.0, waited - told.after))
                pipe.hincrby(day, "told_kept", int(told.kept(waited)))
            await pipe.execute()
        await self._update(lambda est: est.answered(now.timestamp(), waited))
        return True

    async def left(self, queue: str, call_sid: str, now: dt.datetime, *, waited: float, abandoned: bool) -> bool:
        """The caller left without an agent: hung up (abandoned) or chose another way; False if already counted."""
        if await self._depart(queue, call_sid) is None:
            return False
        if not _counted():
            return True
        if abandoned:
            await self.redis.hincrby(self._day(queue, now), "abandoned", 1)
        # Either way they no longer wait ahead of anyone; only a hang-up tells the estimator callers are impatient.
        await self._update(lambda est: (est.abandoned if abandoned else est.left)(now.timestamp(), waited))
        return True

    async def call_ended(self, call_sid: str, now: dt.datetime) -> dict[str, float]:
        """The call is over: out of every queue it still waits in (counted as hung up); returns those queues, each with
        how long the caller waited in it."""
        ended = {}
        async with self.redis.pipeline(transaction=False) as pipe:  # every queue asked in one round trip
            for queue in self.queues:
                pipe.eval(_DEPART, 3, *self._departure(queue, call_sid), call_sid, CALL_SESSION_TTL)
            departed = await pipe.execute()
        for queue, joined_at in zip(self.queues, departed, strict=True):
            if joined_at is None:
                continue
            joined_at = float(joined_at)
            # The queue's own result request was lost or is still on its way: this is the hang-up it would report.
            waited = max(0.0, now.timestamp() - joined_at)
            ended[queue] = waited
            if not _counted():
                continue
            await self.redis.hincrby(self._day(queue, now), "abandoned", 1)
            await self._update(lambda est, waited=waited: est.abandoned(now.timestamp(), waited))
        return ended

    def _departure(self, queue: str, call_sid: str) -> list[str]:
        return [self._waiting(queue), self._polled(queue), self._left(call_sid)]  # _DEPART's keys

    async def _depart(self, queue: str, call_sid: str) -> float | None:
        joined_at = await self.redis.eval(_DEPART, 3, *self._departure(queue, call_sid), call_sid, CALL_SESSION_TTL)
        return float(joined_at) if joined_at is not None else None

    async def drop_stale(self, queue: str, now: dt.datetime) -> list[str]:
        """Drop callers not polled for several poll intervals (hung up, and the news was lost); returns them."""
        keys = [self._waiting(queue), self._polled(queue)]
        return await self.redis.eval(_SWEEP, len(keys), *keys, now.timestamp() - self.stale_after)

    async def queue_full(self, queue: str, now: dt.datetime) -> None:
        """A caller could not join because the queue was full."""
        if not _counted():
            return
        await self.redis.hincrby(self._day(queue, now), "full", 1)

    async def estimate(self, queue: str, position: int, now: dt.datetime, waited: float = 0) -> Estimate:
        """The estimated remaining wait for the caller at this position of this queue."""
        place = position + await self._ahead_elsewhere(queue, now.timestamp() - waited)
        return (await self._pool(now)).estimate(place, now.timestamp(), waited)

    async def waiting_count(self, queue: str, now: dt.datetime) -> int:
        """How many callers wait in the queue now (stale entries dropped first)."""
        await self.drop_stale(queue, now)
        return await self.redis.zcard(self._waiting(queue))

    async def oldest(self, queue: str, now: dt.datetime) -> tuple[str, float] | None:
        """The longest-waiting caller (next to be answered) and when they joined (stale entries dropped first)."""
        await self.drop_stale(queue, now)
        head = await self.redis.zrange(self._waiting(queue), 0, 0, withscores=True)
        return (head[0][0], head[0][1]) if head else None

    async def waiting_before(self, queue: str, joined: float) -> int:
        """How many callers waiting now joined the queue before this moment (a timestamp)."""
        return await self.redis.zcount(self._waiting(queue), "-inf", f"({joined}")

    async def joined_at(self, queue: str, call_sid: str) -> float | None:
        """When a waiting caller joined the queue (a timestamp), if they are waiting."""
        return await self.redis.zscore(self._waiting(queue), call_sid)

    async def meta(self, queue: str, call_sid: str) -> dict[str, str]:
        """What we know of a waiting caller: language and topic."""
        return await self.redis.hgetall(self._meta(queue, call_sid))

    async def agent_seen(self, phone: str, now: dt.datetime) -> None:
        """An agent took (or asked for) a call: they count in the pool at once."""
        await self.redis.zadd(AGENTS_SEEN_KEY, {phone: now.timestamp()})
        await self._pool(now)

    async def agents_on_duty(self, now: dt.datetime) -> int:
        """Configured agents seen on the agent line within AGENT_ACTIVE_SECONDS (never more than are configured)."""
        seen = await self.redis.zrangebyscore(AGENTS_SEEN_KEY, now.timestamp() - AGENT_ACTIVE_SECONDS, "+inf")
        return len(self.agent_phones.intersection(seen))

    async def snapshot(self, queue: str, now: dt.datetime) -> dict:
        """Everything a supervisor watches for one queue."""
        waiting = await self.waiting_count(queue, now)
        oldest = await self.oldest(queue, now)
        day = {k: float(v) for k, v in (await self.redis.hgetall(self._day(queue, now))).items()}
        answered = day.get("answered", 0)
        agents = await self.agents_on_duty(now)
        ewt = await self.estimate(queue, waiting + 1, now)
        return {
            "queue": queue,
            "waiting": waiting,
            "longest_wait_seconds": round(now.timestamp() - oldest[1]) if oldest else 0,
            "estimated_wait_seconds": round(ewt.seconds),
            "offered_today": int(day.get("offered", 0)),
            "answered_today": int(answered),
            "abandoned_today": int(day.get("abandoned", 0)),
            "queue_full_today": int(day.get("full", 0)),
            "service_level": round(day.get("answered_in_time", 0) / answered, 3) if answered else None,
            "average_speed_of_answer_seconds": round(day.get("answer_wait_sum", 0) / answered) if answered else None,
            "agents_active": agents,
            **_told_today(day),
        }

    async def _ahead_elsewhere(self, queue: str, joined_at: float) -> int:
        """Callers of the other queues an agent takes before this caller: every call-back, and who joined earlier."""
        if queue == self.callback_queue:
            return 0
        return sum(await self._counts(queue, joined_at))

    async def _counts(self, queue: str, before: float | None) -> list[int]:
        # Callers waiting in each other queue (who joined before `before`, if given; call-backs always count).
        async with self.redis.pipeline(transaction=False) as pipe:
            for other in self.queues:
                if other == queue:
                    continue
                if before is None or other == self.callback_queue:
                    pipe.zcard(self._waiting(other))
                else:
                    pipe.zcount(self._waiting(other), "-inf", f"({before}")
            return await pipe.execute()

    async def _pool(self, now: dt.datetime) -> WaitEstimator:
        """The pool's estimator, with the agents on duty now (no one seen lately: the configured count)."""
        agents = await self.agents_on_duty(now) or None
        estimator = await self._load()
        if estimator.agents != agents:
            await self._update(lambda est: est.agents_active(agents))
            estimator.agents_active(agents)
        return estimator

    async def _load(self) -> WaitEstimator:
        raw = await self.redis.get(POOL_EWT_KEY)
        return WaitEstimator.from_state(json.loads(raw) if raw else {}, self.config)

    async def _update(self, change) -> None:
        # Read-modify-write of the shared estimator under a short lock, so concurrent processes don't lose events.
        async with self.redis.lock(POOL_EWT_KEY + ":lock", timeout=5, blocking_timeout=5):
            estimator = await self._load()
            change(estimator)
            await self.redis.set(POOL_EWT_KEY, json.dumps(estimator.to_state()))


def _counted() -> bool:
    """Whether this request's caller counts in the figures and teaches the estimator: test traffic never does."""
    return test_traffic.current_run() is None


def _told_today(day: dict[str, float]) -> dict:
    """How today's estimates held up for callers who were answered: told on average, waited on average, share kept."""
    count = int(day.get("told_answered", 0))
    return {
        "told_answered_today": count,
        "told_average_seconds": round(day.get("told_sum", 0) / count) if count else None,
        "told_waited_average_seconds": round(day.get("told_waited_sum", 0) / count) if count else None,
        "told_kept_share": round(day.get("told_kept", 0) / count, 3) if count else None,
    }
