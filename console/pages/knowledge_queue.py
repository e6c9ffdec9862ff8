"""The unanswered queue: questions residents asked that matched no article, or too weakly, newest first.

A question becomes a phrasing of an article (the best guess by default) through the same check as any edit, or is
dismissed; either way it leaves the queue, and the audit trail says who did what.
"""

from __future__ import annotations

from urllib.parse import urlencode

from starlette.authentication import requires
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from console import knowledge
from console.pages.forms import checked_form, text
from console.pages.render import page
from knowledge.editing import Check

HERE = "/console/knowledge/unanswered"
DONE = {
    "added": "Added as a phrasing and published: the next resident asking it gets that article.",
    "anyway": "Added and published anyway, with the phrasings it breaks: they are in the audit trail.",
    "dismissed": "Dismissed: the question has left the queue.",
}


async def _render(
    request: Request, *, report: Check | None = None, reported: int | None = None, chosen: str = "", status_code=200
) -> Response:
    rows, total, titles = await knowledge.waiting(request.app.state.ctx)
    return page(
        request,
        "knowledge_unanswered.html",
        status_code=status_code,
        rows=rows,
        total=total,
        titles=titles,
        report=report,
        reported=reported,
        chosen=chosen,
        done=DONE.get(request.query_params.get("done", ""), ""),
        may_edit="content" in request.auth.scopes,
    )


@requires("read")
async def unanswered_page(request: Request) -> Response:
    """The questions waiting, with the best guess and its confidence."""
    return await _render(request)


@requires("content")
async def add_phrasing(request: Request) -> Response:
    """Add the question to the chosen article, if the check is clean or the editor said "Add anyway"."""
    posted = await checked_form(request)
    unanswered_id, article_id = request.path_params["id"], text(posted, "article_id")
    anyway = text(posted, "checked") if text(posted, "do") == "anyway" else ""
    try:
        report, published = await knowledge.add_as_phrasing(
            request.app.state.ctx,
            unanswered_id=unanswered_id,
            article_id=article_id,
            anyway=anyway,
            actor=request.user.actor,
        )
    except LookupError:
        raise HTTPException(404, "That question has left the queue, or there is no such article.") from None
    if not published:
        return await _render(request, report=report, reported=unanswered_id, chosen=article_id, status_code=409)
    return _back("anyway" if report.broken else "added")


@requires("content")
async def dismiss(request: Request) -> Response:
    """Take the question off the queue without changing any article."""
    await checked_form(request)
    found = await knowledge.dismiss(
        request.app.state.ctx, unanswered_id=request.path_params["id"], actor=request.user.actor
    )
    if not found:
        raise HTTPException(404, "That question has already left the queue.")
    return _back("dismissed")


def _back(done: str) -> Response:
    return RedirectResponse(f"{HERE}?{urlencode({'done': done})}#done", status_code=303)
