"""Text-message records and consent, in the database."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from core.phones import mask
from flows.models import utcnow
from sms.models import SmsInbound, SmsOptOut, SmsOutbound


def set_opt_out(session: Session, *, phone: str, opted_out: bool, source: str) -> None:
    """Record STOP (opted_out) or START for a number."""
    row = session.exec(select(SmsOptOut).where(SmsOptOut.phone == phone)).first() or SmsOptOut(phone=phone)
    row.opted_out = opted_out
    row.source = source[:40]
    row.updated_at = utcnow()
    session.add(row)


def is_opted_out(session: Session, *, phone: str) -> bool:
    """Whether the number has said STOP and not START since."""
    row = session.exec(select(SmsOptOut).where(SmsOptOut.phone == phone)).first()
    return bool(row and row.opted_out)


def record_inbound(
    session: Session, *, message_sid: str, phone: str, language: str, kind: str, article_id: str | None = None,
    confidence: float | None = None,
) -> bool:
    """Store one inbound text; False when this MessageSid was stored already (a duplicate delivery)."""
    if session.exec(select(SmsInbound.id).where(SmsInbound.message_sid == message_sid)).first() is not None:
        return False
    session.add(SmsInbound(message_sid=message_sid, from_masked=mask(phone), language=language, kind=kind,
                           article_id=article_id, confidence=confidence))
    try:
        session.flush()
    except IntegrityError:  # the same delivery stored by another process a moment ago
        session.rollback()
        return False
    return True


def record_outbound(
    session: Session, *, phone: str, kind: str, status: str, segments: int = 0, twilio_sid: str | None = None,
    ticket_number: str | None = None,
) -> None:
    """Store one outbound text and what became of it."""
    session.add(SmsOutbound(to_masked=mask(phone), kind=kind, status=status, segments=segments,
                            twilio_sid=twilio_sid, ticket_number=ticket_number))
