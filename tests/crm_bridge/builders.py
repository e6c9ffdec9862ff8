"""Plain builder functions for CRM tests."""

from __future__ import annotations

import datetime as dt

from core.calendar import BusinessCalendar
from crm_bridge.catalogue import load_catalogue
from crm_bridge.models import Ticket, TicketCreate
from crm_bridge.service import open_ticket

CATALOGUE = load_catalogue()
# Tuesday 17 November 2026, 10:00 in Chicago.
TUESDAY_MORNING = dt.datetime(2026, 11, 17, 16, 0, tzinfo=dt.UTC)


def make_ticket(session, settings, *, deliver: bool = False, now: dt.datetime = TUESDAY_MORNING, **overrides) -> Ticket:
    """Open a pothole ticket (or whatever the overrides say) through the real intake path."""
    fields = {
        "service_code": "pothole",
        "address": "123 Main Street",
        "description": "deep hole",
        "phone": "+13125550147",
        "channel": "voice",
        **overrides,
    }
    ticket = open_ticket(
        session,
        data=TicketCreate(**fields),
        catalogue=CATALOGUE,
        calendar=BusinessCalendar(settings),
        deliver=deliver,
        now=now,
    )
    session.commit()
    return ticket
