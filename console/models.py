"""Console data: API tokens for supervisors and tools, stored only as argon2 hashes, each with a scope and an expiry."""

from __future__ import annotations

import datetime as dt
from enum import Enum

from sqlmodel import Field, SQLModel

from core.timestamps import Timestamp, moment, stamped


class TokenScope(str, Enum):
    READ = "read"  # look: GET the figures, reports, messages and audit trail
    SUPERVISOR = "supervisor"  # also change things: messages, presets, ticket status

    def grants(self) -> list[str]:
        """The Starlette auth scopes a token of this scope holds (`requires("read")`, `requires("supervisor")`)."""
        return [TokenScope.READ.value] if self is TokenScope.READ else [TokenScope.READ.value, self.value]


class TokenState(str, Enum):
    ACTIVE = "active"
    EXPIRED = "expired"
    REVOKED = "revoked"


class ApiToken(SQLModel, table=True):
    __tablename__ = "console_api_token"
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100, unique=True)
    prefix: str = Field(max_length=12, index=True)  # the token's first characters, to find its hash quickly
    token_hash: str = Field(max_length=200)
    scope: str = Field(default=TokenScope.READ.value, max_length=20)
    created_at: dt.datetime = stamped()
    expires_at: dt.datetime = Field(sa_type=Timestamp)
    revoked_at: dt.datetime | None = moment()

    def state(self, now: dt.datetime) -> TokenState:
        """Whether the token opens the API at this moment, and if not, why."""
        if self.revoked_at is not None:
            return TokenState.REVOKED
        return TokenState.ACTIVE if now < self.expires_at else TokenState.EXPIRED
