"""Webhook deliveries already acted on, kept in the database: a signed re-send after the replay window changes nothing.

Redis answers a retry of the same delivery for an hour (core.replay); this table outlives that window and a Redis
restart. A delivery is looked up before its effects run and recorded only once they ran, so a process killed half-way
leaves no row and Twilio's retry is acted on (twins in flight are kept apart by the Redis claim in core.replay). Rows
older than PROCESSED_DELIVERY_KEEP_DAYS (core.defaults says why that is enough) are pruned by `prune_job`.
"""

from __future__ import annotations

import datetime as dt
import hashlib

from sqlalchemy import Connection, bindparam
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Field, Session, SQLModel, delete, select

from core import event_loop_reads
from core.db import in_session
from core.defaults import PROCESSED_DELIVERY_KEEP_DAYS
from core.timestamps import stamped
from core.worker import periodic_run

KEY_LENGTH = 80
PRUNE_LOCK_SECONDS = 300


class ProcessedDelivery(SQLModel, table=True):
    """One webhook delivery whose effects ran: an SMS by MessageSid, a voice step by CallSid and step."""

    __tablename__ = "processed_delivery"
    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=KEY_LENGTH, unique=True)
    created_at: dt.datetime = stamped(index=True)


_SEEN = (
    select(ProcessedDelivery.__table__.c.id)
    .where(ProcessedDelivery.__table__.c.key == bindparam("key"))
    .limit(1)
)


def sms_key(message_sid: str) -> str:
    """The key of one inbound text: Twilio gives every message its own MessageSid."""
    return f"sms:{message_sid}"[:KEY_LENGTH]


def voice_key(call_sid: str, path_and_query: str, params: dict[str, str]) -> str:
    """The key of one voice step: the call, and a digest of the signed URL (its step number) and every field."""
    digest = hashlib.sha256(path_and_query.encode())
    for name in sorted(params):
        digest.update(b"\0" + name.encode() + b"=" + params[name].encode())
    return f"voice:{call_sid[:34]}:{digest.hexdigest()[:32]}"


def seen(connection: Connection, *, key: str) -> bool:
    """Whether this delivery's effects already ran (here or in another process): asked on every webhook, so on a bare
    connection (core.db.read_db) with a statement compiled once."""
    return connection.execute(_SEEN, {"key": key[:KEY_LENGTH]}).first() is not None


async def seen_now(engine: Engine, *, key: str) -> bool:
    """seen() for a webhook: asked from the event loop (core.event_loop_reads), with no worker thread on PostgreSQL."""
    return await event_loop_reads.first_row(engine, _SEEN, key=key[:KEY_LENGTH]) is not None


def seen_among(session: Session, *, keys: list[str]) -> set[str]:
    """Which of these deliveries' effects already ran."""
    if not keys:
        return set()
    return set(session.exec(select(ProcessedDelivery.key).where(ProcessedDelivery.key.in_(keys))).all())


def record(session: Session, *, key: str) -> None:
    """Record the delivery as processed, once its effects ran; a row already there records the same fact."""
    session.add(ProcessedDelivery(key=key[:KEY_LENGTH]))
    try:
        session.flush()
    except IntegrityError:
        session.rollback()


def prune(session: Session, *, before: dt.datetime) -> int:
    """Forget the deliveries recorded before `before`; how many rows went."""
    return session.exec(delete(ProcessedDelivery).where(ProcessedDelivery.created_at < before)).rowcount


def prune_job() -> int:
    """Job (hourly): forget the deliveries recorded more than PROCESSED_DELIVERY_KEEP_DAYS ago; how many rows went."""
    with periodic_run("deliveries:cron:prune", PRUNE_LOCK_SECONDS) as run:
        if run is None:
            return 0
        before = run.ctx.now() - dt.timedelta(days=PROCESSED_DELIVERY_KEEP_DAYS)
        return in_session(run.ctx.engine, prune, before=before)
