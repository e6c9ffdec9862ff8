"""Each agent's desk, by name: signed in or not, what they are doing and since when, the caller they are (or were
last) connected to, and today's handled calls. The agent line writes it; the console's agent page and agents view
read it, from any web process (Redis only).

Handle time is the conversation (put through → the agent line asks for the next caller) plus wrap-up when the agent
marks it done on their page; an agent without a screen has no wrap-up time.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from enum import StrEnum

from redis.asyncio import Redis

from core.defaults import AGENT_BUSY_SECONDS

DAY_SECONDS = 86_400


class DeskState(StrEnum):
    """What an agent is doing, as the agents view shows it."""

    WAITING = "waiting"
    ON_CALL = "on a call"
    RINGING = "ringing a call-back"
    WRAP_UP = "wrap-up"
    SIGNED_OUT = "signed out"


@dataclass(frozen=True)
class CallerOnDesk:
    """The caller an agent is (or was last) put through to: what the agent line knew at that moment."""

    call_sid: str
    queue: str
    language: str
    waited: int
    connected_at: float
    phone: str | None = None  # E.164; only in Redis, for the agent's actions, never stored in a table
    topic: str = ""  # the article the caller was last answered with
    callback_id: int | None = None
    ticket: str | None = None  # the request a call-back is about, or one opened in the IVR
    ended_at: float | None = None


@dataclass(frozen=True)
class Desk:
    """One agent's desk as read now."""

    name: str
    state: DeskState
    since: float | None = None
    line_sid: str | None = None
    caller: CallerOnDesk | None = None
    wrap_since: float | None = None  # wrap-up pending since (None: nothing to wrap up)
    extra: dict = field(default_factory=dict)

    @property
    def fingerprint(self) -> str:
        """What changes when the agent's page must be redrawn."""
        caller = self.caller.call_sid if self.caller else ""
        ended = self.caller.ended_at if self.caller else None
        return f"{self.state}|{caller}|{ended}|{self.wrap_since}"


