"""rq jobs of the CRM bridge: deliver the outbox, re-queue what was lost, read status changes back.

Nothing is lost in an outage: a ticket is committed with its CrmDelivery row (the outbox) before any job runs, a
delivery stays PENDING until the CRM has it, and `reconcile_outbox` re-queues every PENDING one (at start-up and
every minute), so an outage of hours, a killed worker or an emptied Redis only delays delivery.

Exactly once: a Redis lock per ticket keeps two workers from sending it at the same moment, and a delivered ticket
is skipped. The lock lasts just longer than one request to the CRM and is renewed before each, so a killed worker's
lock is gone before the first retry; a job that finds the lock held fails and is retried on the schedule, and
reconcile re-queues a started job whose lock is gone (its worker died). Before talking to the CRM an attempt marks
the delivery `in_doubt`; it stays so when the answer is lost (a timeout after sending, a killed worker), and the next
attempt then looks the request up at the CRM before it sends it again, so a CRM that ignores device_id (our
idempotency key) still gets one request.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable

from redis.exceptions import LockError
from rq.job import Job, JobStatus
from sqlmodel import Session, select

from core import clock
from core.db import in_session
from core.defaults import CRM_TICKET_LOCK_SECONDS
from core.worker import JobContext, context, enqueue_once, job_connection, periodic_run
from crm_bridge import service
from crm_bridge.adapters import Adapter, CrmRejected, CrmUnavailable, Delivered, make_adapter
from crm_bridge.models import ACTIVE, CrmDelivery, DeliveryStatus, Ticket, TicketPublic, TicketStatus

log = logging.getLogger("onecall.crm")

RECONCILE_LOCK_SECONDS = 55
POLL_LOCK_SECONDS = 110
RECONCILE_BATCH = 10_000


class TicketBusy(Exception):
    """Another worker holds the ticket's delivery lock (or held it when it was killed): rq retries on its schedule."""


def deliver_job_id(ticket_id: int) -> str:
    """The id reconcile_outbox gives a ticket's delivery job, so it never queues a second live one."""
    return f"crm-deliver-{ticket_id}"


def ticket_lock(ticket_id: int) -> str:
    """The Redis key a delivery of this ticket holds while it talks to the CRM."""
    return f"crm:deliver:{ticket_id}"


def deliver_ticket(*, ticket_id: int) -> str:
    """Send one ticket to the CRM once; CrmUnavailable and TicketBusy are re-raised so rq retries with back-off."""
    ctx = context()
    with job_connection(ctx.settings) as connection:
        lock = connection.lock(ticket_lock(ticket_id), timeout=CRM_TICKET_LOCK_SECONDS, blocking=False)
        if not lock.acquire(blocking=False):
            # Not "done": if its holder was killed, nothing else would try again before the next reconcile.
            raise TicketBusy(f"ticket {ticket_id}: another delivery holds its lock; retrying")
        try:
            return _deliver(ctx, ticket_id, renew_lock=lock.reacquire)
        finally:
            with contextlib.suppress(LockError):
                lock.release()


def _deliver(ctx: JobContext, ticket_id: int, renew_lock: Callable[[], object]) -> str:
    work = in_session(ctx.engine, _start_attempt, ticket_id=ticket_id)
    if work is None:
        return "skipped"
    ticket, key, phone, in_doubt = work
    try:
        # The lock is renewed before each request, and a request ends before the lock would: a live delivery
        # always holds it. Losing it (LockError) stops the delivery before it sends anything more.
        with make_adapter(ctx.settings, before_request=renew_lock) as adapter:
            found = _look_up(adapter, ticket, key) if in_doubt else None
            if found is not None:
                in_session(ctx.engine, _finish, ticket_id=ticket_id, delivered=found, status=DeliveryStatus.DELIVERED)
                log.info("ticket %s: an earlier attempt had reached the CRM (%s)", ticket.number, found.external_id)
                return "found"
            delivered = adapter.deliver(ticket, idempotency_key=key, phone=phone)
    except CrmRejected as exc:
        in_session(ctx.engine, _finish, ticket_id=ticket_id, error=str(exc), status=DeliveryStatus.FAILED)
        log.error("ticket %s: the CRM refused it, not retrying: %s", ticket.number, exc)
        return "failed"
    except Exception as exc:
        # CrmUnavailable, a lost lock, or anything unexpected: count it and stay PENDING; rq retries, then reconcile.
        doubt = in_doubt or _may_have_reached(exc)
        in_session(ctx.engine, _finish, ticket_id=ticket_id, error=f"{type(exc).__name__}: {exc}", in_doubt=doubt)
        log.warning("ticket %s: delivery failed, will retry: %s", ticket.number, exc)
        raise
    in_session(ctx.engine, _finish, ticket_id=ticket_id, delivered=delivered, status=DeliveryStatus.DELIVERED)
    return "delivered"


def _look_up(adapter: Adapter, ticket: TicketPublic, key: str) -> Delivered | None:
    try:
        return adapter.find(ticket, idempotency_key=key)
    except CrmRejected as exc:
        # The CRM cannot be searched this way; sending again is all that is left, with device_id as the safeguard.
        log.warning("ticket %s: cannot look it up at the CRM, sending it again: %s", ticket.number, exc)
        return None


