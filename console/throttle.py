"""Sign-in throttling by (name, client address) with growing lock-outs, and an address-wide cap (core.backoff).

A lock-out refuses a name only from the address that failed: guesses from anywhere else never keep the right
password out. Each name's ledgers live in one Redis hash, one field group per address, so an administrator sees and
lifts every lock on a name at once.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from redis.asyncio import Redis

from core import backoff
from core.defaults import (
    CONSOLE_LOGIN_FAILURES_PER_ACCOUNT,
    CONSOLE_LOGIN_FAILURES_PER_ADDRESS,
    CONSOLE_LOGIN_FIRST_LOCK_SECONDS,
    FAILURE_MEMORY_SECONDS,
    LONGEST_LOCK_OUT_SECONDS,
)

NAME_RULE = backoff.Rule(
    CONSOLE_LOGIN_FAILURES_PER_ACCOUNT,
    CONSOLE_LOGIN_FIRST_LOCK_SECONDS,
    LONGEST_LOCK_OUT_SECONDS,
    FAILURE_MEMORY_SECONDS,
)
ADDRESS_RULE = backoff.Rule(
    CONSOLE_LOGIN_FAILURES_PER_ADDRESS,
    CONSOLE_LOGIN_FIRST_LOCK_SECONDS,
    LONGEST_LOCK_OUT_SECONDS,
    FAILURE_MEMORY_SECONDS,
)
# Keys say "v2": they are hashes now, and a plain counter left by an older version (alive up to 15 minutes after an
# upgrade) must never meet a hash command.
_SEPARATOR = "|"  # ends an address's field prefix; never in an IPv4 or IPv6 address


@dataclass(frozen=True)
class Lock:
    """A name refused from one address until a moment (seconds on the injected clock)."""

    address: str
    until: int


class LoginAttempts:
    """One sign-in's ledgers: the name from this address, and this address for every name. Each attempt is counted
    before the password is checked; a success clears the pair and gives the address its attempt back. Names are
    counted whether or not an account has them, so a lock says nothing about which names exist."""

    def __init__(self, redis: Redis, name: str, address: str) -> None:
        self.redis = redis
        self.pair = backoff.Ledger(self.key_for_name(name), f"{address}{_SEPARATOR}", NAME_RULE)
        self.address = backoff.Ledger(self.key_for_address(address), "", ADDRESS_RULE)
        self.verdict = backoff.Verdict(0, (False, False), (False, False))

    @staticmethod
    def key_for_name(name: str) -> str:
        """The Redis hash of one account name's ledgers (hashed: the name is whatever was typed)."""
        folded = " ".join(name.split()).casefold().encode()
        return f"console:login:v2:name:{hashlib.sha256(folded).hexdigest()[:32]}"

    @staticmethod
    def key_for_address(address: str) -> str:
        """The Redis hash of one client address's ledger."""
        return f"console:login:v2:address:{address}"

    async def reserve(self, *, now: int) -> int:
        """Count this attempt on both ledgers; the seconds to wait instead when either is locked (0: go ahead)."""
        self.verdict = await backoff.attempt(self.redis, (self.pair, self.address), now=now)
        return self.verdict.wait

    @property
    def lock_began(self) -> bool:
        """Whether this attempt began the name's first lock-out of an episode (the moment to tell the audit trail)."""
        return self.verdict.first[0]

    async def succeeded(self) -> None:
        """The right password: the pair starts afresh and the address gets its attempt back."""
        await backoff.clear(self.redis, self.pair)
        if self.lock_began:
            await self.redis.hdel(self.pair.key, backoff.EPISODE)
        await backoff.refund(self.redis, self.address, locked=self.verdict.locked[1])


async def locks_on(redis: Redis, name: str, *, now: int) -> list[Lock]:
    """Every address this name is refused from now, soonest lifted first."""
    return locks_in(await redis.hgetall(LoginAttempts.key_for_name(name)), now=now)


def locks_in(fields: dict, *, now: int) -> list[Lock]:
    """The locks a name's Redis hash holds now (its fields as str or bytes)."""
    text = {_str(key): _str(value) for key, value in fields.items()}
    found = backoff.locked_fields(text, now=now)
    locks = (Lock(prefix.removesuffix(_SEPARATOR), until) for prefix, until in found.items())
    return sorted(locks, key=lambda lock: (lock.until, lock.address))


def _str(value: str | bytes) -> str:
    return value.decode() if isinstance(value, bytes) else value


async def unlock(redis: Redis, name: str) -> None:
    """An administrator lifts every lock on the name and forgets its failures (a new password does too)."""
    await redis.delete(LoginAttempts.key_for_name(name))
