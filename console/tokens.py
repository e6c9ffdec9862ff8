"""API tokens for supervisors and tools: shown once when created, stored only as an argon2 hash, scoped, expiring."""

from __future__ import annotations

import datetime as dt
import functools
import secrets
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlmodel import Session, select

from console.models import ApiToken, TokenScope, TokenState
from core import audit
from core.context import AppContext
from core.db import run_db
from core.defaults import API_TOKEN_DAYS, API_TOKEN_MAX_DAYS

PREFIX_LENGTH = 8
TOKEN_START = "oc_"
MAX_TOKEN_LENGTH = 100  # ours are 46 characters; anything longer is not one, but is hashed like one
_hasher = PasswordHasher()


@dataclass(frozen=True)
class TokenHolder:
    """Who presented a valid token, and what it lets them do."""

    name: str
    scope: TokenScope


@functools.cache
def dummy_hash() -> str:
    """A hash no token matches, verified against when a token's prefix matches nothing, so both take one argon2 run."""
    return _hasher.hash(secrets.token_urlsafe(32))


def create_token(
    session: Session,
    *,
    name: str,
    now: dt.datetime,
    scope: TokenScope = TokenScope.READ,
    days: int = API_TOKEN_DAYS,
    actor: str = "cli",
) -> str:
    """Create a token for `name` and return it; only its hash is kept. A revoked or expired name is reissued."""
    if not 1 <= days <= API_TOKEN_MAX_DAYS:
        raise ValueError(f"days: a token lasts 1 to {API_TOKEN_MAX_DAYS} days")
    row = session.exec(select(ApiToken).where(ApiToken.name == name)).first()
    if row is not None and row.state(now) is TokenState.ACTIVE:
        raise ValueError(f"name: a token named {name!r} exists already (revoke it first to replace it)")
    before = _public(row, now) if row else None
    token = _new_token(session)
    row = row or ApiToken(name=name, prefix="", token_hash="", expires_at=now)
    row.prefix, row.token_hash, row.scope = token[:PREFIX_LENGTH], _hasher.hash(token), scope
    row.created_at, row.expires_at, row.revoked_at = now, now + dt.timedelta(days=days), None
    session.add(row)
    audit.record(session, actor=actor, action="token.create", subject=name, before=before, after=_public(row, now))
    return token


def _new_token(session: Session) -> str:
    # Prefixes are unique, so a token's prefix finds exactly one hash to check: one argon2 run per attempt, always.
    while True:
        token = TOKEN_START + secrets.token_urlsafe(32)
        if session.exec(select(ApiToken.id).where(ApiToken.prefix == token[:PREFIX_LENGTH])).first() is None:
            return token


def revoke_token(session: Session, *, name: str, now: dt.datetime, actor: str = "cli") -> dict:
    """Revoke the named token at once; returns it as listed."""
    row = session.exec(select(ApiToken).where(ApiToken.name == name)).first()
    if row is None:
        raise ValueError(f"name: no token named {name!r}")
    if row.revoked_at is not None:
        raise ValueError(f"name: the token {name!r} was revoked already")
    before = _public(row, now)
    row.revoked_at = now
    session.add(row)
    audit.record(session, actor=actor, action="token.revoke", subject=name, before=before, after=_public(row, now))
    return _public(row, now)


def list_tokens(session: Session, *, now: dt.datetime) -> list[dict]:
    """Every token: name, scope, state and dates (never the hash)."""
    return [_public(row, now) for row in session.exec(select(ApiToken).order_by(ApiToken.name)).all()]


def verify_token(session: Session, *, token: str, now: dt.datetime) -> TokenHolder | None:
    """The holder of a valid token, or None when it is unknown, wrong, revoked or expired.

    Every call runs exactly one argon2 verification (against a dummy hash when the prefix matches nothing), and
    checks revocation and expiry only afterwards, so the time taken says nothing about which prefixes exist.
    """
    candidate = token[:MAX_TOKEN_LENGTH]
    row = session.exec(select(ApiToken).where(ApiToken.prefix == candidate[:PREFIX_LENGTH])).first()
    try:
        matches = _hasher.verify(row.token_hash if row else dummy_hash(), candidate)
    except (VerificationError, InvalidHashError):
        matches = False
    if row is None or not matches or candidate != token or not token.startswith(TOKEN_START):
        return None
    if row.state(now) is not TokenState.ACTIVE:
        return None
    return TokenHolder(row.name, TokenScope(row.scope))


def _public(row: ApiToken, now: dt.datetime) -> dict:
    return {
        "name": row.name,
        "scope": row.scope,
        "state": row.state(now),
        "created_at": row.created_at.isoformat(),
        "expires_at": row.expires_at.isoformat(),
        "revoked_at": row.revoked_at.isoformat() if row.revoked_at else None,
    }


# The pages' way in: each runs its work above in a worker thread, in one transaction.


async def listed(ctx: AppContext) -> list[dict]:
    """Every token (list_tokens)."""
    return await run_db(ctx.engine, list_tokens, now=ctx.now())


async def create(ctx: AppContext, *, name: str, scope: TokenScope, days: int, actor: str) -> str:
    """A new token, returned once (create_token)."""
    return await run_db(ctx.engine, create_token, name=name, now=ctx.now(), scope=scope, days=days, actor=actor)


async def revoke(ctx: AppContext, *, name: str, actor: str) -> dict:
    """Revoke a token (revoke_token)."""
    return await run_db(ctx.engine, revoke_token, name=name, now=ctx.now(), actor=actor)