def _may_have_reached(exc: Exception) -> bool:
    if isinstance(exc, CrmUnavailable):
        return exc.maybe_reached
    return not isinstance(exc, LockError)  # a lost lock stops a request before it is sent


def _start_attempt(session: Session, *, ticket_id: int) -> tuple[TicketPublic, str, str | None, bool] | None:
    """Count the attempt and mark the delivery in doubt until its outcome is known; None when there is nothing to do.

    Returns the ticket, its idempotency key, its phone number, and whether an earlier attempt may have reached the CRM.
    """
    delivery = session.exec(select(CrmDelivery).where(CrmDelivery.ticket_id == ticket_id)).first()
    if delivery is None or delivery.status != DeliveryStatus.PENDING:
        return None
    in_doubt = delivery.in_doubt
    delivery.attempts += 1
    delivery.in_doubt = True  # a worker killed from here on leaves this behind, and the next attempt looks first
    delivery.updated_at = clock.now()
    session.add(delivery)
    ticket = session.get(Ticket, ticket_id)
    return service.public(ticket), delivery.idempotency_key, ticket.phone, in_doubt


def _finish(
    session: Session,
    *,
    ticket_id: int,
    error: str | None = None,
    delivered: Delivered | None = None,
    status: DeliveryStatus = DeliveryStatus.PENDING,
    in_doubt: bool = False,
) -> None:
    delivery = session.exec(select(CrmDelivery).where(CrmDelivery.ticket_id == ticket_id)).one()
    if delivery.status != DeliveryStatus.PENDING:
        return  # finished meanwhile by a delivery that took over after this one lost its lock
    delivery.status = status
    delivery.in_doubt = in_doubt
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
    with periodic_run("crm:cron:reconcile_outbox", RECONCILE_LOCK_SECONDS) as run:
        if run is None:
            return 0
        ticket_ids = in_session(run.ctx.engine, _pending_ticket_ids)
        return sum(_queue_delivery(run.connection, ticket_id) for ticket_id in ticket_ids)


def _pending_ticket_ids(session: Session) -> list[int]:
    statement = (
        select(CrmDelivery.ticket_id)
        .where(CrmDelivery.status == DeliveryStatus.PENDING)
        .order_by(CrmDelivery.id)
        .limit(RECONCILE_BATCH)
    )
    return list(session.exec(statement).all())


def _queue_delivery(connection, ticket_id: int) -> bool:
    # A running delivery holds the ticket's lock, which outlasts any request, so a started job without it has nobody
    # running it (its worker died): rq would notice only minutes later; make room for a fresh job now.
    def still_live(job: Job) -> bool:
        return job.get_status(refresh=False) != JobStatus.STARTED or bool(connection.exists(ticket_lock(ticket_id)))

    return enqueue_once(connection, deliver_ticket, job_id=deliver_job_id(ticket_id), still_live=still_live,
                        ticket_id=ticket_id)


def poll_updates() -> int:
    """Resolve tokens and read the CRM's statuses; close tickets it closed; returns how many closed."""
    ctx = context()
    if ctx.settings.crm_adapter == "builtin":
        return 0  # the database is the CRM: statuses change here already
    closed: list[int] = []
    with periodic_run("crm:cron:poll_updates", POLL_LOCK_SECONDS) as run:
        if run is None:
            return 0
        try:
            with make_adapter(ctx.settings) as adapter:
                _resolve_tokens(ctx, adapter)
                _apply_statuses(ctx, adapter, closed)
        except CrmUnavailable as exc:
            log.warning("CRM status poll stopped early, next run tries again: %s", exc)
    return len(closed)  # outreach.on_ticket_closed tells the residents who asked (it reads the closed tickets)


def _resolve_tokens(ctx: JobContext, adapter: Adapter) -> None:
    tokens = in_session(ctx.engine, _unresolved_tokens)
    for ticket_id, token in tokens:
        external_id = adapter.resolve_token(token)
        if external_id:
            in_session(ctx.engine, _set_external_id, ticket_id=ticket_id, external_id=external_id)


def _unresolved_tokens(session: Session) -> list[tuple[int, str]]:
    statement = select(CrmDelivery.ticket_id, CrmDelivery.token).where(
        CrmDelivery.status == DeliveryStatus.DELIVERED,
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
            CrmDelivery.status == DeliveryStatus.DELIVERED,
            Ticket.external_id.is_not(None),
            Ticket.status.in_(ACTIVE),
        )
    )
    return [(ticket_id, external_id) for ticket_id, external_id in session.exec(statement).all()]


def _close(session: Session, *, ticket_id: int, note: str) -> list[int]:
    ticket = session.get(Ticket, ticket_id)
    # change_status closes the linked duplicates too; their holders must hear about it as well.
    duplicates = session.exec(
        select(Ticket.id).where(Ticket.duplicate_of == ticket.number, Ticket.status != TicketStatus.CLOSED)
    ).all()
    if not service.change_status(session, ticket=ticket, status=TicketStatus.CLOSED, note=note, actor="crm"):
        return []
    return [ticket.id, *duplicates]
