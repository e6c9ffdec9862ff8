"""One inbound text, start to finish: limits, keywords and consent, the conversation, records, the reply."""

from __future__ import annotations

from dataclasses import dataclass

from core.db import run_db
from core.defaults import TEXT_SESSION_TTL
from core.phones import normalize
from crm_bridge import ticket_numbers as numbers
from flows import runner
from flows.context import FlowContext
from flows.knowledge import record_unanswered
from flows.sessions import SessionStore
from flows.spoken_time import describe_hours
from flows.turns import Input, InputKind
from messaging import consent
from sms import limits, render, service
from sms.keywords import Keyword, classify

MAX_BODY = 1600
END_NODES = {"report_done", "check_done", "main"}


@dataclass
class Handled:
    """The reply to send now (None: stay silent) and what the text was, for the record."""

    reply: str | None
    kind: str
    article_id: str | None = None
    confidence: float | None = None
    unanswered: str | None = None


async def handle(ctx: FlowContext, form: dict[str, str]) -> str | None:
    """Answer one inbound text; returns the reply body, or None for no reply."""
    phone = normalize(form.get("From", "")) or form.get("From", "")[:20]
    store = SessionStore(ctx.redis, "sms", TEXT_SESSION_TTL)
    session = await store.load(phone) or {"lang": ctx.settings.default_language.code}
    session.update(channel="sms", phone=phone, can_text=True)
    session["surge_footer"] = await ctx.announcements.lines("sms", session["lang"])
    handled = await _handle(ctx, session, phone, form)
    await run_db(ctx.engine, _record, form=form, phone=phone, language=session["lang"], handled=handled)
    session.pop("surge_footer", None)
    await store.save(phone, session)
    return handled.reply


def _record(db, *, form: dict[str, str], phone: str, language: str, handled: Handled) -> None:
    fresh = service.record_inbound(
        db,
        message_sid=form["MessageSid"],
        phone=phone,
        language=language,
        kind=handled.kind,
        article_id=handled.article_id,
        confidence=handled.confidence,
    )
    if fresh and handled.unanswered:
        record_unanswered(
            db,
            text=handled.unanswered,
            language=language,
            channel="sms",
            best_guess=handled.article_id,
            confidence=handled.confidence,
        )


async def _handle(ctx: FlowContext, session: dict, phone: str, form: dict[str, str]) -> Handled:
    w, lang = ctx.wording, session["lang"]
    allowed, warn = await limits.allow_inbound(ctx.redis, phone, ctx.now())
    if not allowed:
        return Handled(w(lang, "sms_rate_limited") if warn else None, "limited")
    body = form.get("Body", "")
    if len(body) > MAX_BODY or _media(form):
        return Handled(w(lang, "sms_too_long", phone=_phone(ctx)), "too_long")
    keyword, arg = classify(body, _commands(ctx), form.get("OptOutType", ""))
    twilio_replied = bool(form.get("OptOutType"))  # Twilio's own opt-out handling already answered
    if keyword is Keyword.STOP:
        await run_db(ctx.engine, consent.set_opt_out, phone=phone, opted_out=True, source="STOP")
        session.pop("node", None)
        return Handled(None if twilio_replied else w(lang, "sms_stopped", city=ctx.settings.city_name), "stop")
    if keyword is Keyword.START:
        if twilio_replied or await run_db(ctx.engine, consent.is_opted_out, phone=phone):
            await run_db(ctx.engine, consent.set_opt_out, phone=phone, opted_out=False, source="START")
            return Handled(None if twilio_replied else w(lang, "sms_started", city=ctx.settings.city_name), "start")
        keyword = Keyword.NONE  # "yes" from someone who never opted out is an ordinary reply
    if keyword is Keyword.HELP:
        text = w(lang, "sms_help", city=ctx.settings.city_name, phone=_phone(ctx))
        return Handled(None if twilio_replied else text, "help")
    return await _command(ctx, session, keyword, arg, body)


