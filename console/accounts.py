"""Console accounts: names, roles and argon2-hashed passwords; every change audited, never a default password."""

from __future__ import annotations

import datetime as dt
import functools
import secrets
import unicodedata
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlmodel import Session, select

from console.models import ConsoleAccount, Role
from core import audit, clock
from core.context import AppContext
from core.db import run_db
from core.defaults import CONSOLE_NAME_MAX_CHARS, CONSOLE_PASSWORD_MAX_CHARS, CONSOLE_PASSWORD_MIN_CHARS

_hasher = PasswordHasher()


class AccountError(ValueError):
    """A change that cannot be made; `field` and the message say why."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class SignedIn:
    """Who a valid session or password belongs to, as the console sees them."""

    id: int
    name: str
    role: Role
    session_stamp: str
    agent: str | None = None  # the [[agents]] name an "agent" account works as


@functools.cache
def _dummy_hash() -> str:
    # Checked against when the name is unknown, so a wrong name takes as long as a wrong password.
    return _hasher.hash(secrets.token_urlsafe(32))


def check_name(name: str) -> str:
    """The name as stored: trimmed, 1 to CONSOLE_NAME_MAX_CHARS printable characters."""
    name = " ".join(name.split())
    if not name:
        raise AccountError("name", "give the account a name")
    if len(name) > CONSOLE_NAME_MAX_CHARS:
        raise AccountError("name", f"the name is {len(name)} characters; at most {CONSOLE_NAME_MAX_CHARS}")
    if any(unicodedata.category(c) in ("Cc", "Cf", "Cs", "Co", "Cn") for c in name):
        raise AccountError("name", "the name has control or invisible characters")
    return name


def check_password(password: str, *, name: str) -> str:
    """A password long enough to resist guessing, and not the account's own name."""
    if len(password) < CONSOLE_PASSWORD_MIN_CHARS:
        raise AccountError("password", f"use at least {CONSOLE_PASSWORD_MIN_CHARS} characters (a few words will do)")
    if len(password) > CONSOLE_PASSWORD_MAX_CHARS:
        raise AccountError("password", f"use at most {CONSOLE_PASSWORD_MAX_CHARS} characters")
    if password.strip().casefold() == name.casefold():
        raise AccountError("password", "the password must not be the account's name")
    return password


def create_account(session: Session, *, name: str, role: Role, password: str, actor: str) -> ConsoleAccount:
    """A new account with this role and password (hashed); the name must be free."""
    name = check_name(name)
    check_password(password, name=name)
    if session.exec(select(ConsoleAccount.id).where(ConsoleAccount.name == name)).first() is not None:
        raise AccountError("name", f"an account named {name!r} exists already")
    row = ConsoleAccount(name=name, role=role, password_hash=_hasher.hash(password), session_stamp=_stamp())
    session.add(row)
    session.flush()
    audit.record(session, actor=actor, action="account.create", subject=f"account:{name}", after=public(row))
    return row


def set_password(session: Session, *, name: str, password: str, actor: str) -> ConsoleAccount:
    """A new password; every session of the account ends."""
    row = _named(session, name)
    check_password(password, name=row.name)
    before = public(row)
    row.password_hash, row.session_stamp, row.updated_at = _hasher.hash(password), _stamp(), _now()
    session.add(row)
    audit.record(
        session,
        actor=actor,
        action="account.password",
        subject=f"account:{row.name}",
        before=before,
        after={**public(row), "password": "changed"},
    )
    return row


def set_role(session: Session, *, name: str, role: Role, actor: str) -> ConsoleAccount:
    """A new role, in force on the account's next request."""
    row = _named(session, name)
    before = public(row)
    row.role, row.session_stamp, row.updated_at = role, _stamp(), _now()
    session.add(row)
    audit.record(
        session, actor=actor, action="account.role", subject=f"account:{row.name}", before=before, after=public(row)
    )
    return row


def set_disabled(session: Session, *, name: str, disabled: bool, actor: str) -> ConsoleAccount:
    """Refuse the account from now on (its sessions end), or let it sign in again."""
    row = _named(session, name)
    if (row.disabled_at is not None) == disabled:
        return row
    before = public(row)
    row.disabled_at, row.session_stamp, row.updated_at = (_now() if disabled else None), _stamp(), _now()
    session.add(row)
    action = "account.disable" if disabled else "account.enable"
    audit.record(session, actor=actor, action=action, subject=f"account:{row.name}", before=before, after=public(row))
    return row


def check_agent(agent: str, *, known: tuple[str, ...]) -> str:
    """The [[agents]] name as config.toml spells it; AccountError when there is no such agent."""
    found = next((name for name in known if name.casefold() == agent.strip().casefold()), None)
    if found is None:
        raise AccountError("agent", f"no agent named {agent!r} in config.toml's [[agents]] ({', '.join(known)})")
    return found


def link_agent(session: Session, *, name: str, agent: str | None, known: tuple[str, ...], actor: str) -> ConsoleAccount:
    """Link the account to an agent of [[agents]] (None: unlink); one account per agent; in force at once."""
    row = _named(session, name)
    agent = check_agent(agent, known=known) if agent else None
    if agent is not None:
        taken = session.exec(select(ConsoleAccount.name).where(ConsoleAccount.agent == agent,
                                                               ConsoleAccount.id != row.id)).first()
        if taken is not None:
            raise AccountError("agent", f"agent {agent} is already linked to the account {taken!r}")
    before = public(row)
    row.agent, row.session_stamp, row.updated_at = agent, _stamp(), _now()
    session.add(row)
    audit.record(
        session, actor=actor, action="account.agent", subject=f"account:{row.name}", before=before, after=public(row)
    )
    return row


