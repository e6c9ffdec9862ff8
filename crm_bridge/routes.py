"""Open311 GeoReport v2 under /open311/v2/: read the request, call one function, render JSON or XML.

Tokens are our ticket numbers (a POST answers with the number at once), so GET tokens/{token} resolves to itself.
POST requests checks its api_key before it reads the form when the key is in the query string, and as soon as the
api_key field has streamed in when it is in the form; every api_key a request carries must be valid.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Sequence

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import Scope

from core.context import AppContext
from core.db import run_db
from core.forms import FORM_TYPE, url_fields
from crm_bridge import catalogue, intake, key_guesses, open311, service
from crm_bridge.models import TicketCreate, TicketPublic
from crm_bridge.open311 import Open311Error

PREFIX = "/open311/v2"
FORMATS = ("json", "xml")
DEVICE_TTL = 30 * 86400  # a client retrying a POST within a month gets the first request back
DEVICE_PENDING = "-"
DEVICE_WAIT_SECONDS = 10.0


def _api(root: str):
    """Wrap a handler: pick the format from the path, turn Open311Error into the spec's error list."""

    def decorate(handler):
        @functools.wraps(handler)
        async def endpoint(request: Request) -> Response:
            fmt = request.path_params.get("fmt", "json")
            if fmt not in FORMATS:
                return _render(open311.errors(404, f"unknown format {fmt[:20]!r}: use .json or .xml"), "json", 404)
            try:
                data, status, *headers = await handler(request, request.app.state.ctx)
            except Open311Error as exc:
                errors = open311.errors(exc.status, exc.description)
                return _render(errors, fmt, exc.status, root="errors", headers=exc.headers)
            return _render(data, fmt, status, root=root, headers=headers[0] if headers else None)

        return endpoint

    return decorate


def _render(data: object, fmt: str, status: int, root: str = "errors", headers: dict | None = None) -> Response:
    if fmt == "xml":
        body = open311.to_xml(root, data)
        return Response(body, status_code=status, media_type="text/xml; charset=utf-8", headers=headers)
    return Response(open311.to_json(data), status_code=status, media_type="application/json", headers=headers)


def _lang(request: Request, ctx: AppContext) -> str:
    return open311.language(request.query_params.get("locale"), [lang.code for lang in ctx.settings.languages])


@_api("services")
async def services(request: Request, ctx: AppContext):
    """GET services: the service list."""
    return open311.service_list(catalogue.of(ctx), _lang(request, ctx)), 200


@_api("service_definition")
async def service_definition(request: Request, ctx: AppContext):
    """GET services/{code}: a service's attributes."""
    found = catalogue.of(ctx).get(request.path_params["code"])
    if found is None:
        raise Open311Error(404, f"unknown service_code {request.path_params['code'][:80]!r}")
    return open311.service_definition(found, _lang(request, ctx)), 200


@_api("service_requests")
async def create_request(request: Request, ctx: AppContext):
    """POST requests: open a request (api_key required; a repeated device_id and report returns the first)."""
    keys = ctx.settings.open311_api_keys
    try:
        form = await _form(request, keys)
        data, key = open311.read_post(form, keys, [lang.code for lang in ctx.settings.languages])
    except Open311Error as exc:
        if exc.status == 403:  # a wrong or missing api_key
            await key_guesses.wrong_key(ctx, request.client.host if request.client else "unknown")
        raise
    ticket = await _submit_once(ctx, data, key)
    return [open311.created(ticket, ctx.settings.timezone)], 201


@_api("service_requests")
async def list_requests(request: Request, ctx: AppContext):
    """GET requests: filtered, the last 90 days by default, a page at a time; a Link header names the next page."""
    query = open311.parse_query(request.query_params, now=ctx.now())
    lang, zone = _lang(request, ctx), ctx.settings.timezone
    found, more = await run_db(ctx.engine, _find, query=query, catalogue=catalogue.of(ctx), lang=lang, zone=zone)
    if not more:
        return found, 200
    following = request.url.include_query_params(page=query.page + 1)
    link = f"{ctx.settings.public_base_url}{following.path}?{following.query}"
    return found, 200, {"Link": f'<{link}>; rel="next"'}


@_api("service_requests")
async def get_request(request: Request, ctx: AppContext):
    """GET requests/{id}: one request."""
    ticket = await _lookup(ctx, request.path_params["id"])
    return open311.service_requests([ticket], catalogue.of(ctx), _lang(request, ctx), ctx.settings.timezone), 200


@_api("service_requests")
async def get_token(request: Request, ctx: AppContext):
    """GET tokens/{token}: a token is the ticket number, so it resolves to itself."""
    ticket = await _lookup(ctx, request.path_params["token"])
    return [open311.token(ticket.number)], 200


