"""An agent's page: the caller on their desk (the screen pop) and what the agent does for them, during or after
the call: a request through the same intake as every channel, a text (an article, the request's number), a
call-back, a note, wrap-up done. Every action is audited against the call (subject "call:<sid>").

The caller's number comes from the desk in Redis (queueing.agent_desk) only, so an action can only be about the
caller the agent was put through to: the form names that call, and a stale page is refused.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlmodel import Session

from callbacks import service as callbacks
from callbacks import slots
from callbacks.models import Callback, CallbackKind, CallbackRequest, CallbackSource
from callbacks.service import CallbackError
from console import contacts
from console.contacts import CallSummary, StepLine
from console.tickets import audit_ticket
from core import audit, text_rules, threads, write_behind
from core.db import run_db
from core.defaults import CALLBACK_MIN_NOTICE_MINUTES
from core.phones import mask, number_key, outbound_refusal
from core.worker import enqueue
from crm_bridge import intake
from crm_bridge import service as crm
from crm_bridge.models import Ticket, TicketCreate, TicketPublic
from crm_bridge.service import IntakeError
from crm_bridge.ticket_numbers import printed
from flows.context import FlowContext
from flows.spoken_time import spoken_date
from messaging import caps, outbound
from queueing.agent_desk import AgentDesks, CallerOnDesk, Desk, city_day

NOTE_MAX_CHARS = 2000
SLOTS_OFFERED = 12


class DeskError(ValueError):
    """An action the page refuses; `field` names the form field the reason belongs beside."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass
class ScreenPop:
    """What the agent's page shows of the caller on their desk."""

    desk: Desk
    caller: CallerOnDesk | None
    language: str = ""
    masked: str = ""
    topic: str | None = None  # the matched article's title
    steps: list[StepLine] = field(default_factory=list)
    earlier: list[CallSummary] = field(default_factory=list)
    requests: list[Ticket] = field(default_factory=list)
    callbacks: list[Callback] = field(default_factory=list)
    ticket: Ticket | None = None  # the call-back's request, or one the caller opened or checked in the IVR
    callback: Callback | None = None  # the call-back this call is
    actions: list = field(default_factory=list)
    crm_url: str | None = None


def _titles(kb, language: str) -> dict[str, str]:
    return {article_id: article.title for (lang, article_id), article in kb.articles.items() if lang == language}


async def screen_pop(ctx: FlowContext, *, agent: str) -> ScreenPop:
    """The agent's desk and, when a caller is (or was last) on it, everything the page shows of them."""
    desk = await AgentDesks(ctx.redis).read(agent)
    caller = desk.caller
    if caller is None:
        return ScreenPop(desk=desk, caller=None)
    # The caller's steps are written behind (about a second after each webhook): write what is waiting now.
    await threads.run(write_behind.catch_up, ctx.engine, ctx.settings.redis_url)
    kb = await ctx.knowledge.get()
    staff = ctx.settings.default_language.code
    titles = _titles(kb, staff) | {k: v for k, v in _titles(kb, caller.language).items() if k not in _titles(kb, staff)}
    article = kb.article(staff, caller.topic) or kb.article(caller.language, caller.topic)
    key = number_key(ctx.settings.console_secret, caller.phone)

    def read(session: Session) -> ScreenPop:
        ticket = crm.get_ticket(session, number=caller.ticket) if caller.ticket else None
        return ScreenPop(
            desk=desk,
            caller=caller,
            language=ctx.settings.language(caller.language).name,
            masked=mask(caller.phone or ""),
            topic=article.title if article else None,
            steps=contacts.step_lines(session, call_sid=caller.call_sid, titles=titles),
            earlier=contacts.earlier_calls(session, key=key, before=caller.call_sid, titles=titles),
            requests=contacts.requests_from(session, phone=caller.phone),
            callbacks=contacts.callbacks_for(session, phone=caller.phone),
            ticket=ticket,
            callback=callbacks.get(session, callback_id=caller.callback_id) if caller.callback_id else None,
            actions=contacts.actions_on(session, call_sid=caller.call_sid),
            crm_url=ctx.settings.console.crm_url(caller.phone) if caller.phone else None,
        )

    return await run_db(ctx.engine, read)