def record_unlock(session: Session, *, name: str, locked_from: list[str], actor: str) -> None:
    """Audit an administrator lifting the sign-in locks on an account (the locks live in Redis, lifted after this)."""
    row = _named(session, name)
    audit.record(
        session,
        actor=actor,
        action="account.unlock",
        subject=f"account:{row.name}",
        before={"locked_from": locked_from[:20]},
        after={"locked_from": []},
    )


def verify_login(session: Session, *, name: str, password: str) -> SignedIn | None:
    """The account when the name and password match an enabled account, else None; always one argon2 run."""
    row = session.exec(select(ConsoleAccount).where(ConsoleAccount.name == " ".join(name.split()))).first()
    try:
        matches = _hasher.verify(row.password_hash if row else _dummy_hash(), password[:CONSOLE_PASSWORD_MAX_CHARS])
    except (VerificationError, InvalidHashError):
        matches = False
    if row is None or not matches or len(password) > CONSOLE_PASSWORD_MAX_CHARS or row.disabled_at is not None:
        return None
    return _signed_in(row)


def signed_in(session: Session, *, account_id: int, session_stamp: str) -> SignedIn | None:
    """The account a session belongs to, if it is still enabled and nothing ended its sessions since."""
    row = session.get(ConsoleAccount, account_id)
    if row is None or row.disabled_at is not None or not secrets.compare_digest(row.session_stamp, session_stamp):
        return None
    return _signed_in(row)


def exists(session: Session, *, name: str) -> bool:
    """Whether an account has this name."""
    return session.exec(select(ConsoleAccount.id).where(ConsoleAccount.name == name)).first() is not None


def record_lock(session: Session, *, name: str, address: str) -> None:
    """Audit a name locked out of signing in from an address, for a real account only: a name nobody has is locked
    as well, but there is nothing of ours to audit. Once an episode: further lock-outs of the name (from there or
    elsewhere) show on the Accounts page until it is lifted."""
    name = " ".join(name.split())
    if exists(session, name=name):
        audit.record(
            session,
            actor=f"sign-in from {address}"[:100],
            action="account.lock",
            subject=f"account:{name}",
            after={"locked": "too many failed sign-ins", "from": address[:60]},
        )


def list_accounts(session: Session) -> list[dict]:
    """Every account: name, role, state and dates (never the hash)."""
    return [public(row) for row in session.exec(select(ConsoleAccount).order_by(ConsoleAccount.name)).all()]


def public(row: ConsoleAccount) -> dict:
    """What the audit trail and the accounts page show of an account."""
    return {
        "name": row.name,
        "role": row.role,
        "state": "disabled" if row.disabled_at else "active",
        "agent": row.agent,
        "created_at": row.created_at.isoformat(),
        "updated_at": row.updated_at.isoformat(),
    }


def _named(session: Session, name: str) -> ConsoleAccount:
    row = session.exec(select(ConsoleAccount).where(ConsoleAccount.name == name)).first()
    if row is None:
        raise AccountError("name", f"no account named {name!r}")
    return row


def _signed_in(row: ConsoleAccount) -> SignedIn:
    return SignedIn(id=row.id, name=row.name, role=Role(row.role), session_stamp=row.session_stamp, agent=row.agent)


def _stamp() -> str:
    return secrets.token_hex(16)


def _now() -> dt.datetime:
    return clock.now()


# The pages' way in: each runs its work above in a worker thread, in one transaction.


async def listed(ctx: AppContext) -> list[dict]:
    """Every account (list_accounts)."""
    return await run_db(ctx.engine, list_accounts)


async def create(ctx: AppContext, *, name: str, role: Role, password: str, actor: str) -> ConsoleAccount:
    """A new account (create_account)."""
    return await run_db(ctx.engine, create_account, name=name, role=role, password=password, actor=actor)


async def change_role(ctx: AppContext, *, name: str, role: Role, actor: str) -> ConsoleAccount:
    """A new role (set_role)."""
    return await run_db(ctx.engine, set_role, name=name, role=role, actor=actor)


async def linked(
    ctx: AppContext, *, name: str, agent: str | None, known: tuple[str, ...], actor: str
) -> ConsoleAccount:
    """Link the account to an agent, or unlink it (link_agent)."""
    return await run_db(ctx.engine, link_agent, name=name, agent=agent, known=known, actor=actor)


async def change_password(ctx: AppContext, *, name: str, password: str, actor: str) -> ConsoleAccount:
    """A new password (set_password)."""
    return await run_db(ctx.engine, set_password, name=name, password=password, actor=actor)


async def change_disabled(ctx: AppContext, *, name: str, disabled: bool, actor: str) -> ConsoleAccount:
    """Disable or enable the account (set_disabled)."""
    return await run_db(ctx.engine, set_disabled, name=name, disabled=disabled, actor=actor)


async def unlocked(ctx: AppContext, *, name: str, locked_from: list[str], actor: str) -> None:
    """Audit the locks lifted (record_unlock)."""
    await run_db(ctx.engine, record_unlock, name=name, locked_from=locked_from, actor=actor)


async def login(ctx: AppContext, *, name: str, password: str) -> SignedIn | None:
    """Who signs in with this name and password (verify_login)."""
    return await run_db(ctx.engine, verify_login, name=name, password=password)


async def locked_out(ctx: AppContext, *, name: str, address: str) -> None:
    """Audit a lock-out that began (record_lock)."""
    await run_db(ctx.engine, record_lock, name=name, address=address)


async def session_holder(ctx: AppContext, *, account_id: int, session_stamp: str) -> SignedIn | None:
    """The account a session belongs to, still (signed_in)."""
    return await run_db(ctx.engine, signed_in, account_id=account_id, session_stamp=session_stamp)
