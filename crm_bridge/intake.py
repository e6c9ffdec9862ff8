"""Where every channel opens and updates tickets: the database write, then the side effects (CRM delivery jobs)."""

from __future__ import annotations

from core.context import AppContext
from core.db import run_db
from core.worker import enqueue
from crm_bridge import service
from crm_bridge.models import TicketCreate, TicketPublic, TicketStatus


async def submit(ctx: AppContext, data: TicketCreate) -> TicketPublic:
    """Open a ticket (committed with its number at once) and queue its delivery to the external CRM."""
    deliver = ctx.settings.crm_adapter != "builtin"
    ticket = await run_db(
        ctx.engine,
        service.open_ticket,
        data=data,
        catalogue=ctx.catalogue,
        calendar=ctx.calendar,
        deliver=deliver,
        now=ctx.now(),
    )
    if deliver and ticket.duplicate_of is None:
        from crm_bridge.jobs import deliver_ticket

        await enqueue(ctx.sync_redis, deliver_ticket, ticket_id=ticket.id)
    return service.public(ticket)


async def lookup(ctx: AppContext, number: str) -> TicketPublic | None:
    """The ticket with this number, as its holder may see it."""

    def find(session, *, number: str):
        ticket = service.get_ticket(session, number=number)
        return service.public(ticket) if ticket else None

    return await run_db(ctx.engine, find, number=number)


async def update_status(
    ctx: AppContext, *, number: str, status: TicketStatus, note: str = "", actor: str
) -> TicketPublic:
    """Change a ticket's status (history kept); when it closes, queue the texts its reporters asked for."""

    def change(session, *, number: str):
        ticket = service.get_ticket(session, number=number)
        if ticket is None:
            raise LookupError(number)
        changed = service.change_status(session, ticket=ticket, status=status, note=note, actor=actor, now=ctx.now())
        closed = (
            [ticket.id, *service.duplicate_ids(session, ticket=ticket)]
            if changed and status is TicketStatus.CLOSED
            else []
        )
        return service.public(ticket), closed

    ticket, closed = await run_db(ctx.engine, change, number=number)
    for ticket_id in closed:
        from sms.outbound import notify_closed

        await enqueue(ctx.sync_redis, notify_closed, ticket_id=ticket_id)
    return ticket
