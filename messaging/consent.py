"""Consent to texts: STOP and START per number, checked before every outbound text."""

from __future__ import annotations

from sqlalchemy import Connection, bindparam
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from core import clock, event_loop_reads
from messaging.models import SmsOptOut


def set_opt_out(session: Session, *, phone: str, opted_out: bool, source: str) -> None:
    """Record STOP (opted_out) or START for a number."""
    row = session.exec(select(SmsOptOut).where(SmsOptOut.phone == phone)).first() or SmsOptOut(phone=phone)
    row.opted_out = opted_out
    row.source = source[:40]
    row.updated_at = clock.now()
    session.add(row)


_OPTED_OUT = select(SmsOptOut.opted_out).where(SmsOptOut.phone == bindparam("phone"))


def is_opted_out(session: Session | Connection, *, phone: str) -> bool:
    """Whether the number has said STOP and not START since (in a session, or on a bare connection: core.db.read_db)."""
    row = session.execute(_OPTED_OUT, {"phone": phone}).first()
    return bool(row and row[0])


async def opted_out_now(engine: Engine, *, phone: str) -> bool:
    """is_opted_out() for a text being answered: asked from the event loop (core.event_loop_reads)."""
    row = await event_loop_reads.first_row(engine, _OPTED_OUT, phone=phone)
    return bool(row and row[0])
