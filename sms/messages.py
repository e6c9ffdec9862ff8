"""One inbound text, start to finish: limits, keywords and consent, the conversation, records, the reply."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from callbacks.models import CallbackSource
from core import threads
from core.db import UNAVAILABLE, run_db
from core.defaults import TEXT_SESSION_TTL
from core.phones import display, mask, normalize
from core.twilio_fields import whole
from crm_bridge import ticket_numbers
from flows import callback_owner, runner
from flows.capabilities import TEXT
from flows.context import FlowContext
from flows.session import Session
from flows.sessions import SessionStore
from flows.spoken_time import agent_hours_sentence
from flows.turns import Input, InputKind, Outcome, Step, Turn
from messaging import consent
from sms import held, limits, records, render, service
from sms.keywords import Keyword, classify

log = logging.getLogger("onecall.sms")

MAX_BODY = 1600
MAX_MEDIA = 10  # Twilio delivers at most 10 pictures with one message
END_NODES = {"report_done", "check_done", "main"}


@dataclass
class Handled:
    """The reply to send now (None: stay silent) and what the text was, for the record."""

    reply: str | None
    kind: str
    article_id: str | None = None
    confidence: float | None = None
    unanswered: str | None = None


def texter(form: dict[str, str]) -> str:
    """The number a text came from, as its conversation is filed: E.164 when it is a real number."""
    return normalize(form.get("From", "")) or form.get("From", "")[:20]


def sessions(ctx: FlowContext) -> SessionStore:
    """Where texters' conversations live."""
    return SessionStore(ctx.redis, "sms", TEXT_SESSION_TTL)


async def handle(ctx: FlowContext, form: dict[str, str]) -> str | None:
    """Answer one inbound text; returns the reply body, or None for no reply."""
    phone = texter(form)
    store = sessions(ctx)
    saved = await store.load(phone)
    session = saved or Session(lang=ctx.settings.default_language.code)
    session.channel, session.phone, session.can_text = "sms", phone, True
    was_reporting = runner.flow_of(session.node) == "report"
    try:
        handled = await _handle(ctx, session, phone, form, fresh=saved is None)
        reporting = runner.flow_of(session.node) == "report"
        if reporting or was_reporting:  # only a report's texts touch the record that outlives Redis (lost_report)
            await run_db(ctx.engine, service.note_report, phone=phone, language=session.lang, in_progress=reporting,
                         now=ctx.now(), keep_seconds=TEXT_SESSION_TTL)
    except UNAVAILABLE as exc:
        # The apology calls hear, in the resident's language. The session is not saved: the same text sent again
        # after the outage is taken where the conversation was. Logged without its body or the number in clear.
        log.warning("text %s from %s not handled, the database is unavailable: %s", form["MessageSid"], mask(phone),
                    type(exc).__name__)
        return ctx.wording(session.lang, "sms_sorry_trouble")
    await records.add_inbound(ctx.redis, message_sid=form["MessageSid"], from_masked=mask(phone),
                              language=session.lang, kind=handled.kind, article_id=handled.article_id,
                              confidence=handled.confidence, unanswered=handled.unanswered)
    await store.save_with_answer(phone, session)
    return handled.reply


