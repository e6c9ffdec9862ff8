"""The supervisors' JSON API (bearer tokens): surge messages, presets, the audit trail and live queue figures.

Every route carries console.auth's middleware; reading needs a token with the "read" scope, changing anything the
"supervisor" scope (Starlette's `requires`).
"""

from __future__ import annotations

import datetime as dt
import json

from pydantic import ValidationError
from starlette.authentication import requires
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from callbacks.service import STATES, CallbackError
from console import service
from console.auth import token_required
from console.errors import UNPROCESSABLE, http_status
from console.tickets import TicketChangeError
from core.ids import ID_PARAM
from surge.models import AnnouncementCreate
from surge.service import AnnouncementError

AUTH = token_required()


def _actor(request: Request) -> str:
    return request.user.display_name


async def _json(request: Request) -> dict:
    try:
        body = json.loads(await request.body() or b"{}")
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise HTTPException(400, "the body must be JSON") from None
    if not isinstance(body, dict):
        raise HTTPException(400, "the body must be a JSON object")
    return body


def _refused(error: str, field: str, status_code: int = 422) -> JSONResponse:
    # Every refusal has one shape: what is wrong, and which field (or path part) to change.
    return JSONResponse({"error": error, "field": field}, status_code=status_code)


def _error(exc: Exception) -> JSONResponse:
    if isinstance(exc, AnnouncementError):
        return _refused(str(exc), exc.field)
    errors = [{"field": ".".join(map(str, e["loc"])), "error": e["msg"]} for e in exc.errors()]
    return JSONResponse({"error": "invalid message", "details": errors}, status_code=422)


@requires("read")
async def list_announcements(request: Request) -> JSONResponse:
    return JSONResponse(await service.list_announcements(request.app.state.ctx))


@requires("supervisor")
async def create_announcement(request: Request) -> JSONResponse:
    actor = _actor(request)
    try:
        data = AnnouncementCreate.model_validate(await _json(request))
        return JSONResponse(await service.create_announcement(request.app.state.ctx, data, actor), status_code=201)
    except (AnnouncementError, ValidationError) as exc:
        return _error(exc)


@requires("supervisor")
async def end_announcement(request: Request) -> JSONResponse:
    actor = _actor(request)
    found = await service.end_announcement(request.app.state.ctx, request.path_params["id"], actor)
    if found is None:
        raise HTTPException(404, "no such announcement")
    return JSONResponse(found)


@requires("supervisor")
async def apply_preset(request: Request) -> JSONResponse:
    actor = _actor(request)
    try:
        created = await service.apply_preset(request.app.state.ctx, request.path_params["name"], actor)
    except AnnouncementError as exc:
        return _refused(str(exc), exc.field, 404)
    return JSONResponse(created, status_code=201)


@requires("supervisor")
async def end_preset(request: Request) -> JSONResponse:
    actor = _actor(request)
    try:
        ended = await service.end_preset(request.app.state.ctx, request.path_params["name"], actor)
    except AnnouncementError as exc:
        return _refused(str(exc), exc.field, 404)
    return JSONResponse(ended)


@requires("supervisor")
async def all_clear(request: Request) -> JSONResponse:
    actor = _actor(request)
    return JSONResponse(await service.all_clear(request.app.state.ctx, actor))


@requires("read")
async def audit(request: Request) -> JSONResponse:
    raw_words = "supervisor" in request.auth.scopes
    return JSONResponse(await service.audit_trail(request.app.state.ctx, raw_words=raw_words))


@requires("supervisor")
async def ticket_status(request: Request) -> JSONResponse:
    actor = _actor(request)
    body = await _json(request)
    try:
        ticket = await service.set_ticket_status(
            request.app.state.ctx,
            request.path_params["number"],
            str(body.get("status", "")),
            str(body.get("note", ""))[:1000],
            actor,
        )
    except TicketChangeError as exc:
        return _refused(str(exc), exc.field)
    if ticket is None:
        raise HTTPException(404, "no such ticket")
    return JSONResponse(ticket)


@requires("read")
async def daily_report(request: Request) -> JSONResponse:
    try:
        day = dt.date.fromisoformat(request.query_params["date"]) if "date" in request.query_params else None
    except ValueError:
        return _refused("date must look like 2026-11-23", "date")
    return JSONResponse(await service.daily_report(request.app.state.ctx, day))


@requires("read")
async def queues(request: Request) -> JSONResponse:
    return JSONResponse(await service.queues(request.app.state.ctx))


@requires("read")
async def list_callbacks(request: Request) -> JSONResponse:
    state = request.query_params.get("state", "upcoming")
    if state not in STATES:
        return _refused(f"state must be one of {', '.join(STATES)}", "state")
    return JSONResponse(await service.list_callbacks(request.app.state.ctx, state))


def _callback_error(exc: CallbackError) -> JSONResponse:
    status = http_status(exc)
    return _refused(str(exc), "due_at" if status == UNPROCESSABLE else "id", status)


@requires("supervisor")
async def cancel_callback(request: Request) -> JSONResponse:
    actor = _actor(request)
    try:
        found = await service.cancel_callback(request.app.state.ctx, request.path_params["id"], actor)
    except CallbackError as exc:
        return _callback_error(exc)
    if found is None:
        raise HTTPException(404, "no call-back waiting with this id")
    return JSONResponse(found)


@requires("supervisor")
async def reschedule_callback(request: Request) -> JSONResponse:
    actor = _actor(request)
    body = await _json(request)
    try:
        due_at = dt.datetime.fromisoformat(str(body.get("due_at", "")))
    except ValueError:
        due_at = None
    if due_at is None or due_at.tzinfo is None:
        return _refused("due_at must be a time with its offset, like 2026-11-18T09:00:00-06:00", "due_at")
    try:
        moved = await service.reschedule_callback(request.app.state.ctx, request.path_params["id"], due_at,
                                                  actor)
    except CallbackError as exc:
        return _callback_error(exc)
    return JSONResponse(moved)


routes = [
    Route("/api/announcements", list_announcements, methods=["GET"], middleware=AUTH),
    Route("/api/announcements", create_announcement, methods=["POST"], middleware=AUTH),
    Route(f"/api/announcements/{ID_PARAM}", end_announcement, methods=["DELETE"], middleware=AUTH),
    Route("/api/presets/{name}", apply_preset, methods=["POST"], middleware=AUTH),
    Route("/api/presets/{name}", end_preset, methods=["DELETE"], middleware=AUTH),
    Route("/api/all-clear", all_clear, methods=["POST"], middleware=AUTH),
    Route("/api/audit", audit, methods=["GET"], middleware=AUTH),
    Route("/api/queues", queues, methods=["GET"], middleware=AUTH),
    Route("/api/reports/daily", daily_report, methods=["GET"], middleware=AUTH),
    Route("/api/tickets/{number}/status", ticket_status, methods=["POST"], middleware=AUTH),
    Route("/api/callbacks", list_callbacks, methods=["GET"], middleware=AUTH),
    Route(f"/api/callbacks/{ID_PARAM}/cancel", cancel_callback, methods=["POST"], middleware=AUTH),
    Route(f"/api/callbacks/{ID_PARAM}/reschedule", reschedule_callback, methods=["POST"], middleware=AUTH),
]
