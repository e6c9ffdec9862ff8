"""Inbound text records in the database."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from core.phones import mask
from sms.models import SmsInbound


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
