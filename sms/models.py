"""Inbound text records: what each text was about, never its number in clear."""

from __future__ import annotations

import datetime as dt

from sqlmodel import Field, SQLModel

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
    created_at: dt.datetime = stamped(index=True)