async def _handle(ctx: FlowContext, session: Session, phone: str, form: dict[str, str], *, fresh: bool) -> Handled:
    w, lang = ctx.wording, session.lang
    now = ctx.now()
    inbound = await limits.allow_inbound(ctx.redis, phone, now)
    if not inbound.allowed and inbound.opens_at is None:  # the day's limit: refused, told once
        return Handled(w(lang, "sms_rate_limited") if inbound.first_refusal else None, "limited")
    body = form.get("Body", "")
    if not inbound.allowed:  # faster than the minute allows: kept, and the resident told once what happens to it
        await held.hold(ctx.redis, phone=phone, body=body[:MAX_BODY], language=lang)
        if not inbound.first_refusal:
            return Handled(None, "limited")
        await threads.run(lambda: held.schedule(ctx.sync_redis, phone=phone, now=now, opens_at=inbound.opens_at))
        return Handled(w(lang, "sms_wait_a_moment"), "limited")
    if len(body) > MAX_BODY or _media(form):
        return Handled(w(lang, "sms_too_long", phone=_phone(ctx)), "too_long")
    keyword, arg = classify(body, _commands(ctx), form.get("OptOutType", ""), prefer=lang)
    twilio_replied = bool(form.get("OptOutType"))  # Twilio's own opt-out handling already answered
    if keyword is Keyword.STOP:
        await run_db(ctx.engine, consent.set_opt_out, phone=phone, opted_out=True, source="STOP")
        await callback_owner.decline(ctx, phone=phone)  # what another line asked for this number is dropped
        session.node = None
        return Handled(None if twilio_replied else w(lang, "sms_stopped", city=ctx.settings.city_name), "stop")
    opted_out = await consent.opted_out_now(ctx.engine, phone=phone)
    if not opted_out and callback_owner.is_yes(ctx, body):  # YES means "call me" only while a request awaits it
        reply = await callback_owner.confirm(ctx, phone=phone)
        if reply is not None:
            return Handled(reply, "callback_confirm")
    if keyword is Keyword.START:
        if twilio_replied or opted_out:
            await run_db(ctx.engine, consent.set_opt_out, phone=phone, opted_out=False, source="START")
            return Handled(None if twilio_replied else w(lang, "sms_started", city=ctx.settings.city_name), "start")
        keyword = Keyword.NONE  # "yes" from someone who never opted out is an ordinary reply
    if keyword is Keyword.HELP:
        text = w(lang, "sms_help", city=ctx.settings.city_name, phone=_phone(ctx))
        return Handled(None if twilio_replied else text, "help")
    if opted_out and keyword is Keyword.CALLBACK_CANCEL:  # their own call-back may still be cancelled, in silence
        await runner.begin(ctx, session, "callback_cancel", TEXT)
        session.node = None
        return Handled(None, "callback")
    if opted_out:  # after STOP only STOP, START and HELP are answered: carriers and the law expect silence
        return Handled(None, "opted_out")
    return await _command(ctx, session, keyword, arg, body, phone=phone if fresh else None)


async def _command(
    ctx: FlowContext, session: Session, keyword: Keyword, arg: str, body: str, *, phone: str | None
) -> Handled:
    """A text that is no opt-out keyword; `phone` is given when the conversation was not found (new, or lost)."""
    w = ctx.wording
    if keyword is Keyword.LANGUAGE:
        session.lang, session.node = arg, None
        return Handled(w(arg, "sms_language_set"), "language")
    if keyword is Keyword.MENU:
        session.node = None
        return Handled(w(session.lang, "sms_menu"), "menu")
    if keyword in (Keyword.UPDATES, Keyword.THANKS) and not session.node:  # mid-report, "ok" is an answer
        session.lang = arg or session.lang
        return await _courtesy(ctx, session, keyword)
    if keyword is Keyword.AGENT:
        lang = session.lang
        hours = agent_hours_sentence(ctx.calendar, w, lang, "sms_agent_hours")
        closure = ctx.calendar.state(ctx.now()).closure  # a supervisor's "close now": the texter reads why
        why = f"{w(lang, 'agents_closed')} {closure.said(lang)} " if closure is not None else ""
        return Handled(f"{w(lang, 'sms_agent', phone=_phone(ctx))} {why}{hours}", "agent")
    if keyword in (Keyword.CALLBACK, Keyword.CALLBACK_CANCEL):
        return await _callback(ctx, session, keyword, arg, body)
    if keyword is Keyword.STATUS:
        number = ticket_numbers.clean(arg)
        if not number:
            return Handled(w(session.lang, "sms_status_usage"), "status")
        turn = await runner.advance(ctx, session, "check_number", Input(InputKind.TEXT, number), TEXT)
        return await _reply(ctx, session, turn, "status")
    if keyword is Keyword.REPORT:
        return await _reply(ctx, session, await runner.begin(ctx, session, "report", TEXT), "report")
    if keyword is Keyword.FORGET_ADDRESS:  # the one way to forget, shared with the call's option
        session.lang, session.node, session.asking = arg or session.lang, None, None
        turn = await runner.begin(ctx, session, "address.forget", TEXT)
        return Handled(render.reply(turn.lines[0][1]), "forget_address")
    text = " ".join(body.split())[:500]
    if phone and (language := await run_db(ctx.engine, service.lost_report, phone=phone, now=ctx.now(),
                                           within_seconds=TEXT_SESSION_TTL)):
        # An answer to a report's question whose conversation Redis lost: say so, never take it for a question.
        session.lang = language
        return Handled(w(language, "sms_report_lost"), "report_lost")
    if session.node:
        turn = await runner.advance(ctx, session, session.node, Input(InputKind.TEXT, text), TEXT)
        return await _reply(ctx, session, turn, "report")
    if not text:
        return Handled(w(session.lang, "sms_empty"), "empty")
    return await _reply(ctx, session, await runner.ask(ctx, session, Input(InputKind.TEXT, text), TEXT), "question")


