"""The messages page: surge messages per language (greeting, queue, text footer), presets in two clicks, all clear.

Every change goes through console.service, which stores and audits it and moves the version key in Redis, so every
web process serves the new words on its next request; the page then shows what the next caller hears.
"""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import urlencode

from starlette.authentication import requires
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from console import preview, service
from console.pages.forms import checked_form, text
from console.pages.message_form import PRIORITY_RANGE, SCOPES, MessageForm
from console.pages.render import local_time, page
from surge import service as surge
from surge.cache import VERSION_KEY
from surge.models import Scope
from surge.service import MAX_TEXT, AnnouncementError

HERE = "/console/messages"


def _languages(request: Request) -> list[str]:
    return [language.code for language in request.app.state.ctx.settings.languages]


SCHEDULED_AT = re.compile(r"(\d{4}-\d{2}-\d{2} )?\d{2}:\d{2}")


def _done(request: Request) -> str:
    """The line confirming the last change, from the redirect's query (fixed words: nothing typed is reflected)."""
    done, presets = request.query_params.get("done", ""), surge.presets()
    count = request.query_params.get("count", "")
    count = count if count.isdigit() else "0"
    action, _, name = done.partition(":")
    if action in ("preset-on", "preset-off") and name not in presets:
        return ""
    at = request.query_params.get("at", "")
    at = at if SCHEDULED_AT.fullmatch(at) else ""  # a time we wrote, never words from the address bar
    said = {
        "created": "The message is on the air: the next call hears it.",
        "scheduled": f"The message is scheduled for {at} ({request.app.state.ctx.settings.city_name} time): "
        "calls hear it from then on." if at else "",
        "ended": "The message is off the air: the next call no longer hears it.",
        "preset-on": f"{name.capitalize()} is on: {count} messages on the air, heard from the next call on.",
        "preset-off": f"{name.capitalize()} is off: {count} messages taken off the air.",
        "all-clear": f"All clear: {count} messages taken off the air. Callers hear the ordinary greeting.",
    }
    return said.get(action, "")


async def _render(request: Request, form: MessageForm, *, status_code: int = 200, drafted=None) -> Response:
    ctx = request.app.state.ctx
    rows = await service.list_announcements(ctx)
    now = ctx.now()
    for row in rows:
        row["state"] = _state(row, now)
        row["preset"] = surge.preset_of(row["created_by"])
    presets = [
        {"name": name, "about": about, "rows": [r for r in rows if r["preset"] == name]}
        for name, about in surge.presets().items()
    ]
    return page(
        request,
        "messages.html",
        status_code=status_code,
        rows=rows,
        presets=presets,
        form=form,
        drafted=drafted,
        done=_done(request),
        heard=await preview.now(ctx),
        version=await ctx.redis.get(VERSION_KEY) or "0",
        languages=ctx.settings.languages,
        scopes=SCOPES,
        max_text=MAX_TEXT,
        priority_range=PRIORITY_RANGE,
        may_change="messages" in request.auth.scopes,
    )


def _state(row: dict, now: dt.datetime) -> str:
    starts = dt.datetime.fromisoformat(row["starts_at"]) if row["starts_at"] else None
    ends = dt.datetime.fromisoformat(row["ends_at"]) if row["ends_at"] else None
    if starts and starts.replace(tzinfo=starts.tzinfo or dt.UTC) > now:
        return "scheduled"
    if ends and ends.replace(tzinfo=ends.tzinfo or dt.UTC) <= now:
        return "over"
    return "on the air"


@requires("read")
async def messages_page(request: Request) -> Response:
    """The messages on the air, the presets, what callers hear now, and (for supervisors) the new-message form."""
    return await _render(request, MessageForm())


@requires("messages")
async def new_message(request: Request) -> Response:
    """Preview a draft, or put it on the air; a mistake shows the form again as typed, with what is wrong."""
    ctx = request.app.state.ctx
    posted = await checked_form(request)
    form = MessageForm.read(posted, _languages(request))
    data = form.checked(languages=_languages(request), zone=ctx.settings.timezone, now=ctx.now())
    if data is None:
        return await _render(request, form, status_code=422)
    if text(posted, "do") == "preview":
        return await _render(request, form, drafted=preview.draft(ctx, Scope(data.scope), data.texts))
    try:
        await service.create_announcement(ctx, data, request.user.actor)
    except AnnouncementError as exc:  # a rule surge checks at storing time only
        form.errors["texts"] = str(exc)
        return await _render(request, form, status_code=422)
    starts = data.starts_at.replace(tzinfo=data.starts_at.tzinfo or dt.UTC) if data.starts_at else None
    if starts is not None and starts > ctx.now():  # not on the air yet: say when it will be
        zone = ctx.settings.timezone
        same_day = starts.astimezone(zone).date() == ctx.now().astimezone(zone).date()
        shown = local_time(starts, zone)
        return _back({"done": "scheduled", "at": shown[11:] if same_day else shown})
    return _back({"done": "created"})


@requires("messages")
async def end_message(request: Request) -> Response:
    """Take one message off the air."""
    await checked_form(request)
    ended = await service.end_announcement(request.app.state.ctx, request.path_params["id"], request.user.actor)
    if ended is None:
        raise HTTPException(404, "There is no such message; it may have been removed already.")
    return _back({"done": "ended"})


@requires("messages")
async def switch_preset(request: Request) -> Response:
    """Switch a preset (storm, election) on or off: one click on the page."""
    posted = await checked_form(request)
    name, ctx, actor = request.path_params["name"], request.app.state.ctx, request.user.actor
    if name not in surge.presets():
        raise HTTPException(404, "There is no such preset.")
    if text(posted, "switch") == "off":
        rows = await service.end_preset(ctx, name, actor)
        return _back({"done": f"preset-off:{name}", "count": len(rows)})
    rows = await service.apply_preset(ctx, name, actor)
    return _back({"done": f"preset-on:{name}", "count": len(rows)})


@requires("messages")
async def all_clear(request: Request) -> Response:
    """Every message off the air at once."""
    await checked_form(request)
    rows = await service.all_clear(request.app.state.ctx, request.user.actor)
    return _back({"done": "all-clear", "count": len(rows)})


def _back(query: dict) -> Response:
    # Post/redirect/get: reloading the page never repeats the change.
    return RedirectResponse(f"{HERE}?{urlencode(query)}#done", status_code=303)
