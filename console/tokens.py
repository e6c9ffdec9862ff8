"""API tokens for supervisors and tools: shown once when created, stored only as an argon2 hash."""

from __future__ import annotations

import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlmodel import Session, select

from console.models import ApiToken
from core import audit

PREFIX_LENGTH = 8
_hasher = PasswordHasher()


def create_token(session: Session, *, name: str, actor: str = "cli") -> str:
    """Create a token for `name` and return it; only its hash is kept."""
    if session.exec(select(ApiToken).where(ApiToken.name == name)).first() is not None:
        raise ValueError(f"a token named {name!r} exists already")
    token = "oc_" + secrets.token_urlsafe(32)
    session.add(ApiToken(name=name, prefix=token[:PREFIX_LENGTH], token_hash=_hasher.hash(token)))
    audit.record(session, actor=actor, action="token.create", subject=name)
    return token


def verify_token(session: Session, *, token: str) -> str | None:
    """The name of the token's holder, or None when it is unknown or revoked."""
    if not token.startswith("oc_"):
        return None
    candidates = session.exec(
        select(ApiToken).where(ApiToken.prefix == token[:PREFIX_LENGTH], ApiToken.revoked_at.is_(None))
    ).all()
    for row in candidates:
        try:
            if _hasher.verify(row.token_hash, token):
                return row.name
        except (VerificationError, InvalidHashError):
            continue
    return None
