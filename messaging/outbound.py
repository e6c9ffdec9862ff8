"""Outbound text messages, sent from rq jobs through the Twilio client, never from a web request."""

from __future__ import annotations

import logging

from rq import get_current_job
from sqlmodel import Session
from twilio.base.exceptions import TwilioRestException

from core import metrics, text_rules
from core.phones import mask, outbound_refusal
from core.worker import context
from messaging import caps, consent, segments
from messaging.models import SmsOutbound

log = logging.getLogger("onecall.sms")


def send_text(
    *, to: str, body: str, kind: str = "answer", ticket_number: str | None = None, counted: bool = False
) -> str:
    """Job: send one SMS unless the number is refused, opted out or capped; return what became of it.

    `counted`: the web request already counted it against the caps (so it could tell the caller the truth).
    """
    ctx = context()
    with Session(ctx.engine) as session:
        status = deliver(ctx, session, to=to, body=body, kind=kind, ticket_number=ticket_number, counted=counted)
        session.commit()
    return status


def deliver(
    ctx, session: Session, *, to: str, body: str, kind: str, ticket_number: str | None = None, counted: bool = False
) -> str:
    """Send unless refused; record the outcome ("sent", "opted_out", "not_allowed", "number_limit"...)."""
    body = text_rules.clean(body)  # the render edge for texts: nothing a phone cannot show leaves
    status = _refusal(ctx, session, to, counted)
    message = None
    if status is None:
        message, status = _send(ctx, session, to, body)
    else:
        log.info("not texting %s: %s", mask(to), status)
    session.add(SmsOutbound(to_masked=mask(to), kind=kind, status=status, segments=segments.segment_count(body),
                            twilio_sid=message.sid if message else None, ticket_number=ticket_number))
    return status


def refusal(session: Session, settings, to: str) -> str | None:
    """Why this number must not get a text now (not an allowed line, or it said STOP), before any cap is counted."""
    if outbound_refusal(to, settings.outbound.countries) is not None:
        return "not_allowed"
    if consent.is_opted_out(session, phone=to):
        return "opted_out"
    return None


def _refusal(ctx, session: Session, to: str, counted: bool) -> str | None:
    reason = refusal(session, ctx.settings, to)
    if reason is None and not counted:
        hit = caps.TextCounters(get_current_job().connection, ctx.settings.outbound).reserve(to, ctx.now())
        reason = hit.value if hit else None
    return reason


def _send(ctx, session: Session, to: str, body: str):
    try:
        sent = ctx.twilio.messages.create(to=to, from_=ctx.settings.numbers[0], body=body)
    except TwilioRestException as exc:
        metrics.ERRORS.labels(metrics.ErrorKind.TEXT).inc()
        if exc.code == 21610:  # Twilio says the number replied STOP: remember it and do not retry
            consent.set_opt_out(session, phone=to, opted_out=True, source="twilio 21610")
            return None, "opted_out"
        # rq retries with back-off and logs the error: Twilio's message names the number, so it is left out.
        raise TwilioSendError(f"Twilio refused a text to {mask(to)}: HTTP {exc.status}, code {exc.code}") from None
    metrics.TEXTS_SENT.inc()
    return sent, "sent"


class TwilioSendError(RuntimeError):
    """A text Twilio did not accept (retried by rq); its message masks the number."""
