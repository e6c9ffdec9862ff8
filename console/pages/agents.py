"""The supervisors' agents view: who is signed in to the agent line, what they are doing and for how long, calls
handled today and average handle time; signing an agent out."""

from __future__ import annotations

from urllib.parse import urlencode

from starlette.authentication import requires
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from console import agents_view
from console.pages.forms import checked_form, text
from console.pages.render import duration, page

HERE = "/console/agents"
DONE = {"signed-out": "The agent is signed out: the agent line asks for their PIN after their current call.",
        "not-on": "That agent was not signed in; nothing changed."}


@requires("supervisor")
async def agents_page(request: Request) -> Response:
    """Every agent: signed in or not, state and for how long, handled today, average handle time."""
    rows = await agents_view.rows(request.app.state.ctx)
    done = DONE.get(request.query_params.get("done", ""), "")
    return page(request, "agents.html", rows=rows, done=done, duration=duration)


@requires("supervisor")
async def agents_table(request: Request) -> Response:
    """The agents table alone, for agents.js to swap in every few seconds."""
    rows = await agents_view.rows(request.app.state.ctx)
    return page(request, "_agents_table.html", rows=rows, duration=duration)


@requires("supervisor")
async def sign_out(request: Request) -> Response:
    """Sign an agent out of the agent line (audited)."""
    posted = await checked_form(request)
    try:
        was_on = await agents_view.sign_out(request.app.state.ctx, name=text(posted, "agent"),
                                            actor=request.user.actor)
    except LookupError:
        raise HTTPException(404, "There is no such agent.") from None
    return RedirectResponse(f"{HERE}?{urlencode({'done': 'signed-out' if was_on else 'not-on'})}#done",
                            status_code=303)


routes = [
    Route("/agents", agents_page, methods=["GET"]),
    Route("/agents/table", agents_table, methods=["GET"]),
    Route("/agents/sign-out", sign_out, methods=["POST"]),
]
