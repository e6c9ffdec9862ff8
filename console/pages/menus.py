"""The menus page: every IVR menu as a diagram per language (keys, what callers hear, where each leads), and for
supervisors and administrators the informational options: add one that plays an article, move, remove, or go back
to the menus file. Every change is a new version in the database, heard from the next call in every process.
"""

from __future__ import annotations

from urllib.parse import urlencode

from starlette.authentication import requires
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from console import menus
from console.pages.forms import checked_form, text
from console.pages.render import page
from flows.menu_edits import MAX_LABEL, MAX_OPTIONS, MenuEditError
from flows.menu_overrides import StaleMenus

HERE = "/console/menus"
DONE = {
    "added": "The option is added: the next call hears it.",
    "moved": "The option is moved: the next call hears the new order.",
    "removed": "The option is removed: the next call no longer hears it.",
    "reverted": "The menus come from the file again: the next call hears them.",
}
STALE = (
    "The menus were changed meanwhile (by someone else, or in another tab). This is how they are now; "
    "make your change again."
)


def _languages(request: Request) -> list[str]:
    return [language.code for language in request.app.state.ctx.settings.languages]


async def _render(
    request: Request, *, status_code: int = 200, typed: dict | None = None, errors: dict | None = None
) -> Response:
    ctx = request.app.state.ctx
    shown = await menus.state(ctx)
    return page(
        request,
        "menus.html",
        status_code=status_code,
        shown=shown,
        languages=ctx.settings.languages,
        typed=typed or {},
        errors=errors or {},
        done=DONE.get(request.query_params.get("done", ""), ""),
        may_change="menus" in request.auth.scopes,
        max_label=MAX_LABEL,
        max_options=MAX_OPTIONS,
    )


def _back(done: str) -> Response:
    # Post/redirect/get: reloading the page never repeats the change.
    return RedirectResponse(f"{HERE}?{urlencode({'done': done})}#done", status_code=303)


def _version(form: FormData) -> int:
    value = text(form, "version")
    return int(value) if value.isdigit() else -1


@requires("read")
async def menus_page(request: Request) -> Response:
    """The menus as diagrams, per language; the edit forms for those who may change them."""
    return await _render(request)


@requires("menus")
async def add_option(request: Request) -> Response:
    """Add an option playing a knowledge-base article; a refusal is shown by its field, the form as typed."""
    posted = await checked_form(request)
    codes = _languages(request)
    typed = {name: text(posted, name)[:400] for name in ("menu", "key", "article", *(f"label-{c}" for c in codes))}
    try:
        await menus.add_article(
            request.app.state.ctx,
            based_on=_version(posted),
            menu=typed["menu"],
            key=typed["key"],
            article=typed["article"],
            labels={code: typed[f"label-{code}"] for code in codes},
            actor=request.user.actor,
        )
    except MenuEditError as exc:
        return await _render(request, status_code=422, typed=typed, errors={exc.field: str(exc)})
    except StaleMenus:
        return await _render(request, status_code=409, typed=typed, errors={"general": STALE})
    return _back("added")


async def _option_change(request: Request, change: str) -> Response:
    posted = await checked_form(request)
    ctx, actor = request.app.state.ctx, request.user.actor
    menu, key, version = text(posted, "menu"), text(posted, "key"), _version(posted)
    try:
        if change == "move":
            await menus.move(
                ctx, based_on=version, menu=menu, key=key, direction=text(posted, "direction"), actor=actor
            )
        else:
            await menus.remove(ctx, based_on=version, menu=menu, key=key, actor=actor)
    except MenuEditError as exc:
        return await _render(request, status_code=422, errors={"general": str(exc)})
    except StaleMenus:
        return await _render(request, status_code=409, errors={"general": STALE})
    return _back("moved" if change == "move" else "removed")


@requires("menus")
async def move_option(request: Request) -> Response:
    """Move an informational option one place up or down in its menu."""
    return await _option_change(request, "move")


@requires("menus")
async def remove_option(request: Request) -> Response:
    """Remove an informational option from its menu."""
    return await _option_change(request, "remove")


@requires("menus")
async def revert(request: Request) -> Response:
    """Callers hear the menus file again; the console's versions stay in the trail."""
    posted = await checked_form(request)
    try:
        await menus.revert(request.app.state.ctx, based_on=_version(posted), actor=request.user.actor)
    except StaleMenus:
        return await _render(request, status_code=409, errors={"general": STALE})
    return _back("reverted")