async def _caller(ctx: FlowContext, agent: str, call_sid: str) -> CallerOnDesk:
    desk = await AgentDesks(ctx.redis).read(agent)
    if desk.caller is None or desk.caller.call_sid != call_sid:
        raise DeskError("call", "this caller is no longer on your desk; the page shows who is now")
    return desk.caller


def _phone(caller: CallerOnDesk, field_name: str) -> str:
    if not caller.phone:
        raise DeskError(field_name, "the caller's number is hidden: nothing can be texted or booked for it")
    return caller.phone


def _subject(caller: CallerOnDesk) -> str:
    return f"call:{caller.call_sid}"


async def _record(ctx: FlowContext, caller: CallerOnDesk, *, action: str, actor: str, after: dict) -> None:
    def write(session: Session) -> None:
        audit.record(session, actor=actor, action=action, subject=_subject(caller),
                     after={"caller": mask(caller.phone or ""), **after})

    await run_db(ctx.engine, write)


async def _text(ctx: FlowContext, *, to: str, body: str, kind: str, ticket_number: str | None = None) -> str:
    """Queue a text through the same guards as every channel: the number's kind, STOP, the caps. Returns "sent"
    (queued) or why not."""
    refused = await run_db(ctx.engine, lambda session: outbound.refusal(session, ctx.settings, to))
    if refused:
        return refused
    hit = await threads.run(caps.TextCounters(ctx.sync_redis, ctx.settings.outbound).reserve, to, ctx.now())
    if hit is not None:
        return hit.value
    await enqueue(ctx.sync_redis, outbound.send_text, to=to, body=body, kind=kind, ticket_number=ticket_number,
                  counted=True)
    return "sent"


def ticket_text(ctx: FlowContext, ticket: TicketPublic, language: str) -> str:
    """The text a caller gets with the request's number and due date, in their language."""
    lang = ctx.settings.language(language).code
    when = spoken_date(ticket.expected_at, ctx.settings.timezone, ctx.wording, lang)
    return " ".join((ctx.wording(lang, "ticket_number", number=printed(ticket.number)),
                     ctx.wording(lang, "ticket_expected", date=when)))


@dataclass(frozen=True)
class Opened:
    """A request opened from the agent's page: its number and due date to read out, and what became of the text."""

    ticket: TicketPublic
    texted: str | None  # None: the caller did not ask for a text; "sent" or why not


async def open_ticket(ctx: FlowContext, *, agent: str, call_sid: str, service_code: str, address: str,
                      description: str, attributes: dict[str, str], text_it: bool, actor: str) -> Opened:
    """Open a request for the caller through crm_bridge.intake (its number, its SLA date, its CRM delivery), texted to
    them if they agreed; audited on the call and the ticket. IntakeError names a wrong field."""
    caller = await _caller(ctx, agent, call_sid)
    if text_it:
        _phone(caller, "text_it")
    for code, value in (("address_string", address), ("description", description)):
        if problem := text_rules.refusal(value):
            raise IntakeError(code, f"{code} {problem}")
    data = TicketCreate(
        service_code=service_code, address=address, description=description, language=caller.language or "en-US",
        channel="voice", phone=caller.phone, notify_on_close=text_it and bool(caller.phone),
        attributes={code: value for code, value in attributes.items() if value},
    )
    ticket = await intake.submit(ctx, data)

    def note(session: Session) -> None:
        opened = crm.get_ticket(session, number=ticket.number)
        crm.record_event(session, ticket=opened, note=f"opened by agent {agent} during a call", actor=actor,
                         now=ctx.now())
        audit_ticket(session, ticket=opened, action="ticket.open", actor=actor, before=None,
                     after={"service_code": ticket.service_code, "status": ticket.status, "agent": agent,
                            "duplicate_of": ticket.duplicate_of})

    await run_db(ctx.engine, note)
    texted = None
    if text_it:
        texted = await _text(ctx, to=caller.phone, body=ticket_text(ctx, ticket, caller.language), kind="ticket",
                             ticket_number=ticket.number)
    await _record(ctx, caller, action="contact.ticket", actor=actor,
                  after={"ticket": ticket.number, "texted": texted or "not asked"})
    return Opened(ticket, texted)