class AgentDesks:
    """Desks in Redis; the keys are this class's own."""

    ON_LINE = "agent:desk:on-line"  # set of agent names signed in to the agent line

    def __init__(self, redis: Redis) -> None:
        self.redis = redis

    @staticmethod
    def key_for(name: str) -> str:
        """The hash of one agent's desk."""
        return f"agent:desk:{name}"

    @staticmethod
    def line_key(line_sid: str) -> str:
        """Which agent is on one agent-line call."""
        return f"agent:desk:line:{line_sid}"

    @staticmethod
    def day_key(day: dt.date) -> str:
        """Calls handled and seconds spent on them, per agent, on one day of the city's calendar."""
        return f"agent:desk:day:{day.isoformat()}"

    async def signed_in(self, name: str, line_sid: str, now: dt.datetime) -> None:
        """The agent keyed their PIN on this call: waiting for a caller."""
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hset(self.key_for(name), mapping={"line": line_sid, "state": "waiting", "since": now.timestamp()})
            pipe.expire(self.key_for(name), AGENT_BUSY_SECONDS * 3)
            pipe.set(self.line_key(line_sid), name, ex=AGENT_BUSY_SECONDS)
            pipe.sadd(self.ON_LINE, name)
            await pipe.execute()

    async def waiting(self, name: str, now: dt.datetime, day: dt.date, *, ringing: bool = False) -> None:
        """The agent line hands the agent a queue to wait on: a conversation before this one has ended."""
        raw = await self.redis.hgetall(self.key_for(name))
        if not raw or raw.get("state") == "gone":
            return
        await self._end_conversation(name, raw, now, day)
        state = "ringing" if ringing else "waiting"
        if raw.get("state") != state:
            await self.redis.hset(self.key_for(name), mapping={"state": state, "since": now.timestamp()})

    async def connected(self, name: str, caller: CallerOnDesk, now: dt.datetime) -> None:
        """A caller is put through to the agent: the screen pop. A wrap-up not marked done ends without its time."""
        mapping = {"state": "on_call", "since": now.timestamp(), "caller": json.dumps(caller.__dict__), "wrap": ""}
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hset(self.key_for(name), mapping=mapping)
            pipe.expire(self.key_for(name), AGENT_BUSY_SECONDS * 3)
            await pipe.execute()

    async def wrap_up_done(self, name: str, now: dt.datetime, day: dt.date) -> int | None:
        """The agent marked wrap-up done: its seconds count towards handle time; None when nothing was pending."""
        raw = await self.redis.hgetall(self.key_for(name))
        if raw.get("state") == "on_call":
            await self._end_conversation(name, raw, now, day)
            raw = await self.redis.hgetall(self.key_for(name))
        if not raw.get("wrap"):
            return None
        spent = max(0, round(now.timestamp() - float(raw["wrap"])))
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hset(self.key_for(name), "wrap", "")
            pipe.hincrby(self.day_key(day), f"{name}:seconds", spent)
            await pipe.execute()
        return spent

    async def line_ended(self, line_sid: str, now: dt.datetime, day: dt.date) -> None:
        """The agent's call to the agent line ended: signed out (their last caller stays on their page)."""
        name = await self.redis.get(self.line_key(line_sid))
        if name:
            await self._signed_out(name, line_sid, now, day)

    async def sign_out(self, name: str, now: dt.datetime, day: dt.date) -> str | None:
        """A supervisor signs the agent out; returns the agent-line call to forget (None: they were not on)."""
        line_sid = await self.redis.hget(self.key_for(name), "line")
        if not line_sid or not await self.redis.sismember(self.ON_LINE, name):
            return None
        await self._signed_out(name, line_sid, now, day)
        return line_sid

    async def _signed_out(self, name: str, line_sid: str, now: dt.datetime, day: dt.date) -> None:
        raw = await self.redis.hgetall(self.key_for(name))
        if raw.get("line") != line_sid:
            return  # an older call of an agent who has dialled in again since
        await self._end_conversation(name, raw, now, day)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hset(self.key_for(name), mapping={"state": "gone", "since": now.timestamp(), "line": ""})
            pipe.delete(self.line_key(line_sid))
            pipe.srem(self.ON_LINE, name)
            await pipe.execute()

    async def _end_conversation(self, name: str, raw: dict, now: dt.datetime, day: dt.date) -> None:
        if raw.get("state") != "on_call" or not raw.get("caller"):
            return
        caller = {**json.loads(raw["caller"]), "ended_at": now.timestamp()}
        talk = max(0, round(now.timestamp() - float(caller["connected_at"])))
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hset(self.key_for(name), mapping={"state": "waiting", "since": now.timestamp(),
                                                   "caller": json.dumps(caller), "wrap": now.timestamp()})
            pipe.hincrby(self.day_key(day), f"{name}:calls", 1)
            pipe.hincrby(self.day_key(day), f"{name}:seconds", talk)
            pipe.expire(self.day_key(day), DAY_SECONDS * 3)
            await pipe.execute()
        raw.update(state="waiting", since=str(now.timestamp()))

    async def read(self, name: str) -> Desk:
        """The agent's desk now."""
        raw = await self.redis.hgetall(self.key_for(name))
        on_line = bool(raw) and raw.get("state") != "gone"
        caller = CallerOnDesk(**json.loads(raw["caller"])) if raw.get("caller") else None
        wrap = float(raw["wrap"]) if raw.get("wrap") else None
        stored = raw.get("state", "gone")
        if stored == "on_call":
            state = DeskState.ON_CALL
        elif wrap is not None:
            state = DeskState.WRAP_UP
        elif not on_line:
            state = DeskState.SIGNED_OUT
        else:
            state = DeskState.RINGING if stored == "ringing" else DeskState.WAITING
        since = wrap if state is DeskState.WRAP_UP else (float(raw["since"]) if raw.get("since") else None)
        return Desk(name=name, state=state, since=since, line_sid=raw.get("line") or None, caller=caller,
                    wrap_since=wrap)

    async def on_line(self) -> set[str]:
        """The agents signed in to the agent line now."""
        return set(await self.redis.smembers(self.ON_LINE))

    async def handled(self, day: dt.date) -> dict[str, tuple[int, int]]:
        """Per agent, on this day: (calls handled, seconds of handle time)."""
        raw = await self.redis.hgetall(self.day_key(day))
        found: dict[str, list[int]] = {}
        for key, value in raw.items():
            name, _, what = key.rpartition(":")
            found.setdefault(name, [0, 0])[0 if what == "calls" else 1] += int(value)
        return {name: (calls, seconds) for name, (calls, seconds) in found.items()}


def city_day(now: dt.datetime, zone) -> dt.date:
    """The day of the city's calendar that handled calls are counted on."""
    return now.astimezone(zone).date()
