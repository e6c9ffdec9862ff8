"""The accounts page, for administrators: console accounts (create, role, password, disable, unlock) and API tokens
(create, shown once; revoke). Every change is audited under the administrator's name."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

from starlette.authentication import requires
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from console import accounts, throttle, tokens
from console.models import Role, TokenScope
from console.pages.forms import checked_form, text
from console.pages.render import page
from core.defaults import API_TOKEN_DAYS, API_TOKEN_MAX_DAYS, CONSOLE_PASSWORD_MIN_CHARS

HERE = "/console/accounts"
DONE = {
    "created": "The account was created: its owner can sign in now.",
    "role": "The role was changed; it applies from the account's next click.",
    "agent": "The account's agent was changed; it applies from the account's next click.",
    "password": "The password was changed; the account's sessions have ended and any lock is lifted.",
    "disabled": "The account is disabled; its sessions have ended.",
    "enabled": "The account may sign in again.",
    "unlocked": "Every sign-in lock on that name is lifted.",
    "revoked": "The token is revoked: it is refused from now on.",
}


async def _render(
    request: Request,
    *,
    status_code: int = 200,
    typed: dict | None = None,
    errors: dict | None = None,
    new_token: dict | None = None,
) -> Response:
    ctx = request.app.state.ctx
    people = await accounts.listed(ctx)
    now = _seconds(ctx)
    for person in people:
        locks = await throttle.locks_on(ctx.redis, person["name"], now=now)
        person["locks"] = [{"address": lock.address, "until": _moment(lock.until)} for lock in locks]
    held = await tokens.listed(ctx)
    return page(
        request,
        "accounts.html",
        status_code=status_code,
        people=people,
        held=held,
        roles=list(Role),
        agents=[agent.name for agent in ctx.settings.agents],
        scopes=list(TokenScope),
        typed=typed or {},
        errors=errors or {},
        new_token=new_token,
        done=DONE.get(request.query_params.get("done", ""), ""),
        min_password=CONSOLE_PASSWORD_MIN_CHARS,
        token_days=API_TOKEN_DAYS,
        max_days=API_TOKEN_MAX_DAYS,
    )


def _seconds(ctx) -> int:
    return int(ctx.now().timestamp())


def _moment(seconds: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(seconds, dt.UTC)


def _back(done: str) -> Response:
    return RedirectResponse(f"{HERE}?{urlencode({'done': done})}#done", status_code=303)


def _role(form: FormData) -> Role | None:
    try:
        return Role(text(form, "role"))
    except ValueError:
        return None


@requires("admin")
async def accounts_page(request: Request) -> Response:
    """Every account and API token, and the forms to add and change them."""
    return await _render(request)


@requires("admin")
async def create_account(request: Request) -> Response:
    """A new account; the password typed twice."""
    form = await checked_form(request)
    typed = {"name": str(form.get("name", "")), "role": text(form, "role")}
    password, again = str(form.get("password", "")), str(form.get("password_again", ""))
    role = _role(form)
    errors = {}
    if role is None:
        errors["role"] = "choose what the account may do"
    if password != again:
        errors["password_again"] = "the two passwords differ"
    if not errors:
        try:
            await accounts.create(
                request.app.state.ctx,
                name=typed["name"],
                role=role,
                password=password,
                actor=request.user.actor,
            )
        except accounts.AccountError as exc:
            errors[exc.field] = str(exc)
    if errors:
        return await _render(request, status_code=422, typed=typed, errors=errors)
    return _back("created")


@requires("admin")
async def change_account(request: Request) -> Response:
    """One change to an existing account: its role, its password, disabled or enabled, or its sign-in lock lifted."""
    form = await checked_form(request)
    ctx, actor, name, change = request.app.state.ctx, request.user.actor, text(form, "name"), text(form, "change")
    if name == request.user.display_name and change in ("role", "disable"):
        errors = {f"{change}:{name}": "you cannot demote or disable your own account; another administrator can"}
        return await _render(request, status_code=422, errors=errors)
    try:
        if change == "role":
            role = _role(form)
            if role is None:
                raise accounts.AccountError("role", "choose what the account may do")
            await accounts.change_role(ctx, name=name, role=role, actor=actor)
        elif change == "agent":  # issue 21: the [[agents]] name an agent account works as
            known = tuple(agent.name for agent in ctx.settings.agents)
            await accounts.linked(ctx, name=name, agent=text(form, "agent") or None, known=known, actor=actor)
        elif change == "password":
            await accounts.change_password(ctx, name=name, password=str(form.get("password", "")), actor=actor)
            await throttle.unlock(ctx.redis, name)
        elif change in ("disable", "enable"):
            await accounts.change_disabled(ctx, name=name, disabled=change == "disable", actor=actor)
        elif change == "unlock":
            locks = await throttle.locks_on(ctx.redis, name, now=_seconds(ctx))
            addresses = [lock.address for lock in locks]
            await accounts.unlocked(ctx, name=name, locked_from=addresses, actor=actor)
            await throttle.unlock(ctx.redis, name)
        else:
            raise accounts.AccountError("change", "unknown change")
    except accounts.AccountError as exc:
        return await _render(request, status_code=422, errors={f"{change}:{name}": str(exc)})
    return _back({"disable": "disabled", "enable": "enabled", "unlock": "unlocked"}.get(change, change))


@requires("admin")
async def create_token(request: Request) -> Response:
    """A new API token, shown on this page once."""
    form = await checked_form(request)
    ctx = request.app.state.ctx
    typed = {"token_name": text(form, "token_name"), "scope": text(form, "scope"), "days": text(form, "days")}
    errors = {}
    try:
        scope = TokenScope(typed["scope"])
    except ValueError:
        errors["scope"] = "choose what the token may do"
    if not typed["days"].isdigit():
        errors["days"] = f"a whole number of days, 1 to {API_TOKEN_MAX_DAYS}"
    if not typed["token_name"]:
        errors["token_name"] = "say who or what will hold the token"
    if not errors:
        try:
            token = await tokens.create(
                ctx,
                name=typed["token_name"],
                scope=scope,
                days=int(typed["days"]),
                actor=request.user.actor,
            )
            return await _render(request, new_token={"name": typed["token_name"], "token": token})
        except ValueError as exc:
            field, _, problem = str(exc).partition(": ")
            errors["token_name" if field == "name" else field] = problem
    return await _render(request, status_code=422, typed=typed, errors=errors)


@requires("admin")
async def revoke_token(request: Request) -> Response:
    """Refuse a token from now on."""
    form = await checked_form(request)
    ctx, name = request.app.state.ctx, text(form, "name")
    try:
        await tokens.revoke(ctx, name=name, actor=request.user.actor)
    except ValueError as exc:
        return await _render(request, status_code=422, errors={f"revoke:{name}": str(exc).partition(": ")[2]})
    return _back("revoked")
