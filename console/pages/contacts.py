"""The supervisors' contact search: calls by number, by ticket number or by day, and one call's transcript (its IVR
steps), outcome, wait, what the caller was told, recordings and what agents did. Numbers are masked; revealing one
is a form of its own, audited."""

from __future__ import annotations

import datetime as dt

from starlette.authentication import requires
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from console import contacts, recordings, tickets
from console.pages.forms import checked_form
from console.pages.render import duration, minutes, page
from crm_bridge.ticket_numbers import printed

HERE = "/console/contacts"


def _titles(kb, language: str) -> dict[str, str]:
    return {article_id: article.title for (lang, article_id), article in kb.articles.items() if lang == language}


@requires("supervisor")
async def contacts_page(request: Request) -> Response:
    """The search form and the calls it finds (today's when nothing is asked)."""
    ctx = request.app.state.ctx
    number = request.query_params.get("number", "").strip()[:40]
    ticket = request.query_params.get("ticket", "").strip()[:40]
    raw_day = request.query_params.get("date", "").strip()[:10]
    error = ""
    try:
        day = dt.date.fromisoformat(raw_day) if raw_day else None
    except ValueError:
        day, error = None, "The date must look like 2026-11-23."
    if not (number or ticket or day) and not error:
        day = ctx.now().astimezone(ctx.settings.timezone).date()
    titles = _titles(await ctx.knowledge.get(), ctx.settings.default_language.code)
    found = [] if error else await contacts.find(ctx, number=number, ticket=ticket, day=day, titles=titles)
    return page(request, "contacts.html", found=found, number=number, ticket=ticket,
                day=day.isoformat() if day else raw_day, error=error, duration=duration)


async def _detail(request: Request, *, revealed: str | None = None, asked: bool = False) -> Response:
    ctx = request.app.state.ctx
    titles = _titles(await ctx.knowledge.get(), ctx.settings.default_language.code)
    record = await contacts.one(ctx, call_sid=request.path_params["sid"][:64], titles=titles)
    if record is None:
        raise HTTPException(404, "There is no such call.")
    languages = {language.code: language.name for language in ctx.settings.languages}
    return page(request, "contact.html", record=record, revealed=revealed, asked=asked, duration=duration,
                minutes=minutes, printed=printed, types=tickets.type_names(ctx),
                language=languages.get(record.call.language, record.call.language),
                playable=lambda url: recordings.playable(ctx.settings, url), linkable=recordings.linkable)


@requires("supervisor")
async def contact_page(request: Request) -> Response:
    """One call: the steps as text, outcome, wait, what the caller was told, recordings, agents' actions."""
    return await _detail(request)


@requires("supervisor")
async def reveal(request: Request) -> Response:
    """The caller's whole number, where the call left one (audited), shown on this response only."""
    await checked_form(request)
    found = await contacts.revealed(request.app.state.ctx, call_sid=request.path_params["sid"][:64],
                                    actor=request.user.actor)
    return await _detail(request, revealed=found, asked=True)


routes = [
    Route("/contacts", contacts_page, methods=["GET"]),
    Route("/contacts/{sid}", contact_page, methods=["GET"]),
    Route("/contacts/{sid}/reveal", reveal, methods=["POST"]),
]
