"""Signing in and out: a CSRF-checked form, throttled per name and address, and a signed session cookie."""

from __future__ import annotations

import secrets

from starlette.authentication import requires
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from console import accounts
from console.pages.forms import checked_form, text
from console.pages.render import page
from console.pages.session_auth import LOGIN, sessions
from console.sessions import COOKIE
from console.signing import sign, unsign
from console.throttle import LoginAttempts
from core.defaults import CONSOLE_SESSION_SECONDS

LOGIN_COOKIE = "oc_console_login"  # the sign-in form's CSRF token, before there is a session to hold one
_PURPOSE = "console-login"
HOME = "/console/live"
DESK = "/console/desk"  # an agent's own page
WRONG = "The name or the password is wrong."


def _cookie_options(request: Request) -> dict:
    return {"path": "/console", "httponly": True, "samesite": "strict", "secure": request.url.scheme == "https"}


def _next(value: str) -> str:
    # Only back to a console page of this server: never another site, never the sign-in page itself.
    if not value.startswith("/console/") or value.startswith(LOGIN) or "//" in value or "\\" in value:
        return HOME
    return value


def _form(
    request: Request, *, status_code: int = 200, error: str = "", name: str = "", notice: str = "", going: str = ""
) -> Response:
    token = secrets.token_urlsafe(24)
    response = page(
        request,
        "login.html",
        status_code=status_code,
        csrf=token,
        error=error,
        name=name,
        notice=notice,
        next=_next(going or request.query_params.get("next", "")),
    )
    secret = request.app.state.ctx.settings.console_secret
    response.set_cookie(LOGIN_COOKIE, sign(secret, _PURPOSE, token), max_age=3600, **_cookie_options(request))
    return response


async def login_form(request: Request) -> Response:
    """The sign-in page."""
    notice = "You are signed out." if request.query_params.get("out") else ""
    return _form(request, notice=notice)


async def login(request: Request) -> Response:
    """Check the name and password (throttled), then start a session and go where the person was going."""
    ctx = request.app.state.ctx
    form = await request.form(max_files=0, max_fields=10)
    name, password, going = text(form, "name"), str(form.get("password", "")), text(form, "next")
    expected = unsign(ctx.settings.console_secret, _PURPOSE, request.cookies.get(LOGIN_COOKIE, ""))
    if expected is None or not secrets.compare_digest(expected.encode(), str(form.get("csrf", "")).encode()):
        return _form(
            request, status_code=400, name=name, going=going, error="The sign-in form had expired. Please try again."
        )
    address = request.client.host if request.client else "unknown"
    attempts = LoginAttempts(ctx.redis, name, address)
    if wait := await attempts.reserve(now=int(ctx.now().timestamp())):
        minutes = max(1, -(-wait // 60))
        error = (
            f"Too many failed sign-ins for this name from here, or from this address. Try again in {minutes} "
            f"minute{'s' if minutes > 1 else ''}, or ask an administrator to lift the lock."
        )
        return _form(request, status_code=429, name=name, error=error, going=going)
    who = await accounts.login(ctx, name=name, password=password)
    if who is None:
        if attempts.lock_began:
            await accounts.locked_out(ctx, name=name, address=address)
        return _form(request, status_code=401, name=name, error=WRONG, going=going)
    await attempts.succeeded()
    cookie, _ = await sessions(request).start(who, ctx.now())
    target = _next(going)
    if who.agent and target == HOME:
        target = DESK  # an agent signing in starts on their own page
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(COOKIE, cookie, max_age=CONSOLE_SESSION_SECONDS, **_cookie_options(request))
    response.delete_cookie(LOGIN_COOKIE, **_cookie_options(request))
    return response


@requires("console")
async def logout(request: Request) -> Response:
    """End the session everywhere and forget the cookie."""
    await checked_form(request)
    await sessions(request).end(request.user.session.id)
    response = RedirectResponse(f"{LOGIN}?out=1", status_code=303)
    response.delete_cookie(COOKIE, **_cookie_options(request))
    return response


@requires("console")
async def home(request: Request) -> Response:
    """The console's front door: the live figures, which every role may see."""
    return RedirectResponse(DESK if "desk" in request.auth.scopes else HOME, status_code=303)
