"""Tickets as supervisors work them in the console: a filtered, paged list, one ticket with its history, a status
change with a note, and marking one a duplicate of another. Each change and its audit entry land in one transaction.

Closing goes through crm_bridge.service.change_status (which closes the ticket's duplicates too), marking a duplicate
through crm_bridge.duplicates (its rules and links); the residents who asked to be told are texted by
outreach.on_ticket_closed, queued here right after the close as the JSON API does.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import func
from sqlmodel import Session, select

from core import audit, text_rules
from core.db import run_db
from core.worker import enqueue
from crm_bridge import catalogue, duplicates, service
from crm_bridge.duplicates import DuplicateRefused
from crm_bridge.models import ACTIVE, Ticket, TicketEvent, TicketStatus
from flows.context import FlowContext
from outreach import on_ticket_closed

PAGE_SIZE = 50
MAX_PAGE = 100_000  # keeps the database's OFFSET bounded whatever the address bar says
MAX_NOTE = 1000  # what the ticket's history keeps of a note
MAX_ADDRESS_FILTER = 200
# What the status form may set: "duplicate" is set by marking a duplicate, which names the original.
SETTABLE = (TicketStatus.OPEN, TicketStatus.ACKNOWLEDGED, TicketStatus.IN_PROGRESS, TicketStatus.CLOSED)
STATUS_LABELS = {
    TicketStatus.OPEN: "open",
    TicketStatus.ACKNOWLEDGED: "acknowledged",
    TicketStatus.IN_PROGRESS: "in progress",
    TicketStatus.CLOSED: "closed",
    TicketStatus.DUPLICATE: "duplicate",
}


class TicketChangeError(ValueError):
    """A change the console refuses; `field` names the form field the reason belongs beside."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class TicketFilter:
    """What the list is narrowed to; every value already checked (the page turns the typed form into this)."""

    service_code: str = ""
    status: str = ""
    created_from: dt.datetime | None = None  # inclusive
    created_before: dt.datetime | None = None  # exclusive: the day after the last day asked for
    address: str = ""
    overdue: bool = False


@dataclass
class TicketPage:
    rows: list[Ticket]
    total: int  # matching the filter
    overdue: int  # of those, active and past their due time
    by_status: dict[str, int] = field(default_factory=dict)


def _like(text: str) -> str:
    # The address filter is a plain "contains": % and _ typed by a supervisor are letters, not wildcards.
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _where(statement, wanted: TicketFilter, now: dt.datetime):
    statement = statement.where(Ticket.test_run.is_(None))  # residents' requests only: never a test run's
    if wanted.service_code:
        statement = statement.where(Ticket.service_code == wanted.service_code)
    if wanted.status:
        statement = statement.where(Ticket.status == wanted.status)
    if wanted.created_from:
        statement = statement.where(Ticket.created_at >= wanted.created_from)
    if wanted.created_before:
        statement = statement.where(Ticket.created_at < wanted.created_before)
    if wanted.address:
        statement = statement.where(func.lower(Ticket.address).like(_like(wanted.address), escape="\\"))
    if wanted.overdue:
        statement = statement.where(Ticket.status.in_(ACTIVE), Ticket.expected_at < now)
    return statement


def listing(session: Session, *, wanted: TicketFilter, now: dt.datetime, number: int, size: int) -> TicketPage:
    """One page of the tickets matching the filter, newest first, with how many match (in all, overdue, per status)."""
    counted = _where(select(Ticket.status, func.count()).select_from(Ticket), wanted, now).group_by(Ticket.status)
    by_status = {status: count for status, count in session.exec(counted).all()}
    late = _where(select(func.count()).select_from(Ticket), wanted, now)
    late = late.where(Ticket.status.in_(ACTIVE), Ticket.expected_at < now)
    rows = session.exec(
        _where(select(Ticket), wanted, now)
        .order_by(Ticket.created_at.desc(), Ticket.id.desc())
        .offset((number - 1) * size)
        .limit(size)
    ).all()
    return TicketPage(list(rows), sum(by_status.values()), session.exec(late).one(), by_status)


def is_overdue(ticket: Ticket, now: dt.datetime) -> bool:
    """Still being worked on and past the time the city committed to (its SLA)."""
    return ticket.status in ACTIVE and ticket.expected_at < now


@dataclass
class TicketDetail:
    ticket: Ticket
    events: list[TicketEvent]
    duplicates: list[Ticket]


def detail(session: Session, *, number: str) -> TicketDetail | None:
    """The ticket, its whole history (oldest first) and the tickets marked as its duplicates."""
    ticket = service.get_ticket(session, number=number)
    if ticket is None:
        return None
    return TicketDetail(ticket, service.history(session, ticket=ticket), duplicates.of(session, ticket=ticket))


