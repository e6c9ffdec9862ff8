"""Tickets: opening them (with duplicate detection), changing status with history, and looking them up."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from core import clock, test_traffic, text_rules
from core.calendar import BusinessCalendar
from crm_bridge import addresses, ticket_numbers
from crm_bridge.catalogue import Catalogue
from crm_bridge.models import (
    ACTIVE,
    CrmDelivery,
    Ticket,
    TicketCreate,
    TicketEvent,
    TicketPublic,
    TicketStatus,
)
from crm_bridge.sla import expected_at
from places.geo import metres


class IntakeError(ValueError):
    """A request that cannot be opened as given; `code` and the message say why (Open311-style)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Nearby:
    """How close, and how recent, an open request of the same type must be to be the same problem."""

    metres: float = 60.0
    days: int = 30


def validate(data: TicketCreate, catalogue: Catalogue) -> TicketCreate:
    """Check a request against its service type; return it cleaned, or raise IntakeError naming the problem."""
    service = catalogue.get(data.service_code)
    if service is None:
        raise IntakeError("service_code", f"unknown service_code {data.service_code!r}")
    # Open311 clients are machines: what they send is cleaned of what a call or text cannot carry, not refused.
    data = data.model_copy(
        update={"address": text_rules.clean(data.address), "description": text_rules.clean(data.description)}
    )
    address = addresses.clean(data.address)
    if len(data.address) > addresses.MAX_ADDRESS * 2:
        raise IntakeError("address_string", "address_string is too long")
    if service.location_required and not address and (data.lat is None or data.long is None):
        raise IntakeError("address_string", "a location is required: address_string or lat and long")
    description = " ".join(data.description.split())
    if len(description) > 4000:
        raise IntakeError("description", "description is longer than 4000 characters")
    if service.details_required and not description and not data.recording_url:
        raise IntakeError("description", "a description is required for this service")
    attributes = {}
    for attribute in service.attributes:
        value = (data.attributes or {}).get(attribute.code)
        if value in (None, ""):
            if attribute.required:
                raise IntakeError(f"attribute[{attribute.code}]", f"attribute {attribute.code} is required")
            continue
        if attribute.values and value not in {v.key for v in attribute.values}:
            raise IntakeError(f"attribute[{attribute.code}]", f"{value!r} is not a value of {attribute.code}")
        attributes[attribute.code] = str(value)[:200]
    return data.model_copy(update={"address": address, "description": description, "attributes": attributes})


def open_ticket(
    session: Session,
    *,
    data: TicketCreate,
    catalogue: Catalogue,
    calendar: BusinessCalendar,
    deliver: bool,
    now: dt.datetime | None = None,
    nearby: Nearby = Nearby(),
) -> Ticket:
    """Open a request, committed locally with its number at once; a duplicate links to the open original."""
    data = validate(data, catalogue)
    now = now or clock.now()
    address_key = addresses.key(data.address) if data.address else ""
    run = test_traffic.current_run()
    if data.lat is not None and data.long is not None:  # a point on the map: the same problem is one close by
        original = find_nearby(session, service_code=data.service_code, lat=data.lat, long=data.long, now=now,
                               nearby=nearby, test_run=run)
    else:
        original = find_duplicate(session, service_code=data.service_code, address_key=address_key, test_run=run)
    ticket = Ticket.model_validate(
        data,
        update={
            "number": _unused_number(session),
            "address_key": address_key,
            "expected_at": original.expected_at
            if original
            else expected_at(catalogue.get(data.service_code).sla, now, calendar),
            "status": TicketStatus.DUPLICATE if original else TicketStatus.OPEN,
            "duplicate_of": original.number if original else None,
            "created_at": now,
            "updated_at": now,
            "test_run": run,
        },
    )
    session.add(ticket)
    session.flush()
    note = f"duplicate of {original.number}" if original else "opened"
    session.add(TicketEvent(ticket_id=ticket.id, status=ticket.status, note=note, actor=data.channel, created_at=now))
    if original is None and deliver and run is None:  # a test run's ticket never reaches the city's CRM
        session.add(CrmDelivery(ticket_id=ticket.id, idempotency_key=f"onecall-{ticket.number}"))
    return ticket


def find_duplicate(
    session: Session, *, service_code: str, address_key: str, test_run: str | None = None
) -> Ticket | None:
    """An open request of the same type at the same place, if there is one: a resident's among residents' requests,
    a test run's among its own (a test never makes a resident's report a duplicate, nor the other way round)."""
    if not address_key:
        return None
    same_traffic = Ticket.test_run.is_(None) if test_run is None else Ticket.test_run == test_run
    statement = (
        select(Ticket)
        .where(Ticket.service_code == service_code, Ticket.address_key == address_key, same_traffic)
        .where(Ticket.status.in_(ACTIVE))
        .order_by(Ticket.created_at)
    )
    return session.exec(statement).first()