async def text_article(ctx: FlowContext, *, agent: str, call_sid: str, article_id: str, actor: str) -> str:
    """Text the caller an article's text answer, in their language (else the staff's); "sent" or why not."""
    caller = await _caller(ctx, agent, call_sid)
    to = _phone(caller, "article")
    kb = await ctx.knowledge.get()
    article = kb.article(caller.language, article_id) or kb.article(ctx.settings.default_language.code, article_id)
    if article is None:
        raise DeskError("article", "choose an article to text")
    status = await _text(ctx, to=to, body=article.text, kind="answer")
    await _record(ctx, caller, action="contact.text", actor=actor, after={"article": article_id, "status": status})
    return status


def free_times(session: Session, *, ctx: FlowContext) -> list[dt.datetime]:
    """The next call-back slots with room (the same notice residents get)."""
    return slots.free_slots(session, calendar=ctx.calendar, settings=ctx.settings.callbacks, now=ctx.now(),
                            limit=SLOTS_OFFERED, notice_minutes=CALLBACK_MIN_NOTICE_MINUTES)


async def times(ctx: FlowContext) -> list[dt.datetime]:
    """The call-back times an agent may offer (free_times)."""
    return await run_db(ctx.engine, free_times, ctx=ctx)


async def book_callback(ctx: FlowContext, *, agent: str, call_sid: str, when: dt.datetime | None,
                        actor: str) -> tuple[Callback, bool]:
    """Book a call-back to the caller at a free slot, or as soon as an agent is free (None); audited. Returns it and
    whether the number's existing one was moved instead."""
    caller = await _caller(ctx, agent, call_sid)
    phone = _phone(caller, "when")
    if outbound_refusal(phone, ctx.settings.outbound.countries) is not None:
        raise DeskError("when", "we do not call this number back (not an ordinary line in a country we call)")

    def book(session: Session) -> tuple[Callback, bool]:
        now = ctx.now()
        if when is not None and not slots.is_free(session, calendar=ctx.calendar, settings=ctx.settings.callbacks,
                                                  now=now, when=when):
            raise DeskError("when", "that time is no longer free; choose another")
        data = CallbackRequest(phone=phone, language=caller.language or ctx.settings.default_language.code,
                               source=CallbackSource.AGENT,
                               kind=CallbackKind.SCHEDULED if when else CallbackKind.KEEP_PLACE,
                               due_at=when, joined_at=None if when else now, ticket_number=caller.ticket)
        try:
            booked, updated = callbacks.request(session, data=data, now=now, actor=actor)
        except CallbackError as exc:
            raise DeskError("when", str(exc)) from None
        audit.record(session, actor=actor, action="contact.callback", subject=_subject(caller),
                     after={"caller": mask(phone), "callback": booked.id,
                            "due_at": booked.due_at.isoformat() if booked.due_at else "as soon as an agent is free"})
        return booked, updated

    return await run_db(ctx.engine, book)


async def add_note(ctx: FlowContext, *, agent: str, call_sid: str, note: str, actor: str) -> None:
    """Keep the agent's note on the call (in the audit trail, shown with the contact)."""
    caller = await _caller(ctx, agent, call_sid)
    note = " ".join(note.split())
    if not note:
        raise DeskError("note", "write the note first")
    if len(note) > NOTE_MAX_CHARS:
        raise DeskError("note", f"the note is {len(note)} characters; at most {NOTE_MAX_CHARS}")
    if problem := text_rules.refusal(note):
        raise DeskError("note", f"the note {problem}")
    await _record(ctx, caller, action="contact.note", actor=actor, after={"note": note})


async def wrap_up_done(ctx: FlowContext, *, agent: str, call_sid: str, actor: str) -> int | None:
    """The agent finished the call's after-work: its time counts to their handle time; audited."""
    caller = await _caller(ctx, agent, call_sid)
    now = ctx.now()
    spent = await AgentDesks(ctx.redis).wrap_up_done(agent, now, city_day(now, ctx.settings.timezone))
    await _record(ctx, caller, action="contact.wrap-up", actor=actor,
                  after={"wrap_up_seconds": spent if spent is not None else "none pending"})
    return spent
