"""The agent's own page (role "agent"): the caller they are put through to, shown at once by server-sent events, and
the forms to act for them during or after the call.

The stream polls the agent's desk in Redis (queueing.agent_desk) with the async client, so it works whichever web
process the agent line's webhook reached, and never blocks the event loop.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass, field
from urllib.parse import urlencode

from starlette.authentication import requires
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response, StreamingResponse
from starlette.routing import Route

from console import desk, tickets
from console.desk import DeskError
from console.pages.forms import checked_form, text
from console.pages.live import _still_signed_in
from console.pages.render import page, templates
from console.pages.request_form import ASAP, callback_time, intake_problem, required_details
from core.defaults import CONSOLE_LIVE_HEARTBEAT_SECONDS, CONSOLE_SESSION_RECHECK_SECONDS
from crm_bridge.service import IntakeError
from crm_bridge.ticket_numbers import printed
from queueing.agent_desk import AgentDesks

HERE = "/console/desk"
POLL_SECONDS = 0.25  # how often the stream looks at the desk: a caller shows well within a second
DONE = {  # fixed words: nothing typed is reflected
    "ticket": "The request is open: read its number and due date to the caller (under “Done on this call”).",
    "text": "The text is on its way (under “Done on this call”: whether it went).",
    "booked": "The call-back is booked.",
    "moved": "This number already had a call-back waiting; it was moved to the new time.",
    "note": "The note is kept with this call.",
    "wrap-up": "Wrap-up done: you are ready for the next caller.",
}


@dataclass
class DeskForms:
    """The page's forms as typed, and what is wrong with them."""

    service_code: str = ""
    address: str = ""
    description: str = ""
    text_it: bool = False
    attributes: dict[str, str] = field(default_factory=dict)
    when: str = ASAP
    article: str = ""
    note: str = ""
    errors: dict[str, str] = field(default_factory=dict)


def _agent(request: Request) -> str | None:
    return request.user.who.agent


async def _context(request: Request, forms: DeskForms) -> dict:
    ctx = request.app.state.ctx
    agent = _agent(request)
    pop = await desk.screen_pop(ctx, agent=agent) if agent else None
    kb = await ctx.knowledge.get()
    staff = ctx.settings.default_language.code
    articles = sorted(((a.article_id, a.title) for (lang, _), a in kb.articles.items() if lang == staff),
                      key=lambda pair: pair[1].casefold())
    times = await desk.times(ctx) if pop and pop.caller else []
    return {
        "agent": agent,
        "pop": pop,
        "forms": forms,
        "types": tickets.type_names(ctx),
        "asked": required_details(ctx),
        "articles": articles,
        "asap": ASAP,
        "times": [(t.isoformat(), t) for t in times],
        "now": ctx.now().timestamp(),
        "printed": printed,
        "waited": _waited,
    }


def _waited(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    whole, rest = divmod(int(max(0, seconds)), 60)
    return f"{whole} min {rest:02d} s" if whole else f"{rest} s"


async def _render(request: Request, forms: DeskForms, *, status_code: int = 200) -> Response:
    done = DONE.get(request.query_params.get("done", ""), "") if status_code == 200 else ""
    return page(request, "desk.html", status_code=status_code, done=done, **await _context(request, forms))


@requires("desk")
async def desk_page(request: Request) -> Response:
    """The caller on the agent's desk (or the wait for one), and what the agent can do for them."""
    return await _render(request, DeskForms())


@requires("desk")
async def desk_events(request: Request) -> Response:
    """`text/event-stream`: a `desk` event whenever the agent's desk changes, with the parts of the page redrawn."""
    return StreamingResponse(_events(request), media_type="text/event-stream",
                             headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})


async def _events(request: Request):
    ctx = request.app.state.ctx
    agent = _agent(request)
    yield "retry: 1000\n\n"
    if not agent:
        return
    desks = AgentDesks(ctx.redis)
    last, last_sent, checked = "", time.monotonic(), time.monotonic()
    while True:
        now = await desks.read(agent)
        if now.fingerprint != last:
            last, last_sent = now.fingerprint, time.monotonic()
            yield f"event: desk\ndata: {json.dumps(await _fragments(request), ensure_ascii=False)}\n\n"
        elif time.monotonic() - last_sent >= CONSOLE_LIVE_HEARTBEAT_SECONDS:
            yield ": still here\n\n"
            last_sent = time.monotonic()
        if time.monotonic() - checked >= CONSOLE_SESSION_RECHECK_SECONDS:
            checked = time.monotonic()
            if not await _still_signed_in(request):
                yield "event: signed-out\ndata: {}\n\n"
                return
        await asyncio.sleep(POLL_SECONDS)


