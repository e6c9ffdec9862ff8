"""rq jobs of the CRM bridge: deliver the outbox, re-queue what was lost, read status changes back.

Nothing is lost in an outage: a ticket is committed with its CrmDelivery row (the outbox) before any job runs, a
delivery stays PENDING until the CRM has it, and `reconcile_outbox` re-queues every PENDING one (at start-up and
every minute), so an outage of hours, a killed worker or an emptied Redis only delays delivery. Exactly once: a
Redis lock per ticket keeps two workers from sending it at the same moment, a delivered ticket is skipped, and the
idempotency key goes out as device_id so a retried POST whose answer was lost does not create a second request.
"""

from __future__ import annotations

import contextlib
import logging

from redis.exceptions import LockError
from rq import get_current_job
from rq.exceptions import DuplicateJobError, NoSuchJobError
from rq.job import Job, JobStatus
from sqlmodel import Session, select

from core import clock
from core.db import in_session
from core.defaults import CRM_TICKET_LOCK_SECONDS
from core.redis import sync_client
from core.worker import JobContext, context, queue, retry
from crm_bridge import service
from crm_bridge.adapters import Adapter, CrmRejected, CrmUnavailable, Delivered, make_adapter
from crm_bridge.models import ACTIVE, CrmDelivery, DeliveryStatus, Ticket, TicketPublic, TicketStatus

log = logging.getLogger("onecall.crm")

RECONCILE_LOCK_SECONDS = 55
POLL_LOCK_SECONDS = 110
RECONCILE_BATCH = 10_000
LIVE_JOB = (JobStatus.QUEUED, JobStatus.STARTED, JobStatus.SCHEDULED, JobStatus.DEFERRED)


def deliver_job_id(ticket_id: int) -> str:
    """The id reconcile_outbox gives a ticket's delivery job, so it never queues a second live one."""
    return f"crm-deliver-{ticket_id}"


def deliver_ticket(*, ticket_id: int) -> str:
    """Send one ticket to the CRM once; CrmUnavailable is re-raised so rq retries it with back-off."""
    ctx = context()
    with _connection(ctx) as connection:
        lock = connection.lock(f"crm:deliver:{ticket_id}", timeout=CRM_TICKET_LOCK_SECONDS, blocking=False)
        if not lock.acquire(blocking=False):
            return "busy"  # another worker is sending it right now; it retries or leaves it PENDING
        try:
            return _deliver(ctx, ticket_id)
        finally:
            with contextlib.suppress(LockError):
                lock.release()


def _deliver(ctx: JobContext, ticket_id: int) -> str:
    work = in_session(ctx.engine, _pending, ticket_id=ticket_id)
    if work is None:
        return "skipped"
    ticket, key, phone = work
    try:
        with make_adapter(ctx.settings) as adapter:
            delivered = adapter.deliver(ticket, idempotency_key=key, phone=phone)
    except CrmRejected as exc:
        in_session(ctx.engine, _record, ticket_id=ticket_id, error=str(exc), status=DeliveryStatus.FAILED)
        log.error("ticket %s: the CRM refused it, not retrying: %s", ticket.number, exc)
        return "failed"
    except Exception as exc:
        # CrmUnavailable, or anything unexpected: count it and stay PENDING; rq retries, then reconcile does.
        in_session(ctx.engine, _record, ticket_id=ticket_id, error=f"{type(exc).__name__}: {exc}")
        log.warning("ticket %s: delivery failed, will retry: %s", ticket.number, exc)
        raise
    in_session(ctx.engine, _record, ticket_id=ticket_id, delivered=delivered, status=DeliveryStatus.DELIVERED)
    return "delivered"


def _pending(session: Session, *, ticket_id: int) -> tuple[TicketPublic, str, str | None] | None:
    delivery = session.exec(select(CrmDelivery).where(CrmDelivery.ticket_id == ticket_id)).first()
    if delivery is None or delivery.status != DeliveryStatus.PENDING.value:
        return None
    ticket = session.get(Ticket, ticket_id)
    return service.public(ticket), delivery.idempotency_key, ticket.phone


def _record(
    session: Session,
    *,
    ticket_id: int,
    error: str | None = None,
    delivered: Delivered | None = None,
    status: DeliveryStatus = DeliveryStatus.PENDING,
) -> None:
    delivery = session.exec(select(CrmDelivery).where(CrmDelivery.ticket_id == ticket_id)).one()
    delivery.attempts += 1
    delivery.status = status.value
    delivery.last_error = error[:1000] if error else None
    delivery.updated_at = clock.now()
    if delivered is not None:
        delivery.external_id, delivery.token = delivered.external_id, delivered.token
        if delivered.external_id:
            ticket = session.get(Ticket, ticket_id)
            ticket.external_id = delivered.external_id
            session.add(ticket)
    session.add(delivery)


def reconcile_outbox() -> int:
    """Queue a delivery job for every PENDING delivery that has no live one; returns how many were queued."""
    ctx = context()
    with _connection(ctx) as connection, _exclusive(connection, "reconcile_outbox", RECONCILE_LOCK_SECONDS) as mine:
        if not mine:
            return 0
        ticket_ids = in_session(ctx.engine, _pending_ticket_ids)
        return sum(_queue_delivery(connection, ticket_id) for ticket_id in ticket_ids)


