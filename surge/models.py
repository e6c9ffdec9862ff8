"""Surge messages with start/end and priority, per scope (greeting, queue, text footer) and language."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from core.choices import choice
from core.timestamps import Timestamp, stamped


class Scope(StrEnum):
    GREETING = "greeting"  # said first on every call
    QUEUE = "queue"  # said to callers waiting for a person
    SMS = "sms"  # added to text replies


class AnnouncementBase(SQLModel):
    scope: Scope = choice(Scope)
    texts: dict[str, str] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    starts_at: dt.datetime | None = Field(default=None, sa_type=Timestamp)
    ends_at: dt.datetime | None = Field(default=None, sa_type=Timestamp)
    priority: int = 0
    short_menu: bool = False  # storm mode: the main menu offers the storm menu (menus.toml) instead


class AnnouncementCreate(AnnouncementBase):
    pass


class Announcement(AnnouncementBase, table=True):
    __tablename__ = "console_announcement"
    id: int | None = Field(default=None, primary_key=True)
    active: bool = True
    created_by: str = Field(max_length=100)
    created_at: dt.datetime = stamped()
    updated_at: dt.datetime = stamped()


class AnnouncementPublic(AnnouncementBase):
    id: int
    active: bool
    created_by: str
    created_at: dt.datetime
    updated_at: dt.datetime
