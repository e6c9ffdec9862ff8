"""Who is using the console in a browser: a signed session cookie through Starlette's authentication, per route."""

from __future__ import annotations

from urllib.parse import urlencode

from starlette.authentication import AuthCredentials, AuthenticationBackend, AuthenticationError, BaseUser
from starlette.middleware import Middleware
from starlette.middleware.authentication import AuthenticationMiddleware
from starlette.requests import HTTPConnection
from starlette.responses import PlainTextResponse, RedirectResponse, Response

from console import accounts
from console.accounts import SignedIn
from console.sessions import COOKIE, ConsoleSession, ConsoleSessions

LOGIN = "/console/login"


class ConsoleUser(BaseUser):
    """A signed-in account, with its session (for signing out and for the CSRF token its forms carry)."""

    def __init__(self, who: SignedIn, session: ConsoleSession) -> None:
        self.who = who
        self.session = session

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def display_name(self) -> str:
        return self.who.name

    @property
    def role(self) -> str:
        return self.who.role.label

    @property
    def csrf(self) -> str:
        return self.session.csrf

    @property
    def actor(self) -> str:
        """How the audit trail names this person's changes."""
        return f"{self.who.name} (console)"


def sessions(conn: HTTPConnection) -> ConsoleSessions:
    """The session store for this app."""
    ctx = conn.app.state.ctx
    return ConsoleSessions(ctx.redis, ctx.settings.console_secret)


class SessionBackend(AuthenticationBackend):
    """The account behind the session cookie, checked on every request: a disabled account, a new password or role,
    or signing out ends the session at once."""

    async def authenticate(self, conn: HTTPConnection) -> tuple[AuthCredentials, ConsoleUser]:
        ctx = conn.app.state.ctx
        cookie = conn.cookies.get(COOKIE, "")
        found = await sessions(conn).find(cookie, ctx.now()) if cookie else None
        if found is None:
            raise AuthenticationError("please sign in")
        who = await accounts.session_holder(ctx, account_id=found.account_id, session_stamp=found.session_stamp)
        if who is None:
            await sessions(conn).end(found.id)
            raise AuthenticationError("please sign in again")
        return AuthCredentials(who.role.grants()), ConsoleUser(who, found)


def to_login(conn: HTTPConnection, exc: AuthenticationError) -> Response:
    """A page asked for without a session goes to the sign-in page and back; a stream or a script gets 401."""
    accept = conn.headers.get("accept", "")
    wants_page = conn.scope.get("method") == "GET" and "text/event-stream" not in accept and "json" not in accept
    if not wants_page:
        response: Response = PlainTextResponse(str(exc), status_code=401)
    else:
        target = conn.url.path + (f"?{conn.url.query}" if conn.url.query else "")
        response = RedirectResponse(f"{LOGIN}?{urlencode({'next': target})}", status_code=303)
    if COOKIE in conn.cookies:
        response.delete_cookie(COOKIE, path="/console", httponly=True, samesite="strict")
    return response


def signed_in() -> list[Middleware]:
    """The middleware the console's pages carry: no page is served before the session is checked."""
    return [Middleware(AuthenticationMiddleware, backend=SessionBackend(), on_error=to_login)]
