"""Each number's consent to texts, and a record of every text we sent or chose not to send."""

from __future__ import annotations

import datetime as dt

from sqlmodel import Field, SQLModel

from core.timestamps import stamped


class SmsOptOut(SQLModel, table=True):
    """A number's consent to texts: STOP sets opted_out, START clears it. Checked before every outbound text."""

    __tablename__ = "sms_opt_out"
    id: int | None = Field(default=None, primary_key=True)
    phone: str = Field(max_length=20, unique=True, index=True)
    opted_out: bool = True
    source: str = Field(default="", max_length=40)
    updated_at: dt.datetime = stamped()


class SmsOutbound(SQLModel, table=True):
    """One text we sent (or chose not to send, and why)."""

    __tablename__ = "sms_outbound"
    id: int | None = Field(default=None, primary_key=True)
    to_masked: str = Field(max_length=32)
    kind: str = Field(max_length=20)
    status: str = Field(max_length=20)  # sent, opted_out, limited, failed
    segments: int = 0
    twilio_sid: str | None = Field(default=None, max_length=64)
    ticket_number: str | None = Field(default=None, max_length=12)
    created_at: dt.datetime = stamped(index=True)
