"""The knowledge-base pages: search the articles, edit or add one per language, check it, publish it.

Publishing goes through console.knowledge → knowledge.editing: the draft is checked against every test phrasing of its
language, a change that would send one elsewhere is reported and needs "Publish anyway", and the version key moves
on so the next call and text in every web process answer with it.
"""

from __future__ import annotations

from urllib.parse import quote, urlencode

from starlette.authentication import requires
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from console import knowledge
from console.pages.article_form import ArticleForm
from console.pages.forms import checked_form, text
from console.pages.render import page
from knowledge.editing import (
    MAX_SPOKEN_WORDS,
    MAX_TEXT,
    SPOKEN_WORDS_PER_SECOND,
    Check,
    Stale,
    review_due,
    spoken_words,
    text_cost,
)
from knowledge.models import PlaceAnswer

HERE = "/console/knowledge"
DONE = {
    "published": "Published: the next call and the next text are answered with it, on every channel.",
    "anyway": "Published anyway, with the phrasings it breaks: they are in the audit trail.",
    "only": "Published this answer only: the answers named before still say the old thing until they are edited too.",
    "created": "Added and published: callers and texters can reach it from now on.",
    "reviewed": "Marked reviewed today.",
}


def _language(request: Request, code: str) -> tuple[str, str]:
    """(code, name) of a configured language; 404 for any other."""
    for language in request.app.state.ctx.settings.languages:
        if language.code == code:
            return language.code, language.name
    raise HTTPException(404, "There is no such language in this knowledge base.")


def article_url(language: str, article_id: str) -> str:
    """Where one article is edited."""
    return f"{HERE}/{quote(language, safe='')}/{quote(article_id, safe='')}"


def translate_url(language: str, form: ArticleForm) -> str:
    """A new article in another language, started from this one's id, topic, department and service."""
    fields = {"language": language, "article_id": form.article_id, "topic": form.topic}
    fields |= {"department": form.department, "service_code": form.service_code}
    return f"{HERE}/new?{urlencode(fields)}"


@requires("kb")
async def knowledge_page(request: Request) -> Response:
    """Search the articles of a language: title, topic, department, last review and whether one is due."""
    ctx = request.app.state.ctx
    languages = ctx.settings.languages
    code = request.query_params.get("language", languages[0].code)
    language = _language(request, code)
    query = request.query_params.get("q", "")[:200]
    rows = await knowledge.search(ctx, language=language[0], query=query)
    return page(
        request,
        "knowledge.html",
        rows=rows,
        query=query,
        language=language,
        languages=languages,
        due=sum(row.review_due for row in rows),
        may_edit="content" in request.auth.scopes,
        article_url=article_url,
    )


async def _render(
    request: Request,
    *,
    language: tuple[str, str],
    form: ArticleForm,
    is_new: bool,
    base: str = "",
    last_reviewed=None,
    report: Check | None = None,
    missing: list[tuple[str, str]] | None = None,
    status_code: int = 200,
) -> Response:
    ctx = request.app.state.ctx
    topics = await knowledge.topics(ctx, language=language[0])
    words = spoken_words(form.spoken)
    return page(
        request,
        "knowledge_article.html",
        status_code=status_code,
        language=language,
        form=form,
        is_new=is_new,
        base=base,
        last_reviewed=last_reviewed,
        review_due=last_reviewed is not None and review_due(last_reviewed, knowledge.today(ctx)),
        report=report,
        missing=missing or [],
        topics=topics,
        services=knowledge.service_codes(ctx),
        place_answers=list(PlaceAnswer),
        cost=text_cost(form.text),
        words=words,
        seconds=round(words / SPOKEN_WORDS_PER_SECOND),
        max_text=MAX_TEXT,
        max_words=MAX_SPOKEN_WORDS,
        done=DONE.get(request.query_params.get("done", ""), ""),
        language_names={one.code: one.name for one in ctx.settings.languages},
        may_edit="content" in request.auth.scopes,
        translate_url=translate_url,
        action=HERE + "/new" if is_new else article_url(language[0], form.article_id),
    )


