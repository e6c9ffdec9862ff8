"""Sign-in throttling: failures counted in Redis per account name and per client address, locking both a while."""

from __future__ import annotations

import hashlib

from redis.asyncio import Redis

from core.defaults import (
    CONSOLE_LOGIN_FAILURES_PER_ACCOUNT,
    CONSOLE_LOGIN_FAILURES_PER_ADDRESS,
    CONSOLE_LOGIN_WINDOW_SECONDS,
)

# A success clears the name and gives the address its attempt back, unless its window ended meanwhile (a DECR
# would then leave a -1 that never expires).
_SUCCEEDED = """
redis.call('DEL', KEYS[1])
if redis.call('EXISTS', KEYS[2]) == 1 then redis.call('DECR', KEYS[2]) end
"""


class LoginAttempts:
    """One sign-in's counters. Each attempt is counted before the password is checked, so parallel guesses get no
    extra tries; a success gives its attempt back. Names are counted whether or not an account has them, so a lock
    says nothing about which names exist."""

    def __init__(self, redis: Redis, name: str, address: str) -> None:
        self.redis = redis
        self.name_key = self.key_for_name(name)
        self.address_key = self.key_for_address(address)

    @staticmethod
    def key_for_name(name: str) -> str:
        """The Redis key counting one account name's failures (hashed: the name is whatever was typed)."""
        folded = " ".join(name.split()).casefold().encode()
        return f"console:login:name:{hashlib.sha256(folded).hexdigest()[:32]}"

    @staticmethod
    def key_for_address(address: str) -> str:
        """The Redis key counting one client address's failures."""
        return f"console:login:address:{address}"

    async def locked_for(self) -> int | None:
        """Seconds until this name and address may try again, or None when they may now."""
        name_count, address_count = await self.redis.mget(self.name_key, self.address_key)
        waits = []
        if int(name_count or 0) >= CONSOLE_LOGIN_FAILURES_PER_ACCOUNT:
            waits.append(await self.redis.ttl(self.name_key))
        if int(address_count or 0) >= CONSOLE_LOGIN_FAILURES_PER_ADDRESS:
            waits.append(await self.redis.ttl(self.address_key))
        return max(1, *waits) if waits else None

    async def reserve(self) -> bool:
        """Count this attempt on both counters (the first starts the window); False when either is used up."""
        async with self.redis.pipeline(transaction=True) as pipe:
            for key in (self.name_key, self.address_key):
                pipe.set(key, 0, ex=CONSOLE_LOGIN_WINDOW_SECONDS, nx=True).incr(key)
            _, by_name, _, by_address = await pipe.execute()
        return by_name <= CONSOLE_LOGIN_FAILURES_PER_ACCOUNT and by_address <= CONSOLE_LOGIN_FAILURES_PER_ADDRESS

    async def now_locked(self) -> bool:
        """Whether the attempt just counted used up the name's tries (the moment to tell the audit trail)."""
        return int(await self.redis.get(self.name_key) or 0) == CONSOLE_LOGIN_FAILURES_PER_ACCOUNT

    async def succeeded(self) -> None:
        """The right password: the name starts afresh and the address gets its attempt back."""
        await self.redis.eval(_SUCCEEDED, 2, self.name_key, self.address_key)

    async def unlock(self) -> None:
        """An administrator lifts the name's lock (a new password does too)."""
        await self.redis.delete(self.name_key)
