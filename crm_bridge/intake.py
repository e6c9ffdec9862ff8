"""Where every channel opens and updates tickets: the database write, then the side effects (CRM delivery jobs).

A ticket closing is recorded here (its status, its history, and `notified_at` still empty); telling the residents
who asked is done from above, by outreach.on_ticket_closed, which reads that record.
"""

from __future__ import annotations

from core.context import AppContext
from core.db import run_db
from core.worker import enqueue
from crm_bridge import catalogue, service
from crm_bridge.jobs import deliver_ticket
from crm_bridge.models import TicketCreate, TicketPublic


async def submit(ctx: AppContext, data: TicketCreate) -> TicketPublic:
    """Open a ticket (committed with its number at once) and queue its delivery to the external CRM."""
    deliver = ctx.settings.crm_adapter != "builtin"
    ticket = await run_db(
        ctx.engine,
        service.open_ticket,
        data=data,
        catalogue=catalogue.of(ctx),
        calendar=ctx.calendar,
        deliver=deliver,
        now=ctx.now(),
        nearby=service.Nearby(ctx.settings.places.duplicate_metres, ctx.settings.places.duplicate_days),
    )
    if deliver and ticket.duplicate_of is None:
        await enqueue(ctx.sync_redis, deliver_ticket, ticket_id=ticket.id)
    return service.public(ticket)


async def lookup(ctx: AppContext, number: str) -> TicketPublic | None:
    """The ticket with this number, as its holder may see it."""

    def find(session, *, number: str):
        ticket = service.get_ticket(session, number=number)
        return service.public(ticket) if ticket else None

    return await run_db(ctx.engine, find, number=number)
