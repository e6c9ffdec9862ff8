"""Consent to texts: STOP and START per number, checked before every outbound text."""

from __future__ import annotations

from sqlalchemy import Connection
from sqlmodel import Session, select

from core import clock
from messaging.models import SmsOptOut


def set_opt_out(session: Session, *, phone: str, opted_out: bool, source: str) -> None:
    """Record STOP (opted_out) or START for a number."""
    row = session.exec(select(SmsOptOut).where(SmsOptOut.phone == phone)).first() or SmsOptOut(phone=phone)
    row.opted_out = opted_out
    row.source = source[:40]
    row.updated_at = clock.now()
    session.add(row)


def is_opted_out(session: Session | Connection, *, phone: str) -> bool:
    """Whether the number has said STOP and not START since (in a session, or on a bare connection: core.db.read_db)."""
    row = session.execute(select(SmsOptOut.opted_out).where(SmsOptOut.phone == phone)).first()
    return bool(row and row.opted_out)
