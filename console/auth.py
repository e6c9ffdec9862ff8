"""Who is calling the supervisors' API: bearer tokens through Starlette's authentication, throttled per address."""

from __future__ import annotations

from redis.asyncio import Redis
from starlette.authentication import AuthCredentials, AuthenticationBackend, AuthenticationError, SimpleUser
from starlette.middleware import Middleware
from starlette.middleware.authentication import AuthenticationMiddleware
from starlette.requests import HTTPConnection
from starlette.responses import JSONResponse, Response

from console import service, tokens
from core import backoff
from core.defaults import API_TOKEN_FAILURE_WINDOW, API_TOKEN_FAILURES, FAILURE_MEMORY_SECONDS, LONGEST_LOCK_OUT_SECONDS

RULE = backoff.Rule(API_TOKEN_FAILURES, API_TOKEN_FAILURE_WINDOW, LONGEST_LOCK_OUT_SECONDS, FAILURE_MEMORY_SECONDS)
NEEDS_TOKEN = "a valid API token is required (Authorization: Bearer ...)"


class BadTokens:
    """Bad tokens presented from one client address, with growing lock-outs (core.backoff). Only bad tokens are
    counted and refused: a good token is always looked at, so guesses from an address never lock its owner out."""

    def __init__(self, redis: Redis, address: str) -> None:
        self.redis = redis
        self.ledger = backoff.Ledger(self.key_for(address), "", RULE)

    @staticmethod
    def key_for(address: str) -> str:
        """The Redis hash of one address's bad tokens ("v2": older versions kept a plain counter under the old name)."""
        return f"api:bad-tokens:v2:{address}"

    async def count(self, *, now: int) -> int:
        """One more bad token; seconds the address's bad tokens are refused for (0: this one is answered 401)."""
        return (await backoff.attempt(self.redis, (self.ledger,), now=now)).wait


class Throttled(AuthenticationError):
    """Too many bad tokens from this address lately (a good one is still accepted)."""

    def __init__(self, retry_after: int) -> None:
        super().__init__("too many bad API tokens from this address; try again later")
        self.retry_after = retry_after


class TokenBackend(AuthenticationBackend):
    """A bearer token's holder and scopes; a missing or bad token is refused before any endpoint runs."""

    def __init__(self) -> None:
        tokens.dummy_hash()  # computed now, so the first unknown token takes no longer than any other

    async def authenticate(self, conn: HTTPConnection) -> tuple[AuthCredentials, SimpleUser]:
        ctx = conn.app.state.ctx
        scheme, _, token = conn.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise AuthenticationError(NEEDS_TOKEN)
        # Every token is checked (one argon2 run, whatever the address did before); only a bad one is counted.
        holder = await service.authenticate(ctx, token.strip())
        if holder is None:
            bad = BadTokens(ctx.redis, conn.client.host if conn.client else "unknown")
            if wait := await bad.count(now=int(ctx.now().timestamp())):
                raise Throttled(wait)
            raise AuthenticationError(NEEDS_TOKEN)
        return AuthCredentials(holder.scope.grants()), SimpleUser(holder.name)


def refused(conn: HTTPConnection, exc: AuthenticationError) -> Response:
    """401 naming what is needed, or 429 with Retry-After when the address is throttled."""
    if isinstance(exc, Throttled):
        return JSONResponse({"error": str(exc)}, status_code=429, headers={"Retry-After": str(exc.retry_after)})
    return JSONResponse({"error": str(exc)}, status_code=401, headers={"WWW-Authenticate": "Bearer"})


def token_required() -> list[Middleware]:
    """The middleware a console route carries: every request is authenticated before it reaches the endpoint."""
    return [Middleware(AuthenticationMiddleware, backend=TokenBackend(), on_error=refused)]
