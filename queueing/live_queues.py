"""Live queue figures in Redis, shared by every process: who is waiting, today's counts, the wait estimator.

The language queues and the call-back queue are served by one pool of agents (queueing.agents.next_queue: call-backs
first, then the longest wait in the agent's languages), so one estimator describes them all: a caller's place in it
counts the callers of every queue the agents take first, and its agents are those seen on the agent line lately.
Agents who speak only some languages make this a little optimistic for the others.
"""

from __future__ import annotations

import datetime as dt
import json

from redis.asyncio import Redis

from core.defaults import AGENT_ACTIVE_SECONDS, QUEUE_DAY_TTL, QUEUE_META_TTL, SERVICE_LEVEL_SECONDS
from queueing.estimator import Estimate, EstimatorConfig, WaitEstimator
from settings import Settings

AGENTS_SEEN_KEY = "agents:seen"
POOL_EWT_KEY = "agents:ewt"  # the estimator of the agents' pool, shared by every queue


class LiveQueues:
    """Figures for every queue; events are idempotent per call, so Twilio retries count once."""

    def __init__(self, redis: Redis, settings: Settings) -> None:
        self.redis = redis
        self.zone = settings.timezone
        self.config = EstimatorConfig(agents=settings.queue.agents, handle_time=float(settings.queue.handle_time))
        self.callback_queue = settings.queue.callback_queue
        self.queues = tuple(dict.fromkeys([*settings.queue.names.values(), settings.queue.callback_queue]))
        self.agent_phones = frozenset(agent.phone for agent in settings.agents)

    # The Redis keys this class owns, one place for their names.
    def _day(self, queue: str, now: dt.datetime) -> str:
        return f"q:{queue}:day:{now.astimezone(self.zone):%Y%m%d}"

    @staticmethod
    def _waiting(queue: str) -> str:
        return f"q:{queue}:waiting"

    @staticmethod
    def _meta(queue: str, call_sid: str) -> str:
        return f"q:{queue}:meta:{call_sid}"

    async def joined(
        self, queue: str, call_sid: str, now: dt.datetime, *, waited: float, position: int, meta: dict[str, str]
    ) -> None:
        """A caller is waiting (first wait-URL poll); counted once per call."""
        if not await self.redis.zadd(self._waiting(queue), {call_sid: now.timestamp() - waited}, nx=True):
            return
        day = self._day(queue, now)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hincrby(day, "offered", 1).expire(day, QUEUE_DAY_TTL)
            pipe.hset(self._meta(queue, call_sid), mapping=meta or {"language": ""})
            pipe.expire(self._meta(queue, call_sid), QUEUE_META_TTL)
            await pipe.execute()
        place = position + await self._ahead_elsewhere(queue, now.timestamp() - waited)
        await self._update(lambda est: est.joined(now.timestamp() - waited, place))

    async def observe(self, queue: str, now: dt.datetime, size: int) -> None:
        """Twilio's own count of callers waiting (CurrentQueueSize), with the other queues', corrects the pool's."""
        total = size + sum(await self._counts(queue, None))
        await self._update(lambda est: est.observe_queue(now.timestamp(), total))

    async def answered(self, queue: str, call_sid: str, now: dt.datetime, *, waited: float) -> bool:
        """An agent took the caller; False if this was already counted."""
        if not await self.redis.zrem(self._waiting(queue), call_sid):
            return False
        day = self._day(queue, now)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hincrby(day, "answered", 1).hincrbyfloat(day, "answer_wait_sum", waited)
            if waited <= SERVICE_LEVEL_SECONDS:
                pipe.hincrby(day, "answered_in_time", 1)
            await pipe.execute()
        await self._update(lambda est: est.answered(now.timestamp(), waited))
        return True

    async def left(self, queue: str, call_sid: str, now: dt.datetime, *, waited: float, abandoned: bool) -> bool:
        """The caller left without an agent: hung up (abandoned) or chose another way; False if already counted."""
        if not await self.redis.zrem(self._waiting(queue), call_sid):
            return False
        if abandoned:
            await self.redis.hincrby(self._day(queue, now), "abandoned", 1)
        # Either way they no longer wait ahead of anyone; only a hang-up tells the estimator callers are impatient.
        await self._update(lambda est: (est.abandoned if abandoned else est.left)(now.timestamp(), waited))
        return True

    async def queue_full(self, queue: str, now: dt.datetime) -> None:
        """A caller could not join because the queue was full."""
        await self.redis.hincrby(self._day(queue, now), "full", 1)

    async def estimate(self, queue: str, position: int, now: dt.datetime, waited: float = 0) -> Estimate:
        """The estimated remaining wait for the caller at this position of this queue."""
        place = position + await self._ahead_elsewhere(queue, now.timestamp() - waited)
        return (await self._pool(now)).estimate(place, now.timestamp(), waited)

    async def waiting_count(self, queue: str) -> int:
        """How many callers wait in the queue now."""
        return await self.redis.zcard(self._waiting(queue))

    async def oldest(self, queue: str) -> tuple[str, float] | None:
        """The longest-waiting caller (next to be answered) and when they joined."""
        head = await self.redis.zrange(self._waiting(queue), 0, 0, withscores=True)
        return (head[0][0], head[0][1]) if head else None

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
        waiting = await self.waiting_count(queue)
        oldest = await self.oldest(queue)
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