def _pending_ticket_ids(session: Session) -> list[int]:
    statement = (
        select(CrmDelivery.ticket_id)
        .where(CrmDelivery.status == DeliveryStatus.PENDING.value)
        .order_by(CrmDelivery.id)
        .limit(RECONCILE_BATCH)
    )
    return list(session.exec(statement).all())


def _queue_delivery(connection, ticket_id: int) -> bool:
    job_id = deliver_job_id(ticket_id)
    with contextlib.suppress(NoSuchJobError):
        job = Job.fetch(job_id, connection=connection)
        if job.get_status(refresh=False) in LIVE_JOB:
            return False  # queued, running or waiting for its retry back-off
        job.delete()  # finished, failed after its last retry, or stopped: make room for a fresh one
    try:
        queue(connection).enqueue_call(
            deliver_ticket,
            kwargs={"ticket_id": ticket_id},
            job_id=job_id,
            retry=retry(),
            unique=True,  # atomic: two reconcilers at once still queue one job
        )
    except DuplicateJobError:
        return False
    return True


def poll_updates() -> int:
    """Resolve tokens and read the CRM's statuses; close tickets it closed; returns how many closed."""
    ctx = context()
    if ctx.settings.crm_adapter == "builtin":
        return 0  # the database is the CRM: statuses change here already
    closed: list[int] = []
    with _connection(ctx) as connection, _exclusive(connection, "poll_updates", POLL_LOCK_SECONDS) as mine:
        if not mine:
            return 0
        try:
            with make_adapter(ctx.settings) as adapter:
                _resolve_tokens(ctx, adapter)
                _apply_statuses(ctx, adapter, closed)
        except CrmUnavailable as exc:
            log.warning("CRM status poll stopped early, next run tries again: %s", exc)
    return len(closed)  # flows.on_ticket_closed tells the residents who asked (it reads the closed tickets)


def _resolve_tokens(ctx: JobContext, adapter: Adapter) -> None:
    tokens = in_session(ctx.engine, _unresolved_tokens)
    for ticket_id, token in tokens:
        external_id = adapter.resolve_token(token)
        if external_id:
            in_session(ctx.engine, _set_external_id, ticket_id=ticket_id, external_id=external_id)


def _unresolved_tokens(session: Session) -> list[tuple[int, str]]:
    statement = select(CrmDelivery.ticket_id, CrmDelivery.token).where(
        CrmDelivery.status == DeliveryStatus.DELIVERED.value,
        CrmDelivery.external_id.is_(None),
        CrmDelivery.token.is_not(None),
    )
    return [(ticket_id, token) for ticket_id, token in session.exec(statement).all()]


def _set_external_id(session: Session, *, ticket_id: int, external_id: str) -> None:
    delivery = session.exec(select(CrmDelivery).where(CrmDelivery.ticket_id == ticket_id)).one()
    ticket = session.get(Ticket, ticket_id)
    delivery.external_id = ticket.external_id = external_id[:100]
    delivery.updated_at = clock.now()
    session.add(delivery)
    session.add(ticket)


def _apply_statuses(ctx: JobContext, adapter: Adapter, closed: list[int]) -> None:
    watched = in_session(ctx.engine, _watched)
    by_external = {external_id: ticket_id for ticket_id, external_id in watched}
    for status in adapter.fetch_status(list(by_external)):
        if status.status == "closed" and status.external_id in by_external:
            note = status.note or "Closed in the city's CRM."
            closed.extend(in_session(ctx.engine, _close, ticket_id=by_external[status.external_id], note=note))


def _watched(session: Session) -> list[tuple[int, str]]:
    statement = (
        select(Ticket.id, Ticket.external_id)
        .join(CrmDelivery, CrmDelivery.ticket_id == Ticket.id)
        .where(
            CrmDelivery.status == DeliveryStatus.DELIVERED.value,
            Ticket.external_id.is_not(None),
            Ticket.status.in_([s.value for s in ACTIVE]),
        )
    )
    return [(ticket_id, external_id) for ticket_id, external_id in session.exec(statement).all()]


def _close(session: Session, *, ticket_id: int, note: str) -> list[int]:
    ticket = session.get(Ticket, ticket_id)
    # change_status closes the linked duplicates too; their holders must hear about it as well.
    duplicates = session.exec(
        select(Ticket.id).where(Ticket.duplicate_of == ticket.number, Ticket.status != TicketStatus.CLOSED.value)
    ).all()
    if not service.change_status(session, ticket=ticket, status=TicketStatus.CLOSED, note=note, actor="crm"):
        return []
    return [ticket.id, *duplicates]


@contextlib.contextmanager
def _connection(ctx: JobContext):
    """The running job's Redis connection, or a short-lived one when called outside a worker."""
    job = get_current_job()
    if job is not None:
        yield job.connection
        return
    connection = sync_client(ctx.settings.redis_url)
    try:
        yield connection
    finally:
        connection.close()


@contextlib.contextmanager
def _exclusive(connection, name: str, seconds: int):
    """A run lock (SET NX EX, released by its owner), so periodic jobs from several schedulers never overlap."""
    lock = connection.lock(f"crm:cron:{name}", timeout=seconds, blocking=False)
    mine = lock.acquire(blocking=False)
    try:
        yield mine
    finally:
        if mine:
            with contextlib.suppress(LockError):
                lock.release()
