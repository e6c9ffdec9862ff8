"""Inbound text records: what each text was about, never its number in clear."""

from __future__ import annotations

import datetime as dt

from sqlmodel import Field, SQLModel

from core.test_traffic import test_run_column
from core.timestamps import stamped


class SmsInbound(SQLModel, table=True):
    """One text a resident sent."""

    __tablename__ = "sms_inbound"
    id: int | None = Field(default=None, primary_key=True)
    message_sid: str = Field(max_length=64, unique=True, index=True)
    from_masked: str = Field(max_length=32)
    language: str = Field(max_length=16)
    kind: str = Field(max_length=20)
    article_id: str | None = Field(default=None, max_length=80)
    confidence: float | None = None
    test_run: str | None = test_run_column()  # a scenario run or the browser phone, never a resident
    created_at: dt.datetime = stamped(index=True)


class SmsOpenReport(SQLModel, table=True):
    """A report being taken by text, remembered in the database while it is open: if Redis loses the conversation,
    the resident's next text is told so instead of being taken for a question. Keyed by a hash of the number."""

    __tablename__ = "sms_open_report"
    id: int | None = Field(default=None, primary_key=True)
    phone_hash: str = Field(max_length=64, unique=True, index=True)
    language: str = Field(max_length=16)
    updated_at: dt.datetime = stamped()
