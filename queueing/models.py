"""Queue outcomes and voice messages: what happened to each caller who asked for a person."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from sqlmodel import Field, SQLModel

from core.choices import choice
from core.test_traffic import test_run_column
from core.timestamps import moment, stamped


class QueueResult(StrEnum):
    ANSWERED = "answered"
    ABANDONED = "abandoned"
    QUEUE_FULL = "queue_full"
    LEFT = "left"
    ERROR = "error"


class QueueOutcome(SQLModel, table=True):
    """One caller's time in a queue, recorded when they leave it."""

    __tablename__ = "queue_outcome"
    id: int | None = Field(default=None, primary_key=True)
    call_sid: str = Field(max_length=64, index=True)
    queue: str = Field(max_length=64, index=True)
    language: str = Field(max_length=16)
    result: QueueResult = choice(QueueResult)
    wait_seconds: int = 0
    # What the caller was told on their first wait announcement (queueing.estimator.SpokenWait): the range the words
    # cover and their midpoint, in seconds, and how long they had already waited when told. Null: never told.
    told_low_seconds: int | None = None
    told_high_seconds: int | None = None
    told_seconds: int | None = None
    told_after_seconds: int | None = None
    test_run: str | None = test_run_column()  # a scenario run or the browser phone, never a resident
    created_at: dt.datetime = stamped(index=True)

    @property
    def waited_after_told(self) -> int | None:
        """How long the caller really waited from the moment they were told; None if never told."""
        if self.told_after_seconds is None:
            return None
        return max(0, self.wait_seconds - self.told_after_seconds)


class Voicemail(SQLModel, table=True):
    """A voice message left instead of waiting, for staff to return the call."""

    __tablename__ = "queue_voicemail"
    id: int | None = Field(default=None, primary_key=True)
    call_sid: str = Field(max_length=64, unique=True)
    caller: str | None = Field(default=None, max_length=20)  # needed to call back; never shown in reports
    language: str = Field(max_length=16)
    recording_url: str = Field(max_length=500)
    test_run: str | None = test_run_column()
    returned_at: dt.datetime | None = moment()
    created_at: dt.datetime = stamped(index=True)


class PinSource(StrEnum):
    ADMIN = "admin"  # set on the server with `run.py agent-pin NAME`: the agent's real PIN
    DEVELOPMENT = "development"  # set from the browser phone in development mode, shown on the page


class AgentPin(SQLModel, table=True):
    """An agent's PIN for the agent line, stored only as an argon2 hash (set with `run.py agent-pin NAME`)."""

    __tablename__ = "agent_pin"
    id: int | None = Field(default=None, primary_key=True)
    agent: str = Field(max_length=100, unique=True)  # the name in config.toml's [[agents]]
    pin_hash: str = Field(max_length=200)
    # The browser phone may replace only a development PIN, never one an administrator set.
    source: PinSource = choice(PinSource, default=PinSource.ADMIN)
    # A development PIN itself (never an administrator's): the browser phone shows it again after a restart.
    shown_pin: str | None = Field(default=None, max_length=12)
    updated_at: dt.datetime = stamped()


class AgentLineOutcome(StrEnum):
    STRANGER = "stranger"  # not an agent's number
    UNVERIFIED = "unverified"  # the carrier's STIR/SHAKEN check failed: the number is likely spoofed
    NO_PIN = "no_pin"  # an agent's number, but no PIN has been set
    LOCKED = "locked"  # too many wrong PINs from this number lately
    PIN_ASKED = "pin_asked"
    PIN_WRONG = "pin_wrong"
    PIN_OK = "pin_ok"


class AgentLineAttempt(SQLModel, table=True):
    """One step of a call to the agent line, kept to review who tried to get through and how their number was vouched.

    `stir_verstat` is Twilio's StirVerstat (e.g. TN-Validation-Passed-A), empty when the carrier sent none.
    """

    __tablename__ = "agent_line_attempt"
    id: int | None = Field(default=None, primary_key=True)
    call_sid: str = Field(max_length=64, index=True)
    caller_masked: str = Field(max_length=32)
    agent: str | None = Field(default=None, max_length=100)
    stir_verstat: str = Field(default="", max_length=40)
    outcome: AgentLineOutcome = choice(AgentLineOutcome)
    at: dt.datetime = stamped(index=True)