async def _command(ctx: FlowContext, session: dict, keyword: Keyword, arg: str, body: str) -> Handled:
    w = ctx.wording
    if keyword is Keyword.LANGUAGE:
        session["lang"] = arg
        session.pop("node", None)
        return Handled(w(arg, "sms_language_set"), "language")
    if keyword is Keyword.MENU:
        session.pop("node", None)
        return Handled(w(session["lang"], "sms_menu"), "menu")
    if keyword is Keyword.AGENT:
        lang = session["lang"]
        hours = describe_hours(ctx.calendar, w, lang)
        return Handled(f"{w(lang, 'sms_agent', phone=_phone(ctx))} {w(lang, 'sms_agent_hours', hours=hours)}", "agent")
    if keyword is Keyword.STATUS:
        return await _status(ctx, session, arg)
    if keyword is Keyword.REPORT:
        conv = await runner.conversation(ctx)
        return _flow_reply(ctx, session, conv.start_report(session), "report")
    if session.get("node"):
        turn = await runner.advance(ctx, session, session["node"], Input(InputKind.TEXT, body[:500]), channel="sms")
        return _flow_reply(ctx, session, turn, "report")
    return await _question(ctx, session, body)


async def _status(ctx: FlowContext, session: dict, arg: str) -> Handled:
    number = numbers.clean(arg)
    if not number:
        return Handled(ctx.wording(session["lang"], "sms_status_usage"), "status")
    turn = await runner.advance(ctx, session, "check_number", Input(InputKind.TEXT, number), channel="sms")
    return _flow_reply(ctx, session, turn, "status")


def _flow_reply(ctx: FlowContext, session: dict, turn, kind: str) -> Handled:
    if turn.node in END_NODES or turn.end:
        session.pop("node", None)
        turn.options, turn.prompt = [], []
        footer = None
        if session.get("ticket") and turn.node == "report_done":
            footer = ctx.wording(turn.language, "sms_check_status", number=session["ticket"]["number"])
        return Handled(render.render(turn, ctx.wording, footer=footer), kind)
    session["node"] = turn.node
    return Handled(render.render(turn, ctx.wording), kind)


async def _question(ctx: FlowContext, session: dict, body: str) -> Handled:
    w = ctx.wording
    text = " ".join(body.split())[:500]
    kb = await ctx.knowledge.get()
    choices = session.pop("choices", None)
    if choices and text in choices:
        return _answer(ctx, session, kb.article(session["lang"], choices[text]), None)
    if not text:
        return Handled(w(session["lang"], "sms_empty"), "empty")
    detected = kb.matcher.detect_language(text)
    if detected and detected != session["lang"] and detected in {lang.code for lang in ctx.settings.languages}:
        session["lang"] = detected
    lang = session["lang"]
    match = kb.match(text, lang)
    if match.article_id and match.confidence >= ctx.settings.answer_threshold:
        return _answer(ctx, session, kb.article(lang, match.article_id), match.confidence)
    candidates = [(a, c) for a, c in match.candidates if c >= ctx.settings.confirm_threshold * 0.75][:3]
    if match.confidence >= ctx.settings.confirm_threshold and candidates:
        session["choices"] = {str(i): a for i, (a, _) in enumerate(candidates, start=1)}
        titles = [f"{i}) {kb.article(lang, a).title}" for i, (a, _) in enumerate(candidates, start=1)]
        keys = f" {w(lang, 'sms_or')} ".join(session["choices"])
        reply = w(lang, "sms_did_you_mean", choices="; ".join(titles), keys=keys)
        return Handled(render.reply(reply), "did_you_mean", match.article_id, match.confidence)
    return Handled(
        w(lang, "sms_unsure", phone=_phone(ctx)), "unanswered", match.article_id, match.confidence, unanswered=text
    )


def _answer(ctx: FlowContext, session: dict, article, confidence: float | None) -> Handled:
    lang = session["lang"]
    if article is None:
        return Handled(ctx.wording(lang, "sms_menu"), "menu")
    session["article"] = article.article_id
    footer = " ".join([*session.get("surge_footer", []), ctx.wording(lang, "sms_footer")])
    reply = render.reply(f"{article.text} {footer}")
    return Handled(reply, "answer", article.article_id, confidence)


def _commands(ctx: FlowContext) -> dict[str, dict[str, set[str]]]:
    result = {}
    for language in ctx.settings.languages:
        result[language.code] = {
            name: {w.strip().lower() for w in ctx.wording(language.code, f"sms_words_{name}").split(",")}
            for name in ("menu", "report", "status", "agent", "language")
        }
        result[language.code]["language"] |= {language.code.lower(), language.code.split("-")[0]}
    return result


def _media(form: dict[str, str]) -> bool:
    return form.get("NumMedia", "0") not in ("", "0")


def _phone(ctx: FlowContext) -> str:
    number = ctx.settings.numbers[0]
    return f"{number[2:5]}-{number[5:8]}-{number[8:]}" if number.startswith("+1") and len(number) == 12 else number
