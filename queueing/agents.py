"""Agents: who may take calls (their number, then their PIN), and which caller is next for them."""

from __future__ import annotations

from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from redis.asyncio import Redis
from sqlmodel import Session, select

from core import audit, clock
from core.context import AppContext
from core.db import run_db
from core.defaults import (
    AGENT_BUSY_SECONDS,
    AGENT_IDLE_DIAL_SECONDS,
    AGENT_PIN_ATTEMPTS,
    AGENT_PIN_LOCK_SECONDS,
    AGENT_PIN_MAX_DIGITS,
    AGENT_PIN_MIN_DIGITS,
)
from core.phones import e164, mask
from queueing.live_queues import LiveQueues
from queueing.models import AgentLineAttempt, AgentLineOutcome, AgentPin, PinSource
from settings import Agent, Settings

_hasher = PasswordHasher()


def find_agent(settings: Settings, caller: str) -> Agent | None:
    """The configured agent calling from this number, if any."""
    number = e164(caller)
    return next((a for a in settings.agents if a.phone == number), None)


def agent_named(settings: Settings, name: str) -> Agent | None:
    """The configured agent of this name (any case), if any."""
    return next((a for a in settings.agents if a.name.casefold() == name.strip().casefold()), None)


# PINs people pick first (keypad shapes, doubled halves, years and dates aside): a spoofer tries these first.
COMMON_PINS = frozenset(
    "112233 111222 123321 147258 258369 369258 147852 159753 159357 753159 951357 789456 456789123 102030 "
    "142536 868686 147258369 123456789 987654321".split()
)
TRIVIAL_PIN = "that PIN is too easy to guess (repeated or sequential digits, or a common PIN); choose another"


class RealPinKept(ValueError):
    """The browser phone tried to replace a PIN an administrator set."""