@requires("kb")
async def article_page(request: Request) -> Response:
    """One article: spoken and text answers side by side, phrasings, keywords; editable with the content scope."""
    ctx = request.app.state.ctx
    language = _language(request, request.path_params["language"])
    stored, present = await knowledge.article(ctx, language=language[0], article_id=request.path_params["article_id"])
    if stored is None:
        raise HTTPException(404, "There is no such article in this language.")
    missing = [(one.code, one.name) for one in ctx.settings.languages if one.code not in present]
    return await _render(
        request,
        language=language,
        form=ArticleForm.of(stored),
        is_new=False,
        base=stored.updated_at.isoformat(),
        last_reviewed=stored.last_reviewed,
        missing=missing,
    )


@requires("content")
async def new_article_page(request: Request) -> Response:
    """An empty article form for a language."""
    ctx = request.app.state.ctx
    query = request.query_params
    language = _language(request, query.get("language", ctx.settings.languages[0].code))
    # "Add it in Spanish" from another language's article: the same id, topic, department and service to start with.
    form = ArticleForm(
        article_id=query.get("article_id", "")[:80],
        topic=query.get("topic", "")[:40],
        department=query.get("department", "")[:200],
        service_code=query.get("service_code", "")[:80],
    )
    return await _render(request, language=language, form=form, is_new=True)


@requires("content")
async def save_article(request: Request) -> Response:
    """Check an edited article and publish it if it breaks nothing (or the editor said "Publish anyway")."""
    ctx = request.app.state.ctx
    language = _language(request, request.path_params["language"])
    stored, _ = await knowledge.article(ctx, language=language[0], article_id=request.path_params["article_id"])
    if stored is None:
        raise HTTPException(404, "There is no such article in this language.")
    posted = await checked_form(request)
    form = ArticleForm.read(posted, stored.article_id)
    draft = form.draft(language=language[0], last_reviewed=stored.last_reviewed)
    context = {"language": language, "form": form, "is_new": False, "last_reviewed": stored.last_reviewed}
    return await _checked_publish(request, posted, draft, base=text(posted, "base"), context=context)


@requires("content")
async def create_article(request: Request) -> Response:
    """Check a new article and publish it if it breaks nothing (or the editor said "Publish anyway")."""
    ctx = request.app.state.ctx
    posted = await checked_form(request)
    language = _language(request, text(posted, "language"))
    form = ArticleForm.read(posted)
    draft = form.draft(language=language[0], last_reviewed=knowledge.today(ctx))
    context = {"language": language, "form": form, "is_new": True}
    return await _checked_publish(request, posted, draft, base=None, context=context)


async def _checked_publish(request: Request, posted, draft, *, base: str | None, context: dict) -> Response:
    ctx, form = request.app.state.ctx, context["form"]
    form.errors = await knowledge.problems(ctx, draft=draft, is_new=context["is_new"])
    if form.errors:
        return await _render(request, **context, base=base or "", status_code=422)
    do = text(posted, "do")
    if do == "check":
        report = await knowledge.check(ctx, draft=draft)
        return await _render(request, **context, base=base or "", report=report)
    anyway = text(posted, "checked") if do == "anyway" else ""
    try:
        report, published = await knowledge.publish_article(
            ctx, draft=draft, base=base, anyway=anyway, actor=request.user.actor
        )
    except Stale as exc:
        form.errors["base"] = f"{exc}. Your words are kept here; open the article again to see the new version."
        return await _render(request, **context, base=base or "", status_code=409)
    if not published:
        return await _render(request, **context, base=base or "", report=report, status_code=409)
    done = "anyway" if report.broken else "only" if report.left_behind else "published"
    done = "created" if context["is_new"] else done
    return RedirectResponse(f"{article_url(draft.language, draft.article_id)}?{urlencode({'done': done})}#done", 303)


@requires("content")
async def mark_reviewed(request: Request) -> Response:
    """Set the article's review date to today."""
    await checked_form(request)
    language = _language(request, request.path_params["language"])[0]
    article_id = request.path_params["article_id"]
    found = await knowledge.mark_reviewed(
        request.app.state.ctx, language=language, article_id=article_id, actor=request.user.actor
    )
    if not found:
        raise HTTPException(404, "There is no such article in this language.")
    return RedirectResponse(f"{article_url(language, article_id)}?done=reviewed#done", status_code=303)