async def _fragments(request: Request) -> dict:
    """The state line and the caller's part of the page, rendered (and escaped) as on a full page load."""
    ctx = request.app.state.ctx
    context = {**await _context(request, DeskForms()), "request": request, "csrf": request.user.csrf,
               "zone": ctx.settings.timezone}
    caller = context["pop"].caller if context["pop"] else None
    return {
        "call": caller.call_sid if caller else "",
        "state": templates.get_template("_desk_state.html").render(context),
        "pop": templates.get_template("_screen_pop.html").render(context),
    }


async def _acted(request: Request, forms: DeskForms, action) -> Response:
    """Run one action for the caller on the desk; a refusal redraws the page with what was typed and why."""
    try:
        done = await action()
    except DeskError as exc:
        forms.errors[exc.field] = str(exc)
        return await _render(request, forms, status_code=422)
    except IntakeError as exc:
        name, why = intake_problem(exc)
        forms.errors[name] = why
        return await _render(request, forms, status_code=422)
    return RedirectResponse(f"{HERE}?{urlencode({'done': done})}#done", status_code=303)


def _need_agent(request: Request) -> str:
    agent = _agent(request)
    if not agent:
        raise HTTPException(403, "This account is not linked to an agent; an administrator links it.")
    return agent


@requires("desk")
async def open_ticket(request: Request) -> Response:
    """Open a request for the caller; its number and due date are shown to read out, and texted if they agree."""
    posted, ctx, agent = await checked_form(request), request.app.state.ctx, _need_agent(request)
    forms = DeskForms(service_code=text(posted, "service_code"), address=text(posted, "address"),
                      description=text(posted, "description"), text_it=text(posted, "text_it") == "yes",
                      attributes={key.removeprefix("attr-"): text(posted, key) for key in posted
                                  if key.startswith("attr-")})
    if forms.service_code not in tickets.type_names(ctx):
        forms.errors["service_code"] = "choose the type of problem"
        return await _render(request, forms, status_code=422)

    async def action() -> str:
        await desk.open_ticket(ctx, agent=agent, call_sid=text(posted, "call"), service_code=forms.service_code,
                               address=forms.address, description=forms.description, attributes=forms.attributes,
                               text_it=forms.text_it, actor=request.user.actor)
        return "ticket"

    return await _acted(request, forms, action)


@requires("desk")
async def text_article(request: Request) -> Response:
    """Text the caller an article."""
    posted, ctx, agent = await checked_form(request), request.app.state.ctx, _need_agent(request)
    forms = DeskForms(article=text(posted, "article"))

    async def action() -> str:
        await desk.text_article(ctx, agent=agent, call_sid=text(posted, "call"), article_id=forms.article,
                                actor=request.user.actor)
        return "text"

    return await _acted(request, forms, action)


@requires("desk")
async def book_callback(request: Request) -> Response:
    """Book a call-back to the caller at a free time, or as soon as an agent is free."""
    posted, ctx, agent = await checked_form(request), request.app.state.ctx, _need_agent(request)
    forms = DeskForms(when=text(posted, "when") or ASAP)
    try:
        when = callback_time(forms.when)
    except ValueError as exc:
        forms.errors["when"] = str(exc)
        return await _render(request, forms, status_code=422)

    async def action() -> str:
        _, updated = await desk.book_callback(ctx, agent=agent, call_sid=text(posted, "call"), when=when,
                                              actor=request.user.actor)
        return "moved" if updated else "booked"

    return await _acted(request, forms, action)


@requires("desk")
async def add_note(request: Request) -> Response:
    """Keep a note with the call."""
    posted, ctx, agent = await checked_form(request), request.app.state.ctx, _need_agent(request)
    forms = DeskForms(note=text(posted, "note")[:4000])

    async def action() -> str:
        await desk.add_note(ctx, agent=agent, call_sid=text(posted, "call"), note=forms.note,
                            actor=request.user.actor)
        return "note"

    return await _acted(request, forms, action)


@requires("desk")
async def wrap_up(request: Request) -> Response:
    """Mark wrap-up done."""
    posted, ctx, agent = await checked_form(request), request.app.state.ctx, _need_agent(request)

    async def action() -> str:
        await desk.wrap_up_done(ctx, agent=agent, call_sid=text(posted, "call"), actor=request.user.actor)
        return "wrap-up"

    return await _acted(request, DeskForms(), action)


routes = [
    Route("/desk", desk_page, methods=["GET"]),
    Route("/desk/events", desk_events, methods=["GET"]),
    Route("/desk/ticket", open_ticket, methods=["POST"]),
    Route("/desk/text", text_article, methods=["POST"]),
    Route("/desk/callback", book_callback, methods=["POST"]),
    Route("/desk/note", add_note, methods=["POST"]),
    Route("/desk/wrap-up", wrap_up, methods=["POST"]),
]
