"""Console data: API tokens for supervisors and tools, stored only as argon2 hashes."""

from __future__ import annotations

import datetime as dt

from sqlmodel import Field, SQLModel

from core.timestamps import moment, stamped


class ApiToken(SQLModel, table=True):
    __tablename__ = "console_api_token"
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100, unique=True)
    prefix: str = Field(max_length=12, index=True)  # the token's first characters, to find its hash quickly
    token_hash: str = Field(max_length=200)
    created_at: dt.datetime = stamped()
    revoked_at: dt.datetime | None = moment()
