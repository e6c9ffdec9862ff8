"""Console data: API tokens for supervisors and tools, stored only as argon2 hashes, each with a scope and an expiry."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from sqlmodel import Field, SQLModel

from core.choices import choice
from core.timestamps import Timestamp, moment, stamped


class TokenScope(StrEnum):
    READ = "read"  # look: GET the figures, reports, messages and audit trail
    SUPERVISOR = "supervisor"  # also change things: messages, presets, ticket status

    def grants(self) -> list[str]:
        """The Starlette auth scopes a token of this scope holds (`requires("read")`, `requires("supervisor")`)."""
        return [TokenScope.READ] if self is TokenScope.READ else [TokenScope.READ, self]


class TokenState(StrEnum):
    ACTIVE = "active"
    EXPIRED = "expired"
    REVOKED = "revoked"


class ApiToken(SQLModel, table=True):
    __tablename__ = "console_api_token"
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100, unique=True)
    prefix: str = Field(max_length=12, index=True)  # the token's first characters, to find its hash quickly
    token_hash: str = Field(max_length=200)
    scope: TokenScope = choice(TokenScope, default=TokenScope.READ)
    created_at: dt.datetime = stamped()
    expires_at: dt.datetime = Field(sa_type=Timestamp)
    revoked_at: dt.datetime | None = moment()

    def state(self, now: dt.datetime) -> TokenState:
        """Whether the token opens the API at this moment, and if not, why."""
        if self.revoked_at is not None:
            return TokenState.REVOKED
        return TokenState.ACTIVE if now < self.expires_at else TokenState.EXPIRED


class Role(StrEnum):
    WALLBOARD = "wallboard"  # the live figures on a screen, nothing else
    CONTENT_EDITOR = "content-editor"  # the knowledge base; reads the rest
    SUPERVISOR = "supervisor"  # runs the centre: surge messages, presets, tickets
    ADMIN = "admin"  # everything, and manages accounts and API tokens
    AGENT = "agent"  # an agent of [[agents]]: their own page (the screen pop), Live, the knowledge base read-only

    def grants(self) -> list[str]:
        """The Starlette auth scopes a signed-in account of this role holds (`requires("messages")`, ...)."""
        return list(_GRANTS[self])

    @property
    def label(self) -> str:
        return self.replace("-", " ")


# "live": the live page; "kb": the knowledge base, read-only; "desk": an agent's own page; "read": every other page,
# read-only; "messages", "content", "callbacks", "menus": changing
# them; "supervisor": residents' tickets and voice messages (reading and working them); "admin": accounts and API
# tokens.
_GRANTS = {
    Role.WALLBOARD: ("console", "live"),
    Role.CONTENT_EDITOR: ("console", "live", "kb", "read", "content"),
    Role.SUPERVISOR: ("console", "live", "kb", "read", "messages", "content", "callbacks", "menus", "supervisor"),
    Role.ADMIN: ("console", "live", "kb", "read", "messages", "content", "callbacks", "menus", "supervisor", "admin"),
    Role.AGENT: ("console", "live", "kb", "desk"),
}


class ConsoleAccount(SQLModel, table=True):
    """A person who signs in to the console in a browser; only an argon2 hash of the password is kept."""

    __tablename__ = "console_account"
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100, unique=True)
    role: Role = choice(Role)
    password_hash: str = Field(max_length=200)
    # Changed with the password, role or state: every session signed in before the change ends with it.
    session_stamp: str = Field(max_length=32)
    created_at: dt.datetime = stamped()
    updated_at: dt.datetime = stamped()
    disabled_at: dt.datetime | None = moment()
    agent: str | None = Field(default=None, max_length=100)  # the [[agents]] name an "agent" account works as