def _audited(ticket: Ticket) -> dict:
    # The trail keeps what changed, never the resident's number.
    return {"status": ticket.status, "duplicate_of": ticket.duplicate_of, "closing_note": ticket.closing_note}


def audit_ticket(
    session: Session, *, ticket: Ticket, action: str, actor: str, before: dict | None, after: dict
) -> None:
    """The audit entry of a change a supervisor made to a ticket (its history line is crm_bridge's)."""
    audit.record(session, actor=actor, action=action, subject=f"ticket:{ticket.number}", before=before, after=after)


def _found(session: Session, number: str) -> Ticket:
    ticket = service.get_ticket(session, number=number)
    if ticket is None:
        raise LookupError(number)
    return ticket


def _checked_note(note: str, *, field: str) -> None:
    if len(note) > MAX_NOTE:
        raise TicketChangeError(field, f"the note is {len(note)} characters; at most {MAX_NOTE}")
    if problem := text_rules.refusal(note):
        raise TicketChangeError(field, f"the note {problem}")


def change_status(
    session: Session, *, number: str, status: str, note: str, actor: str, now: dt.datetime
) -> tuple[Ticket, bool]:
    """Move a ticket on with a note (closing needs one: the resident reads it); returns it and whether it closed."""
    ticket = _found(session, number)
    try:
        wanted = TicketStatus(status)
    except ValueError:
        wanted = None
    if wanted not in SETTABLE:
        raise TicketChangeError("status", "choose the new status")
    if wanted == ticket.status:
        raise TicketChangeError("status", f"the ticket is already {STATUS_LABELS[ticket.status]}")
    _checked_note(note, field="note")
    if wanted is TicketStatus.CLOSED and not note:
        raise TicketChangeError("note", "say what was done: residents who asked to be told are texted this note")
    before = _audited(ticket)
    service.change_status(session, ticket=ticket, status=wanted, note=note, actor=actor, now=now)
    audit_ticket(session, ticket=ticket, action="ticket.status", actor=actor, before=before, after=_audited(ticket))
    return ticket, wanted is TicketStatus.CLOSED


def mark_duplicate(session: Session, *, number: str, original: str, note: str, actor: str, now: dt.datetime) -> Ticket:
    """Link a ticket to the original report of the same problem (its reporters then hear when that one closes);
    crm_bridge.duplicates holds the rules, refusals are shown beside the original's field."""
    ticket = _found(session, number)
    try:
        typed = duplicates.typed_number(ticket=ticket, typed=original)
        _checked_note(note, field="duplicate_note")
        target = duplicates.original_for(session, ticket=ticket, number=typed)
    except DuplicateRefused as exc:
        raise TicketChangeError("original", str(exc)) from None
    before = _audited(ticket)
    duplicates.link(session, ticket=ticket, original=target, note=note, actor=actor, now=now)
    audit_ticket(session, ticket=ticket, action="ticket.duplicate", actor=actor, before=before, after=_audited(ticket))
    return ticket


async def set_status(ctx: FlowContext, *, number: str, status: str, note: str, actor: str) -> Ticket:
    """Change the status (audited); a close queues the closing texts through outreach.on_ticket_closed."""
    ticket, closed = await run_db(
        ctx.engine, change_status, number=number, status=status, note=note, actor=actor, now=ctx.now()
    )
    if closed:
        await enqueue(ctx.sync_redis, on_ticket_closed.sweep)
    return ticket


async def set_duplicate(ctx: FlowContext, *, number: str, original: str, note: str, actor: str) -> Ticket:
    """Mark a ticket as a duplicate of another (audited, in its history)."""
    return await run_db(
        ctx.engine, mark_duplicate, number=number, original=original, note=note, actor=actor, now=ctx.now()
    )


async def find(ctx: FlowContext, *, wanted: TicketFilter, now: dt.datetime, number: int) -> TicketPage:
    """One page of the list (listing), PAGE_SIZE tickets."""
    return await run_db(ctx.engine, listing, wanted=wanted, now=now, number=number, size=PAGE_SIZE)


async def one(ctx: FlowContext, *, number: str) -> TicketDetail | None:
    """One ticket with its history and duplicates (detail)."""
    return await run_db(ctx.engine, detail, number=number)


def type_names(ctx: FlowContext) -> dict[str, str]:
    """Each service type's English name by its code, in the catalogue's order."""
    return {s.code: s.label("en-US") for s in catalogue.of(ctx).services}
