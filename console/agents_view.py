"""The supervisors' agents view: every agent of [[agents]], signed in to the agent line or not, their state and for
how long, calls handled today and average handle time; and signing one out (audited)."""

from __future__ import annotations

from dataclasses import dataclass

from core import audit
from core.db import run_db
from flows.context import FlowContext
from queueing import agents
from queueing.agent_desk import AgentDesks, DeskState, city_day
from queueing.agent_presence import AgentPresence


@dataclass(frozen=True)
class AgentRow:
    """One agent as the view lists them."""

    name: str
    languages: tuple[str, ...]
    signed_in: bool
    state: DeskState
    for_seconds: float | None  # how long in this state (None: not signed in)
    handled_today: int
    average_handle_seconds: float | None


async def rows(ctx: FlowContext) -> list[AgentRow]:
    """Every configured agent, those signed in first."""
    desks = AgentDesks(ctx.redis)
    now = ctx.now()
    on_line = await desks.on_line()
    handled = await desks.handled(city_day(now, ctx.settings.timezone))
    found = []
    for agent in ctx.settings.agents:
        desk = await desks.read(agent.name)
        signed_in = agent.name in on_line
        calls, seconds = handled.get(agent.name, (0, 0))
        state = desk.state if signed_in or desk.state is DeskState.WRAP_UP else DeskState.SIGNED_OUT
        found.append(AgentRow(
            name=agent.name,
            languages=tuple(ctx.settings.language(code).name for code in agent.languages),
            signed_in=signed_in,
            state=state,
            for_seconds=now.timestamp() - desk.since if desk.since and state is not DeskState.SIGNED_OUT else None,
            handled_today=calls,
            average_handle_seconds=seconds / calls if calls else None,
        ))
    return sorted(found, key=lambda row: (not row.signed_in, row.name.casefold()))


async def sign_out(ctx: FlowContext, *, name: str, actor: str) -> bool:
    """Sign the agent out of the agent line (audited): after the caller they are with, if any, the line asks for
    their PIN again. False when they were not signed in."""
    agent = agents.agent_named(ctx.settings, name)
    if agent is None:
        raise LookupError(name)
    now = ctx.now()
    line_sid = await AgentDesks(ctx.redis).sign_out(agent.name, now, city_day(now, ctx.settings.timezone))
    if line_sid is None:
        return False
    await agents.SignedIn(ctx.redis).forget(line_sid)
    await AgentPresence(ctx.redis).gone(line_sid)

    def record(session) -> None:
        audit.record(session, actor=actor, action="agent.sign-out", subject=f"agent:{agent.name}",
                     before={"signed_in": True}, after={"signed_in": False})

    await run_db(ctx.engine, record)
    return True
