"""The console's menu operations: the IVR menus as callers hear them, per language, and the informational options a
supervisor adds, moves or removes. Each edit is checked as the menus file is at start, stored as a new version
(flows.menu_overrides), audited with the menu's options before → after, and published to every process.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from core.db import run_db
from flows import menu_edits, menu_overrides, runner
from flows.context import FlowContext
from flows.engine import REGISTRY
from flows.menu_edits import MenuEditError
from flows.menu_overrides import StaleMenus
from flows.menus import MenuError, Menus, MenuSpec, read_document
from knowledge.base import KnowledgeBase


@dataclass
class OptionView:
    """One option as the diagram shows it."""

    key: str
    label: str
    leads: str
    kind: str  # "menu" (links to another menu), "article", "message", "step"
    target: str = ""  # the menu it opens, for the link
    when: str = ""
    editable: bool = False


@dataclass
class MenuView:
    name: str
    title: str
    prompt: str
    options: list[OptionView] = field(default_factory=list)


@dataclass
class MenusState:
    """What the page shows: the version, who made it, the diagram per language, and what the form offers."""

    version: int
    edited_by: str | None
    edited_at: object
    diagrams: dict[str, list[MenuView]]
    menus: list[tuple[str, str]]  # (name, title) for the form
    articles: list[tuple[str, str]]  # (id, title) in the first language
    problem: str = ""  # the stored version no longer loads (a new release renamed a step): callers hear the file


def title(name: str) -> str:
    """A menu's name for people ("storm.main": the main menu in storm mode)."""
    if name.startswith("storm."):
        return f"{title(name.removeprefix('storm.'))} in storm mode"
    shown = REGISTRY.nodes.get(name)
    return (shown.menu if shown else "") or name.replace("_", " ").capitalize()


def _current(session, *, path) -> tuple[int, dict, object]:
    row = menu_overrides.latest(session)
    if row is None or row.document is None:
        return (row.id if row else 0), read_document(path), row
    return row.id, row.document, row


def _option_view(ctx: FlowContext, kb: KnowledgeBase, lang: str, menus: Menus, menu: str, spec) -> OptionView:
    label = spec.label.get(lang, "") if isinstance(spec.label, dict) else ctx.wording(lang, f"opt_{spec.label}")
    condition = REGISTRY.conditions.get(spec.when or "")
    action, view = spec.action, OptionView(spec.key, label, "", "step", when=condition.means if condition else "")
    if action.name == "article":
        found = kb.article(lang, action.arg)
        view.kind, view.editable = "article", True
        view.leads = f"plays the article “{found.title if found else action.arg}”"
    elif action.name == "message":
        view.kind, view.editable = "message", True
        view.leads = f"says “{menus.message(action.arg, lang)}”, then this menu again"
    elif action.name == "goto" and action.arg in menus.ordinary:
        view.kind, view.target, view.leads = "menu", action.arg, title(action.arg)
    else:  # a step, or an action: where it leads as its registration says
        found = REGISTRY.nodes.get(action.arg) if action.name == "goto" else REGISTRY.actions.get(action.name)
        name = action.arg if action.name == "goto" else action.name
        view.leads = (found.leads if found else "") or name.replace("_", " ")
    return view


def _diagram(ctx: FlowContext, kb: KnowledgeBase, menus: Menus, lang: str) -> list[MenuView]:
    shown: list[tuple[str, MenuSpec]] = [*menus.ordinary.items(), *((f"storm.{n}", m) for n, m in menus.storm.items())]
    views = []
    for name, spec in shown:
        # A prompt's {placeholders} are filled on the call ("I think you asked about {title}"): shown as "…".
        prompt = re.sub(r"\{\w+\}", "…", ctx.wording(lang, spec.prompt)) if spec.prompt else ""
        views.append(
            MenuView(name, title(name), prompt, [_option_view(ctx, kb, lang, menus, name, o) for o in spec.options])
        )
    return views


