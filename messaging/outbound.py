"""Outbound text messages, sent from rq jobs through the Twilio client, never from a web request."""

from __future__ import annotations

import logging

from rq import get_current_job
from sqlmodel import Session
from twilio.base.exceptions import TwilioRestException

from core.phones import mask
from core.worker import context
from messaging import caps, consent, segments
from messaging.models import SmsOutbound

log = logging.getLogger("onecall.sms")


def send_text(*, to: str, body: str, kind: str = "answer", ticket_number: str | None = None) -> str:
    """Job: send one SMS unless the number opted out or hit today's cap; return what became of it."""
    ctx = context()
    with Session(ctx.engine) as session:
        status = deliver(ctx, session, to=to, body=body, kind=kind, ticket_number=ticket_number)
        session.commit()
    return status


def deliver(ctx, session: Session, *, to: str, body: str, kind: str, ticket_number: str | None = None) -> str:
    """Send unless refused; record the outcome ("sent", "opted_out", "limited"); Twilio errors raise for a retry."""
    status = _refusal(ctx, session, to)
    message = None
    if status is None:
        message, status = _send(ctx, session, to, body)
    else:
        log.info("not texting %s: %s", mask(to), status)
    session.add(SmsOutbound(to_masked=mask(to), kind=kind, status=status, segments=segments.segment_count(body),
                            twilio_sid=message.sid if message else None, ticket_number=ticket_number))
    return status


def _refusal(ctx, session: Session, to: str) -> str | None:
    if consent.is_opted_out(session, phone=to):
        return "opted_out"
    if not caps.allow_outbound(get_current_job().connection, to, ctx.now()):
        return "limited"
    return None


def _send(ctx, session: Session, to: str, body: str):
    try:
        return ctx.twilio.messages.create(to=to, from_=ctx.settings.numbers[0], body=body), "sent"
    except TwilioRestException as exc:
        if exc.code == 21610:  # Twilio says the number replied STOP: remember it and do not retry
            consent.set_opt_out(session, phone=to, opted_out=True, source="twilio 21610")
            return None, "opted_out"
        raise  # rq retries with back-off
