"""Outbound text messages, sent from rq jobs through the Twilio client, never from a web request."""

from __future__ import annotations

import logging

from rq import get_current_job
from sqlmodel import Session, select
from twilio.base.exceptions import TwilioRestException

from core.phones import mask
from core.worker import context
from crm_bridge.models import Ticket
from crm_bridge.numbers import printed
from flows.models import utcnow
from sms import limits, segments, service

log = logging.getLogger("onecall.sms")


def send_text(*, to: str, body: str, kind: str = "answer", ticket_number: str | None = None) -> str:
    """Job: send one SMS unless the number opted out or hit today's cap; return what became of it."""
    ctx = context()
    with Session(ctx.engine) as session:
        status = deliver(ctx, session, to=to, body=body, kind=kind, ticket_number=ticket_number)
        session.commit()
    return status


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
        status = deliver(ctx, session, to=ticket.phone, body=closed_text(ctx, ticket), kind="closed",
                         ticket_number=ticket.number)
        ticket.notified_at = utcnow()  # once, whether sent or refused (opted out): never a second try later
        session.add(ticket)
        session.commit()
    return status


def closed_text(ctx, ticket: Ticket) -> str:
    """The closing notice in the resident's language."""
    service_type = ctx.catalogue.get(ticket.service_code)
    name = service_type.label(ticket.language) if service_type else ticket.service_code
    text = ctx.wording(ticket.language, "sms_ticket_closed", city=ctx.settings.city_name,
                       number=printed(ticket.number), service=name, note=ticket.closing_note or "")
    return segments.fit(" ".join(text.split()), 4)


def deliver(ctx, session: Session, *, to: str, body: str, kind: str, ticket_number: str | None = None) -> str:
    """Send unless refused; record the outcome ("sent", "opted_out", "limited"); Twilio errors raise for a retry."""
    status = _refusal(session, to)
    message = None
    if status is None:
        message, status = _send(ctx, session, to, body)
    else:
        log.info("not texting %s: %s", mask(to), status)
    service.record_outbound(session, phone=to, kind=kind, status=status, segments=segments.segment_count(body),
                            twilio_sid=message.sid if message else None, ticket_number=ticket_number)
    return status


def _refusal(session: Session, to: str) -> str | None:
    if service.is_opted_out(session, phone=to):
        return "opted_out"
    if not limits.allow_outbound(get_current_job().connection, to, utcnow()):
        return "limited"
    return None


def _send(ctx, session: Session, to: str, body: str):
    try:
        return ctx.twilio.messages.create(to=to, from_=ctx.settings.numbers[0], body=body), "sent"
    except TwilioRestException as exc:
        if exc.code == 21610:  # Twilio says the number replied STOP: remember it and do not retry
            service.set_opt_out(session, phone=to, opted_out=True, source="twilio 21610")
            return None, "opted_out"
        raise  # rq retries with back-off
