"""The screen pop's raw material: when a caller is put through, what the agent line knows of them goes on the
agent's desk (queueing.agent_desk), for the console's agent page to show at once."""

from __future__ import annotations

from callbacks import service as callbacks
from core.db import run_db
from flows.context import FlowContext
from ivr import calls
from queueing import agents
from queueing.agent_desk import AgentDesks, CallerOnDesk, city_day


async def signed_in(ctx: FlowContext, *, agent: str, line_sid: str) -> None:
    """The agent keyed their PIN on this call."""
    await AgentDesks(ctx.redis).signed_in(agent, line_sid, ctx.now())


async def waiting(ctx: FlowContext, *, agent: str, queue: str, caller: str | None) -> None:
    """The agent line hands the agent a queue to wait on (a call-back being dialled for them: ringing)."""
    ringing = caller is None and queue == ctx.settings.queue.callback_queue
    await AgentDesks(ctx.redis).waiting(agent, ctx.now(), _day(ctx), ringing=ringing)


async def connected(ctx: FlowContext, *, line_sid: str, call_sid: str, queue: str, meta: dict[str, str],
                    waited: float) -> None:
    """A caller is put through to the agent on this agent-line call: put them on the agent's desk."""
    name = await agents.SignedIn(ctx.redis).agent(line_sid) if line_sid else None
    if not name:
        return
    session = await calls.store(ctx).load(call_sid)
    callback_id = int(meta["callback"]) if meta.get("callback", "").isdigit() else None
    phone = session.phone if session else None
    if callback_id is not None:
        row = await run_db(ctx.engine, callbacks.get, callback_id=callback_id)
        phone = row.phone if row else phone
    ticket = meta.get("ticket") or (session.ticket.number if session and session.ticket else None)
    caller = CallerOnDesk(
        call_sid=call_sid,
        queue=queue,
        language=meta.get("language") or (session.lang if session else ""),
        waited=round(waited),
        connected_at=ctx.now().timestamp(),
        phone=phone,
        topic=meta.get("topic") or (session.article if session else None) or "",
        callback_id=callback_id,
        ticket=ticket or (session.checked if session else None),
    )
    await AgentDesks(ctx.redis).connected(name, caller, ctx.now())


def _day(ctx: FlowContext):
    return city_day(ctx.now(), ctx.settings.timezone)
