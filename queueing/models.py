"""Queue outcomes and voice messages: what happened to each caller who asked for a person."""

from __future__ import annotations

import datetime as dt
from enum import Enum

from sqlmodel import Field, SQLModel

from core.timestamps import moment, stamped


class QueueResult(str, Enum):
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
    result: str = Field(max_length=20)
    wait_seconds: int = 0
    created_at: dt.datetime = stamped(index=True)


class Voicemail(SQLModel, table=True):
    """A voice message left instead of waiting, for staff to return the call."""

    __tablename__ = "queue_voicemail"
    id: int | None = Field(default=None, primary_key=True)
    call_sid: str = Field(max_length=64, unique=True)
    caller: str | None = Field(default=None, max_length=20)  # needed to call back; never shown in reports
    language: str = Field(max_length=16)
    recording_url: str = Field(max_length=500)
    returned_at: dt.datetime | None = moment()
    created_at: dt.datetime = stamped(index=True)
