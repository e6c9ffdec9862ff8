"""Inbound text records in the database."""

from __future__ import annotations

import datetime as dt
import hashlib

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, delete, select

from core import test_traffic
from sms.models import SmsInbound, SmsOpenReport


def record_inbound(
    session: Session, *, message_sid: str, from_masked: str, language: str, kind: str, article_id: str | None = None,
    confidence: float | None = None, at: dt.datetime | None = None,
) -> None:
    """Store one inbound text (`at`: when it came). Written by the drain, which writes each delivery once (it skips
    one whose key is in processed_delivery), so nothing is looked up or flushed here: the batch goes in together."""
    row = SmsInbound(message_sid=message_sid, from_masked=from_masked, language=language, kind=kind,
                     article_id=article_id, confidence=confidence)
    if at is not None:
        row.created_at = at
    session.add(row)


def phone_key(phone: str) -> str:
    """What a report in progress is filed under: a SHA-256 of the number, never the number itself (a test run's
    apart, so a number a scenario reuses is never told of a report an earlier run left)."""
    return hashlib.sha256(test_traffic.scoped(phone).encode()).hexdigest()


def _open_report(session: Session, phone: str) -> SmsOpenReport | None:
    return session.exec(select(SmsOpenReport).where(SmsOpenReport.phone_hash == phone_key(phone))).first()


def note_report(
    session: Session, *, phone: str, language: str, in_progress: bool, now: dt.datetime, keep_seconds: int
) -> None:
    """Remember that this number has a text report in progress, or forget it once it ended; reports left quiet
    longer than keep_seconds (their conversations expired) are forgotten too, so the table holds only live ones."""
    row = _open_report(session, phone)
    if not in_progress:
        if row is not None:
            session.delete(row)
        return
    if row is not None:
        row.language, row.updated_at = language, now
        return
    # A report begins: the quiet ones are forgotten now, not on every text.
    session.exec(delete(SmsOpenReport).where(SmsOpenReport.updated_at < now - dt.timedelta(seconds=keep_seconds)))
    row = SmsOpenReport(phone_hash=phone_key(phone), language=language, updated_at=now)
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:  # filed a moment ago by a second text from the same number: that one stands
        pass


def lost_report(session: Session, *, phone: str, now: dt.datetime, within_seconds: int) -> str | None:
    """The language of a text report this number had in progress, when its conversation was lost (not merely
    forgotten after its quiet time); the record is dropped either way."""
    row = _open_report(session, phone)
    if row is None:
        return None
    session.delete(row)
    return row.language if (now - row.updated_at).total_seconds() <= within_seconds else None
