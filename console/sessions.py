"""Signed-in browser sessions: kept in Redis, named by a signed cookie that also carries its expiry."""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

from redis.asyncio import Redis

from console.accounts import SignedIn
from console.signing import sign, unsign
from core.defaults import CONSOLE_SESSION_SECONDS

COOKIE = "oc_console"
_PURPOSE = "console-session"


@dataclass(frozen=True)
class ConsoleSession:
    """One browser's sign-in: whose it is, the token its forms carry, and when it ends."""

    id: str
    account_id: int
    session_stamp: str
    csrf: str
    expires: dt.datetime


class ConsoleSessions:
    """Sessions in Redis (so signing out, or any process, ends one at once); the cookie is `id.expiry.signature`."""

    def __init__(self, redis: Redis, secret: str) -> None:
        self.redis = redis
        self.secret = secret

    @staticmethod
    def key_for(session_id: str) -> str:
        """The Redis key holding one session."""
        return f"console:session:{session_id}"

    async def start(self, who: SignedIn, now: dt.datetime) -> tuple[str, ConsoleSession]:
        """A new session for the account; returns the cookie value and the session."""
        found = ConsoleSession(
            id=secrets.token_urlsafe(24),
            account_id=who.id,
            session_stamp=who.session_stamp,
            csrf=secrets.token_urlsafe(24),
            expires=now + dt.timedelta(seconds=CONSOLE_SESSION_SECONDS),
        )
        fields = {"account_id": str(who.id), "session_stamp": who.session_stamp, "csrf": found.csrf}
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hset(self.key_for(found.id), mapping=fields).expire(self.key_for(found.id), CONSOLE_SESSION_SECONDS)
            await pipe.execute()
        cookie = sign(self.secret, _PURPOSE, f"{found.id}.{int(found.expires.timestamp())}")
        return cookie, found

    async def find(self, cookie: str, now: dt.datetime) -> ConsoleSession | None:
        """The session a cookie names, if its signature holds, it has not expired and it was not ended."""
        value = unsign(self.secret, _PURPOSE, cookie)
        if value is None:
            return None
        session_id, _, expires = value.rpartition(".")
        if not expires.isdigit() or int(expires) <= now.timestamp():
            return None
        fields = await self.redis.hgetall(self.key_for(session_id))
        if not fields:
            return None
        return ConsoleSession(
            id=session_id,
            account_id=int(fields["account_id"]),
            session_stamp=fields["session_stamp"],
            csrf=fields["csrf"],
            expires=dt.datetime.fromtimestamp(int(expires), dt.UTC),
        )

    async def end(self, session_id: str) -> None:
        """Sign out: the session is refused from now on, whoever still holds its cookie."""
        await self.redis.delete(self.key_for(session_id))
