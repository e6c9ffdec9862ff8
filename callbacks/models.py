"""Call-backs and their attempts: the database is the truth for every call-back, whatever Redis or a worker knows."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from pydantic import BaseModel
from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from core.choices import choice
from core.test_traffic import test_run_column
from core.timestamps import moment, stamped


class CallbackKind(StrEnum):
    KEEP_PLACE = "keep_place"  # called when the resident's place in line reaches the front
    SCHEDULED = "scheduled"  # called at the time the resident chose


class CallbackStatus(StrEnum):
    WAITING = "waiting"  # keep my place: waiting for its turn in the line
    SCHEDULED = "scheduled"  # due at next_attempt_at: the chosen time, or the next try
    DIALING = "dialing"  # an attempt is claimed and the call is being created
    CONNECTING = "connecting"  # the call is placed: ringing, answered, or waiting for the next agent
    COMPLETED = "completed"  # put through to an agent
    FAILED = "failed"  # every attempt went unanswered
    CANCELLED = "cancelled"  # by the resident or a supervisor
    # Asked for from another line: nothing is booked or dialled until the number's owner texts YES (never active, so it
    # can neither change nor reveal the owner's own call-back), and it lapses unconfirmed.
    AWAITING_OWNER = "awaiting_owner"


PENDING = (CallbackStatus.WAITING, CallbackStatus.SCHEDULED)  # not yet dialled: may be moved or cancelled
IN_PROGRESS = (CallbackStatus.DIALING, CallbackStatus.CONNECTING)
ACTIVE = (*PENDING, *IN_PROGRESS)


class CallbackSource(StrEnum):
    QUEUE = "queue"  # left the line with "keep my place" or "choose a time"
    MENU = "menu"  # agents were off duty or busy
    SMS = "sms"  # texted CALL ME
    TICKET = "ticket"  # about a request they checked on
    VOICEMAIL = "voicemail"  # a supervisor answered their voice message with a call-back (console)
    AGENT = "agent"  # an agent booked it from their page, during or after a call (console)


class AttemptOutcome(StrEnum):
    ANSWERED = "answered"  # a person answered
    MACHINE = "machine"  # an answering machine or fax: counted as an attempt
    BUSY = "busy"
    NO_ANSWER = "no-answer"
    FAILED = "failed"  # Twilio could not place it, or the claim was never placed


class Callback(SQLModel, table=True):
    """One resident's call-back, from the request to the call that reached an agent (or the last try)."""

    __tablename__ = "callback"
    id: int | None = Field(default=None, primary_key=True)
    phone: str = Field(max_length=20, index=True)  # E.164; never shown in reports or the audit trail
    active_phone: str | None = Field(default=None, max_length=20, unique=True)  # set while active: one per number
    language: str = Field(max_length=16)
    kind: CallbackKind = choice(CallbackKind)
    status: CallbackStatus = choice(CallbackStatus, index=True)
    source: CallbackSource = choice(CallbackSource)
    joined_at: dt.datetime | None = moment()  # keep my place: when the resident first joined the line
    due_at: dt.datetime | None = moment()  # the time the resident (or a supervisor) chose
    next_attempt_at: dt.datetime | None = moment(index=True)  # when a scheduled call-back or a retry is due
    topic: str | None = Field(default=None, max_length=80)  # the knowledge-base article they asked about
    ticket_number: str | None = Field(default=None, max_length=12)
    attempts: int = 0
    text_updates: bool = False  # the resident asked for texts: the confirmation, a reminder
    reminded_at: dt.datetime | None = moment()
    failure_noticed_at: dt.datetime | None = moment()  # outreach.on_callback_failed texted "we tried"
    ended_at: dt.datetime | None = moment()
    test_run: str | None = test_run_column()  # a scenario's call-back: never placed, cancelled when its run ends
    created_at: dt.datetime = stamped(index=True)
    updated_at: dt.datetime = stamped()


class CallbackAttempt(SQLModel, table=True):
    """One outbound call for a call-back; its number is claimed once, so one call goes out per attempt."""

    __tablename__ = "callback_attempt"
    __table_args__ = (UniqueConstraint("callback_id", "number", name="uq_callback_attempt_number"),)
    id: int | None = Field(default=None, primary_key=True)
    callback_id: int = Field(foreign_key="callback.id", index=True)
    number: int
    call_sid: str | None = Field(default=None, max_length=64, index=True)
    outcome: AttemptOutcome | None = choice(AttemptOutcome, default=None)
    claimed_at: dt.datetime = stamped()
    ended_at: dt.datetime | None = moment()


class CallbackRequest(BaseModel):
    """What a resident asked for, from any channel."""

    phone: str
    language: str
    kind: CallbackKind
    source: CallbackSource
    joined_at: dt.datetime | None = None
    due_at: dt.datetime | None = None
    topic: str | None = None
    ticket_number: str | None = None
    text_updates: bool = False


class CallbackPublic(BaseModel):
    """A call-back as supervisors see it: the number masked."""

    id: int
    phone: str
    language: str
    kind: str
    status: str
    source: str
    joined_at: dt.datetime | None
    due_at: dt.datetime | None
    next_attempt_at: dt.datetime | None
    topic: str | None
    ticket_number: str | None
    attempts: int
    created_at: dt.datetime
    updated_at: dt.datetime
