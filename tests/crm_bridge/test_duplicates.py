"""Marking a ticket a duplicate (crm_bridge.duplicates): cycles and closed tickets refused, chains followed to the
first report, the ticket's own duplicates moved along, every history told. The console's page shows these refusals
beside its field (tests/console/test_tickets_page.py)."""

from __future__ import annotations

import pytest
from sqlmodel import select

from crm_bridge import duplicates, service
from crm_bridge.duplicates import DuplicateRefused
from crm_bridge.models import TicketEvent, TicketStatus
from crm_bridge.ticket_numbers import printed
from tests.crm_bridge.builders import TUESDAY_MORNING, make_ticket


def _linked(session, ticket, original_number: str, note: str = "") -> None:
    original = duplicates.original_for(session, ticket=ticket, number=original_number)
    duplicates.link(session, ticket=ticket, original=original, note=note, actor="ana", now=TUESDAY_MORNING)
    session.commit()


def _notes(session, ticket) -> list[str]:
    statement = select(TicketEvent).where(TicketEvent.ticket_id == ticket.id).order_by(TicketEvent.id)
    return [event.note for event in session.exec(statement).all()]


def test_duplicate_rules_refuse_bad_numbers_cycles_and_closed_tickets(session, settings):
    first = make_ticket(session, settings, address="1 Ash Street")
    second = make_ticket(session, settings, address="2 Ash Street")
    with pytest.raises(DuplicateRefused, match="nine-digit ticket number"):
        duplicates.typed_number(ticket=second, typed="12345")
    with pytest.raises(DuplicateRefused, match="cannot be a duplicate of itself"):
        duplicates.typed_number(ticket=second, typed=printed(second.number))
    assert duplicates.typed_number(ticket=second, typed=printed(first.number)) == first.number
    with pytest.raises(DuplicateRefused, match="there is no ticket 123-456-782"):
        duplicates.original_for(session, ticket=second, number="123456782")
    _linked(session, second, first.number)
    with pytest.raises(DuplicateRefused, match="already a duplicate of this ticket"):
        duplicates.original_for(session, ticket=first, number=second.number)  # a cycle
    with pytest.raises(DuplicateRefused, match="already a duplicate of"):
        duplicates.original_for(session, ticket=second, number=first.number)
    third = make_ticket(session, settings, address="3 Ash Street")
    service.change_status(session, ticket=first, status=TicketStatus.CLOSED, note="Patched.", now=TUESDAY_MORNING)
    with pytest.raises(DuplicateRefused, match="is closed; close this one instead"):
        duplicates.original_for(session, ticket=third, number=second.number)  # its chain ends at a closed ticket
    with pytest.raises(DuplicateRefused, match="this ticket is closed; reopen it first"):
        duplicates.original_for(session, ticket=first, number=third.number)


def test_duplicate_chains_end_at_the_first_report_and_every_history_says_so(session, settings):
    first = make_ticket(session, settings, address="1 Ash Street")
    second = make_ticket(session, settings, address="2 Ash Street")
    third = make_ticket(session, settings, address="3 Ash Street")
    _linked(session, third, second.number, note="same hole")
    _linked(session, second, first.number)  # third moves along with second
    assert [t.number for t in duplicates.of(session, ticket=first)] == [second.number, third.number]
    assert second.status == third.status == TicketStatus.DUPLICATE.value
    assert f"duplicate of {printed(second.number)}: same hole" in _notes(session, third)
    assert f"duplicate of {printed(first.number)} (with {printed(second.number)})" in _notes(session, third)
    fourth = make_ticket(session, settings, address="4 Ash Street")
    _linked(session, third, fourth.number)  # already a duplicate: a line in its history, the status unchanged
    assert third.duplicate_of == fourth.number and third.status == TicketStatus.DUPLICATE.value
    assert _notes(session, third)[-1] == f"duplicate of {printed(fourth.number)}"