async def _callback(ctx: FlowContext, session: Session, keyword: Keyword, arg: str, body: str) -> Handled:
    # CALL ME offers the free times as a numbered list; with a request's number the agent is told that request.
    session.lang, session.node = arg or session.lang, None
    if keyword is Keyword.CALLBACK_CANCEL:
        return await _reply(ctx, session, await runner.begin(ctx, session, "callback_cancel", TEXT), "callback")
    number = ticket_numbers.clean(body)
    if ticket_numbers.is_valid(number):
        session.checked = number
        return await _reply(ctx, session, await runner.begin(ctx, session, "callback_ticket", TEXT), "callback")
    turn = await runner.begin(ctx, session, "callback_time", TEXT, arg=CallbackSource.SMS)
    return await _reply(ctx, session, turn, "callback")


async def _courtesy(ctx: FlowContext, session: Session, keyword: Keyword) -> Handled:
    w, lang, city = ctx.wording, session.lang, ctx.settings.city_name
    if keyword is Keyword.THANKS:
        return Handled(w(lang, "sms_thanks"), "thanks")
    messages = await ctx.announcements.lines("greeting", lang)
    if not messages:
        return Handled(w(lang, "sms_updates_none", city=city), "updates")
    return Handled(render.reply(w(lang, "sms_updates", city=city, messages=" ".join(messages))), "updates")


async def _reply(ctx: FlowContext, session: Session, turn: Turn, kind: str) -> Handled:
    """The text for a turn: an answer with its footer, "did you mean", an honest "not sure", or the next question."""
    if any(step.outcome is Outcome.EMERGENCY for step in turn.steps):
        session.node = None
        return Handled(render.reply(" ".join(text for _, text in turn.lines)), "emergency")
    asked = _question_step(turn)
    article_id, confidence = (asked.article_id, asked.confidence) if asked else (None, None)
    if turn.node == "after":  # answered: the article's text, the surge footer, "reply MENU for more"
        session.node = None
        footer = [*await ctx.announcements.lines("sms", turn.language), ctx.wording(turn.language, "sms_footer")]
        text = " ".join([turn.lines[0][1], *footer]) if turn.lines else ""
        return Handled(render.reply(text), "answer", session.article, confidence)
    if turn.node == "unsure":
        session.node = None
        unanswered = asked.input_value if asked and asked.outcome is Outcome.UNSURE else None
        return Handled(render.reply(turn.lines[0][1]), "unanswered", article_id, confidence, unanswered=unanswered)
    if turn.node == "did_you_mean":
        session.node = turn.node
        return Handled(render.render(turn, ctx.wording), "did_you_mean", article_id, confidence)
    if turn.node in END_NODES or turn.end:
        session.node = None
        turn.options, turn.prompt = [], []
        footer = None
        if session.ticket and turn.node == "report_done":
            footer = ctx.wording(turn.language, "sms_check_status", number=session.ticket.number)
        return Handled(render.render(turn, ctx.wording, footer=footer), kind)
    session.node = turn.node
    return Handled(render.render(turn, ctx.wording), kind)


def _question_step(turn: Turn) -> Step | None:
    wanted = (Outcome.ANSWERED, Outcome.CONFIRM, Outcome.UNSURE)
    return next((step for step in turn.steps if step.outcome in wanted and step.node != "answer"), None)


def _commands(ctx: FlowContext) -> dict[str, dict[str, set[str]]]:
    result = {}
    for language in ctx.settings.languages:
        result[language.code] = {
            name: {w.strip().lower() for w in ctx.wording(language.code, f"sms_words_{name}").split(",")}
            for name in ("menu", "report", "status", "agent", "language", "updates", "thanks", "callback",
                         "callback_cancel", "forget_address")
        }
        result[language.code]["language"] |= {language.code.lower(), language.code.split("-")[0]}
    return result


def _media(form: dict[str, str]) -> bool:
    return bool(whole(form.get("NumMedia"), maximum=MAX_MEDIA))  # an unreadable count is no pictures


def _phone(ctx: FlowContext) -> str:
    return display(ctx.settings.numbers[0])