async def state(ctx: FlowContext) -> MenusState:
    """The menus as the next caller hears them, per language, with the version and who made it."""
    version, document, row = await run_db(ctx.engine, _current, path=ctx.settings.menus_file)
    problem = ""
    try:
        menus = runner.menus_of(ctx.settings, ctx.wording, document, "console menus")
    except MenuError as exc:  # as flows.menu_overrides.MenuCache does: callers hear the file meanwhile
        problem = f"The menus changed here no longer load ({exc}); callers hear the menus file. Revert to the file."
        menus = ctx.menus
    kb = await ctx.knowledge.get()
    codes = [language.code for language in ctx.settings.languages]
    first = codes[0]
    articles = sorted(
        ((a.article_id, a.title) for (lang, _), a in kb.articles.items() if lang == first),
        key=lambda pair: pair[1].lower(),
    )
    return MenusState(
        version=version,
        edited_by=row.created_by if row is not None and row.document is not None else None,
        edited_at=row.created_at if row is not None and row.document is not None else None,
        diagrams={code: _diagram(ctx, kb, menus, code) for code in codes},
        menus=[(name, title(name)) for name in menu_edits.menu_names(document)],
        articles=articles,
        problem=problem,
    )


async def _change(
    ctx: FlowContext, *, based_on: int, actor: str, action: str, menu: str, edit: Callable[[dict], dict | None]
) -> int:
    def change(session) -> int:
        version, document, _ = _current(session, path=ctx.settings.menus_file)
        if version != based_on:
            raise StaleMenus("the menus were changed meanwhile")
        changed = edit(document)
        if changed is not None:
            try:
                runner.menus_of(ctx.settings, ctx.wording, changed, "console menus")
            except MenuError as exc:  # a rule of the whole file, checked as at start
                raise MenuEditError("menu", str(exc)) from None
        names = [menu] if menu else menu_edits.menu_names(document)
        after_document = changed if changed is not None else read_document(ctx.settings.menus_file)
        before = {name: menu_edits.summary(document, name) for name in names}
        after = {name: menu_edits.summary(after_document, name) for name in names}
        if not menu:  # reverting: the trail keeps the menus that differed
            names = [name for name in names if before[name] != after.get(name)]
            before, after = {n: before[n] for n in names}, {n: after[n] for n in names}
        row = menu_overrides.save(
            session,
            document=changed,
            based_on=version,
            actor=actor,
            action=f"menus.{action}",
            subject=f"menu:{menu or 'all'}",
            before=before,
            after=after,
        )
        return row.id

    new_version = await run_db(ctx.engine, change)
    await menu_overrides.publish(ctx.redis, new_version)
    return new_version


async def add_article(
    ctx: FlowContext, *, based_on: int, menu: str, key: str, article: str, labels: dict[str, str], actor: str
) -> int:
    """Add an option playing a knowledge-base article; MenuEditError names the field, StaleMenus a lost race."""
    kb = await ctx.knowledge.get()
    codes = [language.code for language in ctx.settings.languages]

    def edit(document: dict) -> dict:
        return menu_edits.add_article(
            document,
            menu=menu,
            key=key,
            article=article,
            labels=labels,
            languages=codes,
            article_exists=lambda lang, a: kb.article(lang, a) is not None,
        )

    return await _change(ctx, based_on=based_on, actor=actor, action="add", menu=menu, edit=edit)


async def move(ctx: FlowContext, *, based_on: int, menu: str, key: str, direction: str, actor: str) -> int:
    """Move an informational option one place up or down."""

    def edit(document: dict) -> dict:
        return menu_edits.move(document, menu=menu, key=key, direction=direction)

    return await _change(ctx, based_on=based_on, actor=actor, action="move", menu=menu, edit=edit)


async def remove(ctx: FlowContext, *, based_on: int, menu: str, key: str, actor: str) -> int:
    """Remove an informational option."""

    def edit(document: dict) -> dict:
        return menu_edits.remove(document, menu=menu, key=key)

    return await _change(ctx, based_on=based_on, actor=actor, action="remove", menu=menu, edit=edit)


async def revert(ctx: FlowContext, *, based_on: int, actor: str) -> int:
    """Callers hear the menus file again (a new version without a document)."""
    return await _change(ctx, based_on=based_on, actor=actor, action="revert", menu="", edit=lambda document: None)
