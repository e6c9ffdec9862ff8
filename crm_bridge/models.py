"""Tickets: one city-wide number per request, a status history that is never overwritten, and the CRM outbox."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from sqlalchemy import JSON, Column, Text
from sqlmodel import Field, SQLModel

from core.choices import choice
from core.test_traffic import test_run_column
from core.timestamps import moment, stamped


class TicketStatus(StrEnum):
    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    IN_PROGRESS = "in_progress"
    CLOSED = "closed"
    DUPLICATE = "duplicate"


ACTIVE = (TicketStatus.OPEN, TicketStatus.ACKNOWLEDGED, TicketStatus.IN_PROGRESS)


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"  # gave up after every retry; an operator must look


class TicketBase(SQLModel):
    service_code: str = Field(max_length=80, index=True)
    address: str = Field(default="", max_length=300)
    description: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    lat: float | None = None
    long: float | None = None
    attributes: dict[str, str] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    language: str = Field(default="en-US", max_length=16)
    channel: str = Field(default="voice", max_length=10)
    # The point on the city's map the address was matched to (places/): its address as the map writes it and the
    # attributes of the areas it lies in ("trash.day"); empty when none was matched.
    matched_address: str = Field(default="", max_length=300)
    areas: dict[str, str] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    address_flagged: bool = False  # no point matched: the resident's words are kept for an agent to place


class TicketCreate(TicketBase):
    """What intake collects (phone, text or Open311) to open a request; lengths are checked by intake itself."""

    address: str = ""

    phone: str | None = Field(default=None, max_length=20)
    notify_on_close: bool = False
    recording_url: str | None = Field(default=None, max_length=500)


class Ticket(TicketBase, table=True):
    __tablename__ = "crm_ticket"
    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(max_length=12, unique=True, index=True)
    status: TicketStatus = choice(TicketStatus, default=TicketStatus.OPEN, index=True)
    address_key: str = Field(default="", max_length=300, index=True)
    phone: str | None = Field(default=None, max_length=20)  # never shown in lookups
    notify_on_close: bool = False
    notified_at: dt.datetime | None = moment()
    recording_url: str | None = Field(default=None, max_length=500)
    duplicate_of: str | None = Field(default=None, max_length=12)
    expected_at: dt.datetime
    closing_note: str | None = Field(default=None, max_length=1000)
    external_id: str | None = Field(default=None, max_length=100)
    test_run: str | None = test_run_column()  # a scenario run or the browser phone: never sent to the CRM
    created_at: dt.datetime = stamped(index=True)
    updated_at: dt.datetime = stamped()


class TicketPublic(TicketBase):
    """A ticket as anyone holding its number may see it: no phone number, no other tickets."""

    number: str
    status: str
    expected_at: dt.datetime
    closing_note: str | None
    duplicate_of: str | None
    created_at: dt.datetime
    updated_at: dt.datetime


class TicketEvent(SQLModel, table=True):
    """One status change, kept forever: the history is appended to, never rewritten."""

    __tablename__ = "crm_ticket_event"
    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="crm_ticket.id", index=True)
    status: TicketStatus = choice(TicketStatus)
    note: str = Field(default="", max_length=1000)
    actor: str = Field(default="system", max_length=100)
    created_at: dt.datetime = stamped()


class CrmDelivery(SQLModel, table=True):
    """The outbox: a ticket still to be delivered to the external CRM, with its idempotency key."""

    __tablename__ = "crm_delivery"
    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="crm_ticket.id", unique=True)
    idempotency_key: str = Field(max_length=64, unique=True)
    status: DeliveryStatus = choice(DeliveryStatus, default=DeliveryStatus.PENDING, index=True)
    attempts: int = 0
    # An attempt may have reached the CRM without our hearing the answer: look the request up before sending it again.
    in_doubt: bool = False
    last_error: str | None = Field(default=None, max_length=1000)
    external_id: str | None = Field(default=None, max_length=100)
    token: str | None = Field(default=None, max_length=100)
    updated_at: dt.datetime = stamped()
