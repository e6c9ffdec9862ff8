"""The call-backs page: upcoming, being dialled and failed call-backs; supervisors cancel one or move it to a time.

Changes go through console.service (callbacks.service underneath), so the page applies exactly the rules the API and
the IVR apply (agent hours, not in the past, never one being placed) and every change lands in the audit trail.
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

from starlette.authentication import requires
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from callbacks.models import Callback, CallbackKind
from callbacks.service import CallbackError, Refusal
from console import service
from console.errors import http_status
from console.pages.forms import checked_form, text
from console.pages.render import page
from core.phones import mask
from crm_bridge.ticket_numbers import printed

HERE = "/console/callbacks"
DONE = {
    "cancelled": "The call-back is cancelled: nobody will be called.",
    "moved": "The call-back is moved: it will be placed at the new time.",
}
# What a refusal by callbacks.service means, said to a supervisor (the reason codes are the service's).
REFUSED = {
    Refusal.PAST: "This time has already passed: choose a later one.",
    Refusal.OUTSIDE_HOURS: "Agents are not answering then: choose a time inside agent hours.",
    Refusal.IN_PROGRESS: "This call-back is being dialled right now; it can no longer be changed.",
    Refusal.NOT_FOUND: "This call-back is no longer waiting (placed, cancelled or done); reload the page.",
}
OUTCOMES = {
    "answered": "answered, not put through",
    "machine": "an answering machine",
    "busy": "busy",
    "no-answer": "no answer",
    "failed": "could not be placed",
}
SOURCES = {"queue": "left the queue", "menu": "from the menu", "sms": "by text", "ticket": "about a request"}


def _shown(row: Callback, last_outcome: str | None, queues: dict[str, str]) -> dict:
    """One call-back as the page shows it: the number masked, why it was asked for, the last try."""
    why = [f"request {printed(row.ticket_number)}"] if row.ticket_number else []
    if row.topic:
        why.append(row.topic.replace("-", " "))
    return {
        "id": row.id,
        "phone": mask(row.phone),
        "language": row.language,
        "queue": queues.get(row.language, row.language),
        "keep_place": row.kind == CallbackKind.KEEP_PLACE and row.attempts == 0,
        "status": row.status,
        "joined_at": row.joined_at,
        "due_at": row.next_attempt_at or row.due_at,
        "why": ", ".join(why) or "a person",
        "source": SOURCES.get(row.source, row.source),
        "attempts": row.attempts,
        "last_outcome": OUTCOMES.get(last_outcome or "", last_outcome or "no outcome recorded"),
        "updated_at": row.updated_at,
        "ended_at": row.ended_at,
    }


async def _render(
    request: Request, *, status_code: int = 200, typed: dict | None = None, errors: dict | None = None
) -> Response:
    ctx = request.app.state.ctx
    queues = ctx.settings.queue.names
    found = await service.callback_lists(ctx)
    lists = {state: [_shown(row, outcome, queues) for row, outcome in rows] for state, rows in found.items()}
    return page(
        request,
        "callbacks.html",
        status_code=status_code,
        upcoming=lists["upcoming"],
        in_progress=lists["in_progress"],
        failed=lists["failed"],
        typed=typed or {},
        errors=errors or {},
        done=DONE.get(request.query_params.get("done", ""), ""),
        may_change="callbacks" in request.auth.scopes,
    )


def _back(done: str) -> Response:
    # Post/redirect/get: reloading the page never repeats the change.
    return RedirectResponse(f"{HERE}?{urlencode({'done': done})}#done", status_code=303)


@requires("read")
async def callbacks_page(request: Request) -> Response:
    """Call-backs upcoming, being dialled and failed; for supervisors, cancel and reschedule."""
    return await _render(request)


@requires("callbacks")
async def cancel(request: Request) -> Response:
    """Cancel one call-back (confirmed on the page first); audited under the supervisor's name."""
    await checked_form(request)
    callback_id = request.path_params["id"]
    try:
        found = await service.cancel_callback(request.app.state.ctx, callback_id, request.user.actor)
    except CallbackError as exc:
        errors = {callback_id: REFUSED.get(exc.reason, str(exc))}
        return await _render(request, status_code=http_status(exc), errors=errors)
    if found is None:
        return await _render(request, status_code=404, errors={callback_id: REFUSED[Refusal.NOT_FOUND]})
    return _back("cancelled")


def parse_local(value: str, zone) -> dt.datetime | None:
    """A date and time typed in the city's time zone ("2026-11-18T09:00", as a datetime-local field sends it)."""
    try:
        moment = dt.datetime.fromisoformat(value.replace(" ", "T", 1))
    except ValueError:
        return None
    return moment.replace(tzinfo=zone) if moment.tzinfo is None else moment


@requires("callbacks")
async def reschedule(request: Request) -> Response:
    """Move one call-back to a date and time in the city's time zone; a refusal is shown by the field, as typed."""
    posted = await checked_form(request)
    ctx, callback_id = request.app.state.ctx, request.path_params["id"]
    typed = text(posted, "due_at")[:40]
    due_at = parse_local(typed, ctx.settings.timezone) if typed else None
    if due_at is None:
        problem = "Give a date and a time, like 2026-11-18 09:00." if typed else "Choose the new date and time."
        return await _render(request, status_code=422, typed={callback_id: typed}, errors={callback_id: problem})
    try:
        await service.reschedule_callback(ctx, callback_id, due_at, request.user.actor)
    except CallbackError as exc:
        return await _render(
            request,
            status_code=http_status(exc),
            typed={callback_id: typed},
            errors={callback_id: REFUSED.get(exc.reason, str(exc))},
        )
    return _back("moved")
