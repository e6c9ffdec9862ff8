"""When a ticket closes, text the residents who asked to be told, once, with the closing note.

crm_bridge records the close (status, history, `notified_at` still empty), whether a supervisor closed it or the
city's CRM did (read back by crm_bridge.jobs.poll_updates). This module acts on that record from above: `sweep`
runs on the cron schedule and right after a supervisor's close, and queues one `notify_closed` job per ticket.
"""

from __future__ import annotations

from rq import get_current_job
from sqlmodel import Session, select

from core import clock
from core.worker import JobContext, context, enqueue_once, job_connection
from crm_bridge import catalogue
from crm_bridge.models import Ticket, TicketStatus
from crm_bridge.ticket_numbers import printed
from flows.wording import Wording
from messaging import segments
from messaging.outbound import deliver

BATCH = 1000


def notice_job_id(ticket_id: int) -> str:
    """The id of a ticket's notice job, so a sweep never queues a second live one."""
    return f"closed-notice-{ticket_id}"


def sweep() -> int:
    """Job: queue a notice for every closed ticket whose reporter asked to be told and was not yet; how many."""
    ctx = context()
    with Session(ctx.engine) as session:
        ticket_ids = session.exec(
            select(Ticket.id)
            .where(
                Ticket.status == TicketStatus.CLOSED,
                Ticket.notify_on_close.is_(True),
                Ticket.phone.is_not(None),
                Ticket.notified_at.is_(None),
            )
            .order_by(Ticket.id)
            .limit(BATCH)
        ).all()
    with job_connection(ctx.settings) as connection:
        return sum(_queue_notice(connection, ticket_id) for ticket_id in ticket_ids)


def _queue_notice(connection, ticket_id: int) -> bool:
    return enqueue_once(connection, notify_closed, job_id=notice_job_id(ticket_id), ticket_id=ticket_id)


def notify_closed(*, ticket_id: int) -> str:
    """Job: tell the resident their request is closed, once, with the closing note, if they asked to be told."""
    ctx = context()
    lock = get_current_job().connection.lock(f"lock:notify:{ticket_id}", timeout=120, blocking_timeout=30)
    with lock, Session(ctx.engine) as session:
        ticket = session.exec(select(Ticket).where(Ticket.id == ticket_id)).first()
        if ticket is None or ticket.status != "closed" or not ticket.notify_on_close or not ticket.phone:
            return "not_requested"
        if ticket.notified_at is not None:
            return "already_notified"
        status = deliver(
            ctx, session, to=ticket.phone, body=closed_text(ctx, ticket), kind="closed", ticket_number=ticket.number
        )
        ticket.notified_at = clock.now()  # once, whether sent or refused (opted out): never a second try later
        session.add(ticket)
        session.commit()
    return status


def closed_text(ctx: JobContext, ticket: Ticket) -> str:
    """The closing notice in the resident's language."""
    wording = Wording.of(ctx)
    service_type = catalogue.of(ctx).get(ticket.service_code)
    name = service_type.label(ticket.language) if service_type else ticket.service_code
    text = wording(ticket.language, "sms_ticket_closed", city=ctx.settings.city_name,
                   number=printed(ticket.number), service=name, note=ticket.closing_note or "")
    return segments.fit(" ".join(text.split()), 4)