def trivial_pin(pin: str) -> bool:
    """Whether a spoofer would guess this PIN first: one digit or a short block repeated (000000, 121212, 123123),
    a run up or down the keypad's digits (123456, 654321, 012345, 890123), or a common PIN."""
    repeated = any(len(pin) % size == 0 and pin == pin[:size] * (len(pin) // size) for size in (1, 2, 3))
    steps = {(int(b) - int(a)) % 10 for a, b in zip(pin, pin[1:], strict=False)}
    return repeated or steps in ({1}, {9}) or pin in COMMON_PINS


def pin_problem(pin: str) -> str | None:
    """Why this is not an acceptable PIN, or None; every place that sets a PIN (CLI, browser phone) asks this."""
    if not (pin.isascii() and pin.isdigit()):
        return "a PIN is digits only"
    if not AGENT_PIN_MIN_DIGITS <= len(pin) <= AGENT_PIN_MAX_DIGITS:
        return f"a PIN is {AGENT_PIN_MIN_DIGITS} to {AGENT_PIN_MAX_DIGITS} digits long"
    if trivial_pin(pin):
        return TRIVIAL_PIN
    return None


def set_pin(session: Session, *, agent: str, pin: str, actor: str, source: PinSource = PinSource.ADMIN) -> None:
    """Set (or replace) an agent's PIN; only its argon2 hash is kept, and the change is audited (never the PIN).

    A development PIN (the browser phone's) never replaces one an administrator set: RealPinKept."""
    if problem := pin_problem(pin):
        raise ValueError(problem)
    row = session.exec(select(AgentPin).where(AgentPin.agent == agent)).first()
    if row is not None and source is PinSource.DEVELOPMENT and row.source != PinSource.DEVELOPMENT:
        raise RealPinKept(f"{agent}'s PIN was set with `run.py agent-pin`; the browser phone never replaces it")
    before = {"pin": "set", "source": row.source} if row else None
    row = row or AgentPin(agent=agent, pin_hash="")
    row.pin_hash = _hasher.hash(pin)
    row.source = source
    row.shown_pin = pin if source is PinSource.DEVELOPMENT else None
    row.updated_at = clock.now()
    session.add(row)
    after = {"pin": "set", "source": source}
    audit.record(session, actor=actor, action="agent.pin", subject=agent, before=before, after=after)


def pin_sources(session: Session, *, names: list[str]) -> dict[str, PinSource | None]:
    """Who set each of these agents' PINs (None: no PIN yet)."""
    rows = session.exec(select(AgentPin.agent, AgentPin.source).where(AgentPin.agent.in_(names))).all()
    found = {agent: PinSource(source) for agent, source in rows}
    return {name: found.get(name) for name in names}


def development_pins(session: Session, *, names: list[str]) -> dict[str, str]:
    """The development PINs (set from the browser phone) of these agents, to show beside their agent phones."""
    query = select(AgentPin.agent, AgentPin.shown_pin).where(
        AgentPin.agent.in_(names), AgentPin.source == PinSource.DEVELOPMENT, AgentPin.shown_pin.is_not(None)
    )
    return dict(session.exec(query).all())


class PinAttempts:
    """PIN attempts from one calling number, in Redis: AGENT_PIN_ATTEMPTS wrong ones lock the line for that number."""

    def __init__(self, redis: Redis, phone: str) -> None:
        self.redis = redis
        self.key = self.key_for(phone)

    @staticmethod
    def key_for(phone: str) -> str:
        """The Redis key counting one number's attempts."""
        return f"agent:pin-attempts:{phone}"

    async def locked(self) -> bool:
        """Whether this number has used up its attempts for now."""
        return int(await self.redis.get(self.key) or 0) >= AGENT_PIN_ATTEMPTS

    async def reserve(self) -> bool:
        """Count an attempt before the PIN is checked (so parallel calls get no extra tries); False when locked."""
        async with self.redis.pipeline(transaction=True) as pipe:
            count, _ = await pipe.incr(self.key).expire(self.key, AGENT_PIN_LOCK_SECONDS).execute()
        return count <= AGENT_PIN_ATTEMPTS

    async def clear(self) -> None:
        """The right PIN: start counting afresh."""
        await self.redis.delete(self.key)


class SignedIn:
    """Agent calls that keyed the right PIN: the agent line hands them caller after caller without asking again."""

    def __init__(self, redis: Redis) -> None:
        self.redis = redis

    @staticmethod
    def key_for(call_sid: str) -> str:
        """The Redis key naming the agent signed in on one call."""
        return f"agent:signed-in:{call_sid}"

    async def add(self, call_sid: str, agent: str) -> None:
        """The agent on this call keyed their PIN."""
        await self.redis.set(self.key_for(call_sid), agent, ex=AGENT_BUSY_SECONDS)

    async def agent(self, call_sid: str) -> str | None:
        """The agent signed in on this call, if any."""
        return await self.redis.get(self.key_for(call_sid))

    async def forget(self, call_sid: str) -> None:
        """The call ended: a late or re-sent request for it finds nobody signed in (a no-op for other calls)."""
        await self.redis.delete(self.key_for(call_sid))


class CallbackHolds:
    """Which agent waits for which call-back being placed: one agent per call-back, so the others take live callers."""

    def __init__(self, redis: Redis) -> None:
        self.redis = redis

    @staticmethod
    def key_for(callback_id: int) -> str:
        """The Redis key naming the agent call that waits for one call-back."""
        return f"agent:callback-hold:{callback_id}"

    async def take(self, callback_id: int, agent_call_sid: str) -> bool:
        """Hold the call-back for this agent's call; True if it is theirs (newly, or still)."""
        key = self.key_for(callback_id)
        # Held a little longer than one idle Dial, so the same agent coming back round keeps it.
        ttl = AGENT_IDLE_DIAL_SECONDS + 10
        if await self.redis.set(key, agent_call_sid, nx=True, ex=ttl):
            return True
        holder = await self.redis.get(key)
        if (holder.decode() if isinstance(holder, bytes) else holder) != agent_call_sid:
            return False
        await self.redis.expire(key, ttl)
        return True


@dataclass(frozen=True)
class LineCheck:
    """What the agent line does with a call now, and for whom; `wrong_pin` when the PIN just entered was wrong."""

    outcome: AgentLineOutcome
    agent: Agent | None = None
    wrong_pin: bool = False


def attestation_failed(verstat: str) -> bool:
    """Whether Twilio's StirVerstat says the carrier's STIR/SHAKEN check of the calling number failed."""
    return verstat.startswith("TN-Validation-Failed")


async def answer(ctx: AppContext, *, call_sid: str, caller: str, verstat: str) -> LineCheck:
    """A call to the agent line: ask for the PIN, or say why not (stranger, unverified, locked, no PIN set)."""
    check = await _screen(ctx, caller, verstat)
    if check is None:
        agent = find_agent(ctx.settings, caller)
        has_pin = await run_db(ctx.engine, _has_pin, agent=agent.name)
        check = LineCheck(AgentLineOutcome.PIN_ASKED if has_pin else AgentLineOutcome.NO_PIN, agent)
    await _record(ctx, call_sid, caller, verstat, check, [check.outcome])
    return check


async def enter_pin(ctx: AppContext, *, call_sid: str, caller: str, verstat: str, pin: str) -> LineCheck:
    """The agent keyed a PIN: let them through, ask again, or lock the line for their number."""
    check = await _screen(ctx, caller, verstat)
    if check is not None:
        await _record(ctx, call_sid, caller, verstat, check, [check.outcome])
        return check
    agent = find_agent(ctx.settings, caller)
    if not pin:
        return LineCheck(AgentLineOutcome.PIN_ASKED, agent)  # only # pressed: ask again, nothing guessed
    attempts = PinAttempts(ctx.redis, agent.phone)
    if not await attempts.reserve():
        check = LineCheck(AgentLineOutcome.LOCKED, agent)
        await _record(ctx, call_sid, caller, verstat, check, [check.outcome])
        return check
    right = await run_db(ctx.engine, _pin_matches, agent=agent.name, pin=pin)
    if right is None:
        check = LineCheck(AgentLineOutcome.NO_PIN, agent)
    elif right:
        await attempts.clear()
        check = LineCheck(AgentLineOutcome.PIN_OK, agent)
    elif await attempts.locked():
        check = LineCheck(AgentLineOutcome.LOCKED, agent, wrong_pin=True)
    else:
        check = LineCheck(AgentLineOutcome.PIN_WRONG, agent, wrong_pin=True)
    # A third wrong PIN is two events: the wrong PIN, and the line locking.
    events = [AgentLineOutcome.PIN_WRONG] if check.wrong_pin else []
    if check.outcome is not AgentLineOutcome.PIN_WRONG:
        events.append(check.outcome)
    await _record(ctx, call_sid, caller, verstat, check, events)
    return check


async def _screen(ctx: AppContext, caller: str, verstat: str) -> LineCheck | None:
    # What refuses a call before any PIN is checked; None when a PIN may be tried.
    agent = find_agent(ctx.settings, caller)
    if agent is None:
        return LineCheck(AgentLineOutcome.STRANGER)
    if attestation_failed(verstat):
        return LineCheck(AgentLineOutcome.UNVERIFIED, agent)
    if await PinAttempts(ctx.redis, agent.phone).locked():
        return LineCheck(AgentLineOutcome.LOCKED, agent)
    return None


def _has_pin(session: Session, *, agent: str) -> bool:
    return session.exec(select(AgentPin.id).where(AgentPin.agent == agent)).first() is not None


def _pin_matches(session: Session, *, agent: str, pin: str) -> bool | None:
    """Whether the PIN is the agent's (None: they have none); argon2 runs here, in the database worker thread."""
    row = session.exec(select(AgentPin).where(AgentPin.agent == agent)).first()
    if row is None:
        return None
    if pin_problem(pin):
        return False
    try:
        return _hasher.verify(row.pin_hash, pin)
    except (VerificationError, InvalidHashError):
        return False


async def _record(
    ctx: AppContext, call_sid: str, caller: str, verstat: str, check: LineCheck, outcomes: list[AgentLineOutcome]
) -> None:
    def add(session: Session) -> None:
        for outcome in outcomes:
            session.add(
                AgentLineAttempt(
                    call_sid=call_sid[:64],
                    caller_masked=mask(caller)[:32],
                    agent=check.agent.name if check.agent else None,
                    stir_verstat=verstat[:40],
                    outcome=outcome,
                )
            )

    await run_db(ctx.engine, add)


@dataclass(frozen=True)
class NextCall:
    """Where an agent waits next: the queue, its next caller (None: nobody there yet), and the call-back being placed
    for this agent (held for them), if that is what they wait for."""

    queue: str
    caller: str | None
    callback_id: int | None = None


async def next_queue(
    ctx: AppContext, agent: Agent, *, call_sid: str, owed: list[tuple[float, int]] = ()
) -> NextCall:
    """The queue to take a call from and its next caller: whoever joined the line first, live or call-back.

    A call-back waits in the call-back queue ranked by the time its resident first joined the line (or the time they
    chose), so one order by join time serves both and the call-back queue wins a tie. `owed` lists the call-backs not
    in that queue yet (being dialled, or due) as (place in line, id), first first: when one comes before every caller
    waiting and no other agent waits for it, this agent waits on the call-back queue for it (caller None); with nobody
    at all, on their first language's queue.
    """
    live = LiveQueues(ctx.redis, ctx.settings)
    now = ctx.now()
    await live.agent_seen(agent.phone, now)
    queues = [ctx.settings.queue.callback_queue, *(ctx.settings.queue.names[lang] for lang in agent.languages)]
    best: tuple[float, str, str] | None = None
    for queue in queues:
        head = await live.oldest(queue, now)
        if head and (best is None or head[1] < best[0]):
            best = (head[1], queue, head[0])
    holds = CallbackHolds(ctx.redis)
    for place, callback_id in owed:
        if best is not None and place >= best[0]:
            break
        if await holds.take(callback_id, call_sid):
            return NextCall(ctx.settings.queue.callback_queue, None, callback_id)
    if best is None:
        return NextCall(ctx.settings.queue.names[agent.languages[0]], None)
    return NextCall(best[1], best[2])


async def caller_meta(ctx: AppContext, queue: str, call_sid: str) -> dict[str, str]:
    """What we know of a waiting caller: language and topic."""
    return await LiveQueues(ctx.redis, ctx.settings).meta(queue, call_sid)


async def connected(ctx: AppContext, queue: str, call_sid: str, *, waited: float) -> dict[str, str]:
    """An agent is on with the caller: count them answered; returns what we know of them."""
    live = LiveQueues(ctx.redis, ctx.settings)
    meta = await live.meta(queue, call_sid)
    await live.answered(queue, call_sid, ctx.now(), waited=waited)
    return meta
