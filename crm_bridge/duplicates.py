"""Marking a ticket a duplicate of another: the rules (no cycles, chains followed to the first report, closed tickets
refused) and the links and history lines it writes, so every reporter hears when the original closes."""

from __future__ import annotations

import datetime as dt

from sqlmodel import Session, select

from crm_bridge import service, ticket_numbers
from crm_bridge.models import Ticket, TicketStatus
from crm_bridge.ticket_numbers import printed


class DuplicateRefused(ValueError):
    """Why this ticket cannot be marked a duplicate of that one, in words for the supervisor."""


def of(session: Session, *, ticket: Ticket) -> list[Ticket]:
    """The tickets marked as duplicates of this one, oldest first."""
    return list(session.exec(select(Ticket).where(Ticket.duplicate_of == ticket.number).order_by(Ticket.id)).all())


def _root(session: Session, ticket: Ticket) -> Ticket:
    # Follow a chain of duplicates to its original, so a close reaches everyone (closing closes direct duplicates).
    seen = {ticket.number}
    while ticket.duplicate_of and ticket.duplicate_of not in seen:
        original = service.get_ticket(session, number=ticket.duplicate_of)
        if original is None:
            break
        seen.add(original.number)
        ticket = original
    return ticket


def typed_number(*, ticket: Ticket, typed: str) -> str:
    """The original's number as typed (digits only), refused when it is not a ticket number or is this ticket's."""
    number = "".join(c for c in typed if "0" <= c <= "9")
    if not ticket_numbers.is_valid(number):
        raise DuplicateRefused("type the original's nine-digit ticket number, like 123-456-789")
    if number == ticket.number:
        raise DuplicateRefused("a ticket cannot be a duplicate of itself")
    return number


def original_for(session: Session, *, ticket: Ticket, number: str) -> Ticket:
    """The first report this ticket would be a duplicate of (the end of number's chain); refused for a closed ticket,
    a closed original, one already linked, or a link that would make a cycle."""
    target = service.get_ticket(session, number=number)
    if target is None:
        raise DuplicateRefused(f"there is no ticket {printed(number)}")
    if ticket.status == TicketStatus.CLOSED:
        raise DuplicateRefused("this ticket is closed; reopen it first")
    target = _root(session, target)
    if target.number == ticket.number:
        raise DuplicateRefused(f"{printed(number)} is already a duplicate of this ticket")
    if target.status == TicketStatus.CLOSED:
        raise DuplicateRefused(f"{printed(target.number)} is closed; close this one instead")
    if ticket.duplicate_of == target.number:
        raise DuplicateRefused(f"this ticket is already a duplicate of {printed(target.number)}")
    return target


def link(session: Session, *, ticket: Ticket, original: Ticket, note: str, actor: str, now: dt.datetime) -> None:
    """Make ticket a duplicate of original (from original_for), and its own duplicates too; each history says so."""
    said = f"duplicate of {printed(original.number)}" + (f": {note}" if note else "")
    ticket.duplicate_of = original.number
    status = TicketStatus.DUPLICATE
    if not service.change_status(session, ticket=ticket, status=status, note=said, actor=actor, now=now):
        ticket.updated_at = now  # was a duplicate of another: the history says what it is a duplicate of now
        service.record_event(session, ticket=ticket, note=said, actor=actor, now=now)
    session.add(ticket)
    for child in of(session, ticket=ticket):
        child.duplicate_of = original.number  # its reporters too hear when the original closes
        child.updated_at = now
        session.add(child)
        said = f"duplicate of {printed(original.number)} (with {printed(ticket.number)})"
        service.record_event(session, ticket=child, note=said, actor=actor, now=now)
