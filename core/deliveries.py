"""Webhook deliveries already acted on, kept in the database: a signed re-send after the replay window changes nothing.

Redis answers a retry of the same delivery for an hour (core.replay); this table outlives that window and a Redis
restart. One insert with a unique key claims a delivery before its effects run; a conflict means it was processed.
"""

from __future__ import annotations

import datetime as dt
import hashlib

from sqlalchemy.exc import IntegrityError
from sqlmodel import Field, Session, SQLModel, delete

from core.timestamps import stamped

KEY_LENGTH = 80


class ProcessedDelivery(SQLModel, table=True):
    """One webhook delivery whose effects ran (or are running): an SMS by MessageSid, a voice step by CallSid+step."""

    __tablename__ = "processed_delivery"
    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=KEY_LENGTH, unique=True)
    created_at: dt.datetime = stamped(index=True)


def sms_key(message_sid: str) -> str:
    """The key of one inbound text: Twilio gives every message its own MessageSid."""
    return f"sms:{message_sid}"[:KEY_LENGTH]


def voice_key(call_sid: str, path_and_query: str, params: dict[str, str]) -> str:
    """The key of one voice step: the call, and a digest of the signed URL (its step number) and every field."""
    digest = hashlib.sha256(path_and_query.encode())
    for name in sorted(params):
        digest.update(b"\0" + name.encode() + b"=" + params[name].encode())
    return f"voice:{call_sid[:34]}:{digest.hexdigest()[:32]}"


def claim(session: Session, *, key: str) -> bool:
    """Record the delivery as processed; False when it already was (here or by another process)."""
    session.add(ProcessedDelivery(key=key[:KEY_LENGTH]))
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        return False
    return True


def release(session: Session, *, key: str) -> None:
    """Forget a claim whose handling failed, so Twilio's retry is acted on."""
    session.exec(delete(ProcessedDelivery).where(ProcessedDelivery.key == key[:KEY_LENGTH]))
