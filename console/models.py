"""Supervisor data: API tokens (hashed), announcements with start/end and priority, and the audit of every change."""

from __future__ import annotations

import datetime as dt
from enum import Enum

from sqlalchemy import JSON, Column, String
from sqlmodel import Field, SQLModel

from flows.models import utcnow


class Scope(str, Enum):
    GREETING = "greeting"  # said first on every call
    QUEUE = "queue"  # said to callers waiting for a person
    SMS = "sms"  # added to text replies


class ApiToken(SQLModel, table=True):
    __tablename__ = "console_api_token"
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100, unique=True)
    prefix: str = Field(max_length=12, index=True)  # the token's first characters, to find its hash quickly
    token_hash: str = Field(max_length=200)
    created_at: dt.datetime = Field(default_factory=utcnow)
    revoked_at: dt.datetime | None = None


class AnnouncementBase(SQLModel):
    scope: Scope = Field(sa_column=Column(String(20), nullable=False))
    texts: dict[str, str] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    starts_at: dt.datetime | None = None
    ends_at: dt.datetime | None = None
    priority: int = 0
    short_menu: bool = False  # storm mode: the main menu offers only "ask a question" and "speak to someone"


class AnnouncementCreate(AnnouncementBase):
    pass


class Announcement(AnnouncementBase, table=True):
    __tablename__ = "console_announcement"
    id: int | None = Field(default=None, primary_key=True)
    active: bool = True
    created_by: str = Field(max_length=100)
    created_at: dt.datetime = Field(default_factory=utcnow)
    updated_at: dt.datetime = Field(default_factory=utcnow)


class AnnouncementPublic(AnnouncementBase):
    id: int
    active: bool
    created_by: str
    created_at: dt.datetime
    updated_at: dt.datetime


class AuditEntry(SQLModel, table=True):
    """Who changed what, when, from what to what: never updated or deleted."""

    __tablename__ = "console_audit"
    id: int | None = Field(default=None, primary_key=True)
    actor: str = Field(max_length=100)
    action: str = Field(max_length=40)
    subject: str = Field(max_length=100)
    before: dict | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    after: dict | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    at: dt.datetime = Field(default_factory=utcnow, index=True)
