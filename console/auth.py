"""Who is calling the supervisors' API: bearer tokens through Starlette's authentication, throttled per address."""

from __future__ import annotations

from redis.asyncio import Redis
from starlette.authentication import AuthCredentials, AuthenticationBackend, AuthenticationError, SimpleUser
from starlette.middleware import Middleware
from starlette.middleware.authentication import AuthenticationMiddleware
from starlette.requests import HTTPConnection
from starlette.responses import JSONResponse, Response

from console import service, tokens
from core.defaults import API_TOKEN_FAILURE_WINDOW, API_TOKEN_FAILURES

NEEDS_TOKEN = "a valid API token is required (Authorization: Bearer ...)"


class BadTokens:
    """Bad tokens presented from one client address, counted in Redis over a fixed window."""

    def __init__(self, redis: Redis, address: str) -> None:
        self.redis = redis
        self.key = self.key_for(address)

    @staticmethod
    def key_for(address: str) -> str:
        """The Redis key counting one address's bad tokens."""
        return f"api:bad-tokens:{address}"

    async def retry_after(self) -> int | None:
        """Seconds this address must wait before its tokens are looked at again, or None."""
        if int(await self.redis.get(self.key) or 0) < API_TOKEN_FAILURES:
            return None
        return max(1, await self.redis.ttl(self.key))

    async def count(self) -> None:
        """One more bad token; the first starts the window."""
        async with self.redis.pipeline(transaction=True) as pipe:
            await pipe.set(self.key, 0, ex=API_TOKEN_FAILURE_WINDOW, nx=True).incr(self.key).execute()


class Throttled(AuthenticationError):
    """Too many bad tokens from this address lately."""

    def __init__(self, retry_after: int) -> None:
        super().__init__("too many bad API tokens from this address; try again later")
        self.retry_after = retry_after


class TokenBackend(AuthenticationBackend):
    """A bearer token's holder and scopes; a missing or bad token is refused before any endpoint runs."""

    def __init__(self) -> None:
        tokens.dummy_hash()  # computed now, so the first unknown token takes no longer than any other

    async def authenticate(self, conn: HTTPConnection) -> tuple[AuthCredentials, SimpleUser]:
        ctx = conn.app.state.ctx
        bad = BadTokens(ctx.redis, conn.client.host if conn.client else "unknown")
        if (wait := await bad.retry_after()) is not None:
            raise Throttled(wait)
        scheme, _, token = conn.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise AuthenticationError(NEEDS_TOKEN)
        holder = await service.authenticate(ctx, token.strip())
        if holder is None:
            await bad.count()
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
