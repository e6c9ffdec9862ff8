"""The voice-messages pages: messages residents left instead of waiting (not yet handled first), to listen to, mark
handled, or answer with a ticket or a call-back.

Residents' messages are personal data: reading them needs the "supervisor" scope as well as acting on them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from urllib.parse import urlencode

from starlette.authentication import requires
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from console import recordings, tickets, voicemails
from console.pages.forms import checked_form, text
from console.pages.recording import play
from console.pages.render import page
from console.pages.request_form import ASAP, callback_time, intake_problem, required_details
from console.pages.tickets import page_number
from console.voicemails import PAGE_SIZE, VoicemailError
from core.phones import mask
from crm_bridge.service import IntakeError

HERE = "/console/voicemails"


def age(created: dt.datetime, now: dt.datetime) -> str:
    """How long ago, in the words a supervisor scans a list by."""
    minutes = max(0, int((now - created).total_seconds() // 60))
    if minutes < 1:
        return "just now"
    if minutes < 60:
        return f"{minutes} min ago"
    hours = minutes // 60
    if hours < 48:
        return f"{hours} h {minutes % 60:02d} min ago" if hours < 6 else f"{hours} h ago"
    return f"{hours // 24} days ago"


def _language_names(request: Request) -> dict[str, str]:
    return {language.code: language.name for language in request.app.state.ctx.settings.languages}


def _page_number(raw: str) -> int:
    return page_number(raw, voicemails.MAX_PAGE)


@requires("supervisor")
async def voicemails_page(request: Request) -> Response:
    """Every voice message: those not yet handled first, newest first; language, masked caller, age, a player."""
    ctx = request.app.state.ctx
    number = _page_number(request.query_params.get("page", "1"))
    found = await voicemails.find(ctx, number=number)
    return page(
        request,
        "voicemails.html",
        found=found,
        number=number,
        size=PAGE_SIZE,
        pages=max(1, -(-found.total // PAGE_SIZE)),
        now=ctx.now(),
        age=age,
        mask=mask,
        languages=_language_names(request),
        playable=lambda url: recordings.playable(ctx.settings, url),
        linkable=recordings.linkable,
        done=_done(request),
    )


@dataclass
class AnswerForm:
    """The voice message page's forms as typed, and what is wrong with them."""

    service_code: str = ""
    address: str = ""
    description: str = ""
    when: str = ASAP
    attributes: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)


async def _detail(request: Request, form: AnswerForm, *, status_code: int = 200) -> Response:
    ctx = request.app.state.ctx
    row = await voicemails.one(ctx, voicemail_id=request.path_params["id"])
    if row is None:
        raise HTTPException(404, "There is no such voice message.")
    times = await voicemails.times(ctx)
    return page(
        request,
        "voicemail.html",
        status_code=status_code,
        row=row,
        form=form,
        now=ctx.now(),
        age=age,
        caller=mask(row.caller or ""),
        language=_language_names(request).get(row.language, row.language),
        types=tickets.type_names(ctx),
        asked=required_details(ctx),
        asap=ASAP,
        times=[(t.isoformat(), t) for t in times],
        playable=recordings.playable(ctx.settings, row.recording_url),
        linkable=recordings.linkable(row.recording_url),
        done=_done(request),
    )


@requires("supervisor")
async def voicemail_page(request: Request) -> Response:
    """One voice message: listen, mark handled, open a ticket from it, or book a call-back."""
    return await _detail(request, AnswerForm())


@requires("supervisor")
async def mark_handled(request: Request) -> Response:
    """Mark the message dealt with (from the list or its page)."""
    await checked_form(request)
    try:
        await voicemails.handled(
            request.app.state.ctx, voicemail_id=request.path_params["id"], actor=request.user.actor
        )
    except LookupError:
        raise HTTPException(404, "There is no such voice message.") from None
    return RedirectResponse(f"{HERE}?{urlencode({'done': 'handled'})}#done", status_code=303)


@requires("supervisor")
async def open_ticket(request: Request) -> Response:
    """Open a ticket from the message (type, address, description); a mistake keeps what was typed."""
    posted, ctx = await checked_form(request), request.app.state.ctx
    form = AnswerForm(
        service_code=text(posted, "service_code"),
        address=text(posted, "address"),
        description=text(posted, "description"),
        attributes={code: text(posted, f"attr-{code}") for _, code, _, _ in required_details(ctx)},
    )
    if form.service_code not in tickets.type_names(ctx):
        form.errors["service_code"] = "choose the type of problem"
        return await _detail(request, form, status_code=422)
    try:
        ticket = await voicemails.open_ticket(
            ctx,
            voicemail_id=request.path_params["id"],
            service_code=form.service_code,
            address=form.address,
            description=form.description,
            attributes=form.attributes,
            actor=request.user.actor,
        )
    except LookupError:
        raise HTTPException(404, "There is no such voice message.") from None
    except IntakeError as exc:
        name, why = intake_problem(exc)
        form.errors[name] = why
        return await _detail(request, form, status_code=422)
    return RedirectResponse(f"/console/tickets/{ticket.number}?{urlencode({'done': 'opened'})}#done", status_code=303)


@requires("supervisor")
async def book_callback(request: Request) -> Response:
    """Book a call-back to the caller at a free time, or as soon as an agent is free."""
    posted, ctx = await checked_form(request), request.app.state.ctx
    form = AnswerForm(when=text(posted, "when") or ASAP)
    try:
        when = callback_time(form.when)
    except ValueError as exc:
        form.errors["when"] = str(exc)
        return await _detail(request, form, status_code=422)
    try:
        _, updated = await voicemails.book_callback(
            ctx, voicemail_id=request.path_params["id"], when=when, actor=request.user.actor
        )
    except LookupError:
        raise HTTPException(404, "There is no such voice message.") from None
    except VoicemailError as exc:
        form.errors[exc.field] = str(exc)
        return await _detail(request, form, status_code=422)
    return RedirectResponse(f"{HERE}?{urlencode({'done': 'moved' if updated else 'booked'})}#done", status_code=303)


@requires("supervisor")
async def recording(request: Request) -> Response:
    """The message's audio, fetched from Twilio with the account's credentials (never the browser's)."""
    ctx = request.app.state.ctx
    row = await voicemails.one(ctx, voicemail_id=request.path_params["id"])
    if row is None:
        raise HTTPException(404, "There is no such voice message.")
    return await play(ctx.settings, row.recording_url)


def _done(request: Request) -> str:
    """The line confirming the last change (fixed words: nothing typed is reflected)."""
    return {
        "handled": "The voice message is marked handled.",
        "booked": "The call-back is booked and the voice message marked handled.",
        "moved": "This number already had a call-back waiting; it was moved to the new time. The voice message is "
        "marked handled.",
    }.get(request.query_params.get("done", ""), "")
