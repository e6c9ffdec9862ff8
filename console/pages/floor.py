"""Live's floor panel: hours now and the open alerts (refreshed by floor.js), and a surge's message put on the air
from Live in one click, after an optional preview and edit."""

from __future__ import annotations

from starlette.authentication import requires
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from console import floor, preview
from console.pages.forms import checked_form, text
from console.pages.render import page
from surge.models import Scope
from surge.service import MAX_TEXT, AnnouncementError


async def context(request: Request) -> dict:
    """What the panel's template reads (the live page includes it)."""
    ctx = request.app.state.ctx
    return {"floor": await floor.floor(ctx), "may_air": "messages" in request.auth.scopes,
            "see_addresses": "supervisor" in request.auth.scopes, "max_text": MAX_TEXT,
            "languages": ctx.settings.languages}


@requires("live")
async def floor_panel(request: Request) -> Response:
    """The panel alone, for floor.js to swap in."""
    return page(request, "_floor.html", **await context(request))


def _texts(request: Request, posted) -> dict[str, str]:
    codes = [language.code for language in request.app.state.ctx.settings.languages]
    return {code: str(posted.get(f"text-{code}", ""))[: MAX_TEXT * 4] for code in codes}


@requires("messages")
async def air(request: Request) -> Response:
    """Put the surge message on the air (do=air), or show it as callers will hear it first (do=preview)."""
    ctx = request.app.state.ctx
    posted = await checked_form(request)
    episode_id = request.path_params["id"]
    texts = _texts(request, posted)
    if text(posted, "do") == "preview":
        drafted = preview.draft(ctx, Scope.GREETING, {k: v for k, v in texts.items() if v.strip()})
        return page(request, "alert_preview.html", episode_id=episode_id, texts=texts, drafted=drafted, error="",
                    languages=ctx.settings.languages, max_text=MAX_TEXT)
    try:
        await floor.put_on_air(ctx, episode_id=episode_id, texts=texts, actor=request.user.actor)
    except LookupError:
        raise HTTPException(404, "There is no such alert.") from None
    except AnnouncementError as exc:
        return page(request, "alert_preview.html", status_code=422, episode_id=episode_id, texts=texts, drafted=[],
                    error=str(exc), languages=ctx.settings.languages, max_text=MAX_TEXT)
    return RedirectResponse("/console/live?aired=1#floor", status_code=303)