def find_nearby(session: Session, *, service_code: str, lat: float, long: float, now: dt.datetime,
                nearby: Nearby, test_run: str | None = None) -> Ticket | None:
    """The nearest open request of the same type within nearby.metres, reported within nearby.days (a test run's
    among its own, as find_duplicate)."""
    if nearby.metres <= 0:
        return None
    same_traffic = Ticket.test_run.is_(None) if test_run is None else Ticket.test_run == test_run
    # A box around the point narrows the rows in the database; the exact distance is measured here.
    dlat = nearby.metres / 111_000
    dlong = dlat / max(0.01, math.cos(math.radians(lat)))
    statement = (
        select(Ticket)
        .where(Ticket.service_code == service_code, Ticket.status.in_(ACTIVE), same_traffic)
        .where(Ticket.created_at >= now - dt.timedelta(days=nearby.days))
        .where(Ticket.lat.between(lat - dlat, lat + dlat), Ticket.long.between(long - dlong, long + dlong))
    )
    close = [(metres(lat, long, t.lat, t.long), t.created_at, t) for t in session.exec(statement).all()]
    close = [c for c in close if c[0] <= nearby.metres]
    return min(close, key=lambda c: (c[0], c[1]))[2] if close else None


def _unused_number(session: Session) -> str:
    for _ in range(20):
        number = ticket_numbers.new_number()
        if session.exec(select(Ticket.id).where(Ticket.number == number)).first() is None:
            return number
    raise IntegrityError("could not find an unused ticket number", None, None)


def get_ticket(session: Session, *, number: str) -> Ticket | None:
    """The ticket with this number, if the number is well-formed and exists."""
    if not ticket_numbers.is_valid(number):
        return None
    return session.exec(select(Ticket).where(Ticket.number == number)).first()


def public(ticket: Ticket) -> TicketPublic:
    """The ticket as its holder may see it."""
    return TicketPublic.model_validate(ticket)


def history(session: Session, *, ticket: Ticket) -> list[TicketEvent]:
    """Every status change of the ticket, oldest first."""
    statement = select(TicketEvent).where(TicketEvent.ticket_id == ticket.id).order_by(TicketEvent.id)
    return list(session.exec(statement).all())


def record_event(session: Session, *, ticket: Ticket, note: str, actor: str, now: dt.datetime) -> None:
    """A line in the ticket's history at its present status (what happened, who did it); the status is unchanged."""
    session.add(
        TicketEvent(ticket_id=ticket.id, status=ticket.status, note=note[:1000], actor=actor[:100], created_at=now)
    )


def change_status(
    session: Session,
    *,
    ticket: Ticket,
    status: TicketStatus,
    note: str = "",
    actor: str = "system",
    now: dt.datetime | None = None,
) -> bool:
    """Move a ticket to a new status, appending to its history; False when it was already there."""
    if ticket.status == status:
        return False
    now = now or clock.now()
    ticket.status = status
    ticket.updated_at = now
    if status is TicketStatus.CLOSED:
        ticket.closing_note = note[:1000] or ticket.closing_note
    session.add(ticket)
    record_event(session, ticket=ticket, note=note, actor=actor, now=now)
    if status is TicketStatus.CLOSED:
        _close_duplicates(session, ticket=ticket, note=note, actor=actor, now=now)
    return True


def _close_duplicates(session: Session, *, ticket: Ticket, note: str, actor: str, now: dt.datetime) -> None:
    # Everyone who reported the same problem hears it is fixed when the original closes.
    for dup in session.exec(select(Ticket).where(Ticket.duplicate_of == ticket.number)).all():
        if dup.status == TicketStatus.CLOSED:
            continue
        dup.status = TicketStatus.CLOSED
        dup.closing_note = note[:1000]
        dup.updated_at = now
        session.add(dup)
        record_event(session, ticket=dup, note=f"closed with {ticket.number}: {note}", actor=actor, now=now)


def list_tickets(
    session: Session,
    *,
    numbers_: list[str] | None = None,
    service_codes: list[str] | None = None,
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
    statuses: list[str] | None = None,
    limit: int = 1000,
    offset: int = 0,
) -> list[Ticket]:
    """Residents' tickets matching the filters, newest first (Open311's GET requests); `offset` skips earlier pages."""
    statement = select(Ticket).where(Ticket.test_run.is_(None))
    if numbers_:
        statement = statement.where(Ticket.number.in_(numbers_))
    if service_codes:
        statement = statement.where(Ticket.service_code.in_(service_codes))
    if start:
        statement = statement.where(Ticket.created_at >= start)
    if end:
        statement = statement.where(Ticket.created_at <= end)
    if statuses:
        statement = statement.where(Ticket.status.in_(statuses))
    # The id breaks ties between tickets opened in the same instant, so pages neither repeat nor skip one.
    statement = statement.order_by(Ticket.created_at.desc(), Ticket.id.desc()).offset(offset).limit(limit)
    return list(session.exec(statement).all())


def remove_test_run(session: Session, *, run: str) -> int:
    """Remove a finished test run's tickets, their history and outbox rows; how many tickets went."""
    ids = list(session.exec(select(Ticket.id).where(Ticket.test_run == run)).all())
    if not ids:
        return 0
    for model in (CrmDelivery, TicketEvent):
        for row in session.exec(select(model).where(model.ticket_id.in_(ids))).all():
            session.delete(row)
    session.flush()
    for ticket in session.exec(select(Ticket).where(Ticket.id.in_(ids))).all():
        session.delete(ticket)
    return len(ids)