@_api("discovery")
async def discovery(request: Request, ctx: AppContext):
    """GET discovery: this endpoint's description."""
    return open311.discovery(ctx.settings.public_base_url, ctx.settings.city_name), 200


# ---------------------------------------------------------------- the work behind the handlers


async def _form(request: Request, keys: Sequence[str]) -> dict[str, str]:
    # A client without a valid key must not make us read and parse a large form: a key in the query string is
    # checked before the body is read, a key in the form as soon as its field is complete (clients sending long
    # descriptions put api_key first or in the query). The body itself is bounded by core.body_limit.
    in_query = request.query_params.get("api_key")
    if in_query is not None:
        open311.check_api_key(in_query, keys)
    fields: dict[str, str] = {}
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type == FORM_TYPE:
        async for name, value in url_fields(request.stream()):
            if name == "api_key":
                open311.check_api_key(value, keys)
            fields[name] = value
    else:  # multipart: Starlette parses it whole, within the body limit; read_post checks the key after
        form = await request.form()
        fields = {key: value for key, value in form.multi_items() if isinstance(value, str)}
    # Some clients put api_key in the query string of the POST; the form wins when both are there.
    return {"api_key": in_query or "", **fields}


def refusal(scope: Scope, status: int, reason: str) -> Response:
    """A body refused by its size or framing (core.body_limit), as the spec's error list in the path's format."""
    fmt = "xml" if scope["path"].endswith(".xml") else "json"
    return _render(open311.errors(status, reason), fmt, status)


async def _lookup(ctx: AppContext, number: str) -> TicketPublic:
    ticket = await intake.lookup(ctx, number.strip()[:20])
    if ticket is None:
        raise Open311Error(404, f"no request {number[:20]!r}")
    return ticket


def _find(session, *, query: open311.RequestQuery, catalogue, lang: str, zone) -> tuple[list[dict], bool]:
    # Shaped here, in the database thread: redacting a page of descriptions is CPU work. One ticket more than a page
    # is read to learn whether a next page exists.
    tickets = service.list_tickets(
        session,
        numbers_=list(query.numbers) or None,
        service_codes=list(query.service_codes) or None,
        start=query.start,
        end=query.end,
        statuses=list(query.statuses) or None,
        limit=query.page_size + 1,
        offset=(query.page - 1) * query.page_size,
    )
    page = [service.public(t) for t in tickets[: query.page_size]]
    return open311.service_requests(page, catalogue, lang, zone), len(tickets) > query.page_size


async def _submit(ctx: AppContext, data: TicketCreate) -> TicketPublic:
    try:
        return await intake.submit(ctx, data)
    except service.IntakeError as exc:
        raise Open311Error(400, f"{exc.code}: {exc}") from None


async def _submit_once(ctx: AppContext, data: TicketCreate, key: str | None) -> TicketPublic:
    """Open the request, or, for a repeat of a POST already handled (same device_id and report), return that one."""
    if key is None:
        return await _submit(ctx, data)
    name = f"open311:device:{key}"
    for _ in range(int(DEVICE_WAIT_SECONDS / 0.1)):
        # The placeholder makes a twin POST arriving at the same moment wait instead of opening a second ticket.
        if await ctx.redis.set(name, DEVICE_PENDING, nx=True, ex=60):
            try:
                ticket = await _submit(ctx, data)
            except BaseException:
                await ctx.redis.delete(name)
                raise
            await ctx.redis.set(name, ticket.number, ex=DEVICE_TTL)
            return ticket
        number = await ctx.redis.get(name)
        if number and number != DEVICE_PENDING:
            ticket = await intake.lookup(ctx, number)
            if ticket is not None:
                return ticket
            await ctx.redis.delete(name)  # the ticket it named is gone (database restored): open it again
            continue
        await asyncio.sleep(0.1)
    raise Open311Error(503, "the same request is still being opened; try again shortly")


routes = [
    Route(f"{PREFIX}/discovery.{{fmt}}", discovery, methods=["GET"]),
    Route(f"{PREFIX}/services.{{fmt}}", services, methods=["GET"]),
    Route(f"{PREFIX}/services/{{code}}.{{fmt}}", service_definition, methods=["GET"]),
    Route(f"{PREFIX}/requests.{{fmt}}", list_requests, methods=["GET"]),
    Route(f"{PREFIX}/requests.{{fmt}}", create_request, methods=["POST"]),
    Route(f"{PREFIX}/requests/{{id}}.{{fmt}}", get_request, methods=["GET"]),
    Route(f"{PREFIX}/tokens/{{token}}.{{fmt}}", get_token, methods=["GET"]),
]
