"""The console's knowledge-base operations: knowledge.editing in a worker thread, then the version key moved on, so
the very next call and text in every web process answers with the change."""

from __future__ import annotations

import datetime as dt

from core.db import run_db
from crm_bridge import catalogue
from flows.context import FlowContext
from knowledge import editing as kb_editing
from knowledge.base import publish
from knowledge.editing import Check
from knowledge.models import ArticleCreate


def today(ctx: FlowContext) -> dt.date:
    """Today's date on the city's clock (the injected one)."""
    return ctx.now().astimezone(ctx.settings.timezone).date()


def service_codes(ctx: FlowContext) -> list[tuple[str, str]]:
    """The service catalogue as (code, English name), for an article's "report this problem" link."""
    return [(service.code, service.label("en-US")) for service in catalogue.of(ctx).services]


def _threshold(ctx: FlowContext) -> float:
    return ctx.settings.confirm_threshold


async def search(ctx: FlowContext, *, language: str, query: str) -> list[kb_editing.Listed]:
    """Articles in the language matching the search words."""
    return await run_db(ctx.engine, kb_editing.search, language=language, query=query, today=today(ctx))


async def article(ctx: FlowContext, *, language: str, article_id: str):
    """The stored article, and the languages its id exists in."""

    def read(session, **kwargs):
        return kb_editing.get(session, **kwargs), kb_editing.languages_of(session, article_id=kwargs["article_id"])

    return await run_db(ctx.engine, read, language=language, article_id=article_id)


async def topics(ctx: FlowContext, *, language: str) -> list[tuple[str, str]]:
    """The language's topics as (key, name)."""
    return await run_db(ctx.engine, kb_editing.topics, language=language)


async def problems(ctx: FlowContext, *, draft: ArticleCreate, is_new: bool) -> dict[str, str]:
    """What is wrong with a draft, field by field."""
    codes = {code for code, _ in service_codes(ctx)}
    return await run_db(ctx.engine, kb_editing.problems, draft=draft, is_new=is_new, service_codes=codes)


async def check(ctx: FlowContext, *, draft: ArticleCreate) -> Check:
    """What publishing the draft would break, without publishing it."""
    return await run_db(ctx.engine, kb_editing.check, draft=draft, threshold=_threshold(ctx))


async def publish_article(ctx: FlowContext, *, draft: ArticleCreate, base: str | None, anyway: str, actor: str):
    """Check and publish a draft (raises kb_editing.Stale); returns (check, published?)."""
    result, stored = await run_db(
        ctx.engine, kb_editing.publish, draft=draft, actor=actor, threshold=_threshold(ctx), base=base, anyway=anyway
    )
    if stored is not None:
        await publish(ctx.redis)
    return result, stored is not None


async def mark_reviewed(ctx: FlowContext, *, language: str, article_id: str, actor: str) -> bool:
    """Set an article's review date to today; False if there is no such article."""
    row = await run_db(
        ctx.engine, kb_editing.mark_reviewed, language=language, article_id=article_id, actor=actor, today=today(ctx)
    )
    if row is not None:
        await publish(ctx.redis)
    return row is not None


async def waiting(ctx: FlowContext):
    """The unanswered queue, newest first, with the articles of each language for choosing where a question goes."""

    def read(session):
        rows, total = kb_editing.waiting(session)
        titles = {}
        for language in {row.language for row in rows}:
            listed = kb_editing.search(session, language=language, query="", today=today(ctx))
            titles[language] = [(one.article_id, one.title) for one in listed]
        return rows, total, titles

    return await run_db(ctx.engine, read)


async def add_as_phrasing(ctx: FlowContext, *, unanswered_id: int, article_id: str, anyway: str, actor: str):
    """Add a waiting question to an article through the publish check; returns (check, published?)."""
    result, stored = await run_db(
        ctx.engine,
        kb_editing.add_as_phrasing,
        unanswered_id=unanswered_id,
        article_id=article_id,
        actor=actor,
        threshold=_threshold(ctx),
        anyway=anyway,
    )
    if stored is not None:
        await publish(ctx.redis)
    return result, stored is not None


async def dismiss(ctx: FlowContext, *, unanswered_id: int, actor: str) -> bool:
    """Take a question off the queue; False if it is not waiting."""
    row = await run_db(ctx.engine, kb_editing.dismiss, unanswered_id=unanswered_id, actor=actor)
    return row is not None
