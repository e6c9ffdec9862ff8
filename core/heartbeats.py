"""Each process role (web, worker, cron) says it is alive every few seconds; /healthz and `run.py health` read it.

One Redis key per role holds the wall-clock time of its last beat; a hash per role holds each process's own
(host:pid), so several workers or web processes are each listed. Liveness is measured in real seconds, not by
core.clock: a test or a replay may pin the business time, but a process that stopped beating is dead whatever the
pinned time says. A role never seen (no such process in this topology, or Redis was emptied) is reported, not failed.
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum

from core.defaults import HEARTBEAT_KEEP_SECONDS, HEARTBEAT_STALE_SECONDS, PROCESS_BEAT_FORGET_SECONDS


class Role(str, Enum):
    """The processes that beat."""

    WEB = "web"
    WORKER = "worker"
    CRON = "cron"


@dataclass(frozen=True)
class Beat:
    """What is known of one role: when it last beat (None: never seen) and whether that is too long ago."""

    role: Role
    at: float | None
    age: float | None
    stale: bool

    def failing(self, required: frozenset[Role] = frozenset()) -> bool:
        """Whether this role makes the service unhealthy: stale, or never seen though required."""
        return self.stale or (self.at is None and self.role in required)

    def describe(self, required: frozenset[Role] = frozenset()) -> str:
        """One word or phrase for /healthz and `run.py health`."""
        if self.at is None:
            return "not seen (required)" if self.role in required else "not seen"
        return f"stale: last heartbeat {self.age:.0f} s ago" if self.stale else "ok"


@dataclass(frozen=True)
class ProcessBeat:
    """One process's last beat: its role, its name (host:pid), when, and whether that is too long ago."""

    role: Role
    name: str
    at: float
    age: float
    stale: bool

    def describe(self) -> str:
        """One word or phrase for /healthz and `run.py health`."""
        return f"stale: last heartbeat {self.age:.0f} s ago" if self.stale else "ok"


def process_name() -> str:
    """This process as the heartbeats name it: host:pid."""
    return f"{socket.gethostname()}:{os.getpid()}"


def required_roles(raw: str) -> frozenset[Role]:
    """The roles named in "worker,cron" (unknown names are ignored: a probe's typo must not fail the service)."""
    names = {part.strip().lower() for part in raw.split(",")[:10]}
    return frozenset(role for role in Role if role.value in names)


def key(role: Role) -> str:
    """The Redis key holding a role's last heartbeat."""
    return f"heartbeat:{role.value}"


def processes_key(role: Role) -> str:
    """The Redis hash holding each process's last heartbeat for a role."""
    return f"heartbeats:{role.value}"


def _processes(role: Role, raw: dict, now: float, stale_after: float) -> tuple[list[ProcessBeat], list]:
    """The processes of one role, newest first, and the fields of those silent long enough to be forgotten."""
    beats, forget = [], []
    for name, value in raw.items():
        try:
            at = float(value)
        except ValueError:
            forget.append(name)
            continue
        age = max(0.0, now - at)
        if age > PROCESS_BEAT_FORGET_SECONDS:
            forget.append(name)
            continue
        text = name.decode(errors="replace") if isinstance(name, bytes) else str(name)
        beats.append(ProcessBeat(role, text, at, age, age > stale_after))
    return sorted(beats, key=lambda beat: beat.age), forget


def _read(role: Role, raw, now: float, stale_after: float) -> Beat:
    try:
        at = float(raw) if raw is not None else None
    except ValueError:  # not ours: read as never seen rather than fail the probe
        at = None
    if at is None:
        return Beat(role, None, None, False)
    age = max(0.0, now - at)
    return Beat(role, at, age, age > stale_after)


class Heartbeats:
    """Writes and reads the heartbeat keys on a blocking Redis client (worker, cron, `run.py health`)."""

    def __init__(self, redis, *, wall: Callable[[], float] = time.time, stale_after: float = HEARTBEAT_STALE_SECONDS):
        self._redis = redis
        self._wall = wall
        self.stale_after = stale_after

    def beat(self, role: Role) -> None:
        """Record that this role (and this process) is alive now; the role's key outlives it to be reported stale."""
        now = repr(self._wall())
        pipe = self._redis.pipeline(transaction=False)
        pipe.set(key(role), now, ex=HEARTBEAT_KEEP_SECONDS)
        pipe.hset(processes_key(role), process_name(), now)
        pipe.expire(processes_key(role), PROCESS_BEAT_FORGET_SECONDS)
        pipe.execute()

    def read(self) -> list[Beat]:
        """Every role's last heartbeat."""
        values = self._redis.mget([key(role) for role in Role])
        now = self._wall()
        return [_read(role, raw, now, self.stale_after) for role, raw in zip(Role, values, strict=True)]

    def processes(self) -> list[ProcessBeat]:
        """Every process's last heartbeat, by role, newest first; those silent for an hour are forgotten."""
        pipe = self._redis.pipeline(transaction=False)
        for role in Role:
            pipe.hgetall(processes_key(role))
        found, now = pipe.execute(), self._wall()
        beats = []
        for role, raw in zip(Role, found, strict=True):
            mine, forget = _processes(role, raw, now, self.stale_after)
            beats += mine
            if forget:
                self._redis.hdel(processes_key(role), *forget)
        return beats


class AsyncHeartbeats(Heartbeats):
    """The same keys on the web process's asyncio client."""

    async def beat(self, role: Role) -> None:
        """Record that this role (and this process) is alive now, in one round trip."""
        now = repr(self._wall())
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.set(key(role), now, ex=HEARTBEAT_KEEP_SECONDS)
            pipe.hset(processes_key(role), process_name(), now)
            pipe.expire(processes_key(role), PROCESS_BEAT_FORGET_SECONDS)
            await pipe.execute()

    async def read(self) -> list[Beat]:
        """Every role's last heartbeat."""
        values = await self._redis.mget([key(role) for role in Role])
        now = self._wall()
        return [_read(role, raw, now, self.stale_after) for role, raw in zip(Role, values, strict=True)]

    async def processes(self) -> list[ProcessBeat]:
        """Every process's last heartbeat, by role, newest first; those silent for an hour are forgotten."""
        async with self._redis.pipeline(transaction=False) as pipe:
            for role in Role:
                pipe.hgetall(processes_key(role))
            found = await pipe.execute()
        now, beats = self._wall(), []
        for role, raw in zip(Role, found, strict=True):
            mine, forget = _processes(role, raw, now, self.stale_after)
            beats += mine
            if forget:
                await self._redis.hdel(processes_key(role), *forget)
        return beats
