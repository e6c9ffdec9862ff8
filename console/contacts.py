"""Contacts as staff read them: one call's IVR steps as text, what became of it, and a number's earlier calls,
requests and call-backs. The agent's screen pop and the supervisors' contact search both read them from here.

A caller's number is never stored with their call: calls are found by core.phones.number_key, a keyed digest.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlmodel import Session, select

from callbacks.models import Callback, CallbackAttempt
from core import audit
from core.audit import AuditEntry
from core.db import run_db
from core.phones import mask, number_key
from crm_bridge import service as crm
from crm_bridge import ticket_numbers
from crm_bridge.models import Ticket
from flows.turns import InputKind, Outcome
from ivr.models import Call, CallStep
from queueing.models import QueueOutcome, Voicemail

EARLIER = 10  # earlier calls, requests and call-backs shown for one number
FOUND = 50  # calls listed for one search
CONTACT_ACTIONS = ("contact.ticket", "contact.text", "contact.callback", "contact.note", "contact.wrap-up")

# How each outcome of a step reads to an agent (the step's input is said before it).
OUTCOME_WORDS = {
    Outcome.MENU: "heard the menu",
    Outcome.ANSWERED: "was answered",
    Outcome.CONFIRM: "was asked to confirm",
    Outcome.UNSURE: "was not understood for sure",
    Outcome.NO_INPUT: "said nothing",
    Outcome.INVALID: "was not understood",
    Outcome.AGENT: "asked for a person",
    Outcome.TEXT_ME: "asked for a text",
    Outcome.GOODBYE: "said goodbye",
    Outcome.LANGUAGE: "chose a language",
    Outcome.TICKET_OPENED: "had a request opened",
    Outcome.TICKET_CHECKED: "checked a request",
    Outcome.VOICEMAIL: "left a voice message",
    Outcome.EMERGENCY: "was told to call 911",
    Outcome.LOST: "had lost their place",
}


@dataclass(frozen=True)
class StepLine:
    """One IVR step as a sentence: what the caller did, at which point, and what came of it."""

    seq: int
    node: str
    did: str  # 'pressed 0', 'said "…"', '' (nothing)
    outcome: str
    article: str | None = None  # the article's title, when the step answered with one


@dataclass(frozen=True)
class CallSummary:
    """One call in a list: when, language, masked number, steps, and its outcome in a few words."""

    call_sid: str
    started_at: dt.datetime
    language: str
    caller_masked: str
    steps: int
    status: str
    article: str | None
    agent_requested: bool
    self_service: bool
    duration_seconds: int | None


@dataclass
class ContactRecord:
    """Everything kept of one call, for the contact page."""

    call: CallSummary
    steps: list[StepLine]
    queue: list[QueueOutcome]
    voicemails: list[Voicemail]
    tickets: list[Ticket]  # requests opened on this call (by the IVR or an agent)
    actions: list[AuditEntry]  # what agents did about it (notes, texts, tickets, call-backs)
    earlier: list[CallSummary] = field(default_factory=list)


def step_lines(session: Session, *, call_sid: str, titles: dict[str, str]) -> list[StepLine]:
    """The call's IVR steps in order, as text (titles: article id → title)."""
    rows = session.exec(select(CallStep).where(CallStep.call_sid == call_sid).order_by(CallStep.seq)).all()
    return [
        StepLine(
            seq=row.seq,
            node=row.node,
            did=_did(row),
            outcome=OUTCOME_WORDS.get(Outcome(row.outcome), str(row.outcome)),
            article=titles.get(row.article_id) if row.article_id and row.outcome == Outcome.ANSWERED else None,
        )
        for row in rows
    ]


def _did(row: CallStep) -> str:
    if row.input_kind == InputKind.KEY:
        return f"pressed {row.input_value}" if row.input_value else "pressed a key we do not use"
    if row.input_kind in (InputKind.SPEECH, InputKind.TEXT):
        return f"said “{row.input_value}”"
    if row.input_kind == InputKind.RECORDING:
        return "recorded a message"
    return ""


def summary(row: Call, titles: dict[str, str]) -> CallSummary:
    """A call as a list shows it."""
    return CallSummary(
        call_sid=row.call_sid,
        started_at=row.started_at,
        language=row.language,
        caller_masked=row.caller_masked,
        steps=row.steps_taken,
        status=row.status,
        article=titles.get(row.article_id) if row.article_id else None,
        agent_requested=row.agent_requested,
        self_service=row.self_service,
        duration_seconds=row.duration_seconds,
    )


def earlier_calls(session: Session, *, key: str | None, before: str, titles: dict[str, str]) -> list[CallSummary]:
    """The number's calls other than this one, newest first."""
    if key is None:
        return []
    rows = session.exec(
        select(Call).where(Call.caller_key == key, Call.call_sid != before).order_by(Call.started_at.desc())
        .limit(EARLIER)
    ).all()
    return [summary(row, titles) for row in rows]


def requests_from(session: Session, *, phone: str | None) -> list[Ticket]:
    """The requests opened from this number, newest first."""
    if not phone:
        return []
    return list(session.exec(select(Ticket).where(Ticket.phone == phone).order_by(Ticket.created_at.desc())
                             .limit(EARLIER)).all())


def callbacks_for(session: Session, *, phone: str | None) -> list[Callback]:
    """The call-backs booked for this number, newest first."""
    if not phone:
        return []
    return list(session.exec(select(Callback).where(Callback.phone == phone).order_by(Callback.created_at.desc())
                             .limit(EARLIER)).all())


def actions_on(session: Session, *, call_sid: str) -> list[AuditEntry]:
    """What agents did about this call (notes, texts, tickets, call-backs, wrap-up), oldest first."""
    return list(session.exec(
        select(AuditEntry).where(AuditEntry.subject == f"call:{call_sid}", AuditEntry.action.in_(CONTACT_ACTIONS))
        .order_by(AuditEntry.id)
    ).all())


def search(session: Session, *, secret: str, number: str = "", ticket: str = "", day: dt.date | None = None,
           zone=dt.UTC, titles: dict[str, str]) -> list[CallSummary]:
    """Calls from a number, from the number that opened a ticket, or on a day of the city's calendar; newest first."""
    query = select(Call)
    if number:
        query = query.where(Call.caller_key == (number_key(secret, number) or "-"))
    if ticket:
        found = crm.get_ticket(session, number=ticket_numbers.clean(ticket))
        query = query.where(Call.caller_key == ((number_key(secret, found.phone) if found else None) or "-"))
    if day is not None:
        start = dt.datetime.combine(day, dt.time(), tzinfo=zone)
        query = query.where(Call.started_at >= start, Call.started_at < start + dt.timedelta(days=1))
    rows = session.exec(query.order_by(Call.started_at.desc()).limit(FOUND)).all()
    return [summary(row, titles) for row in rows]


def contact(session: Session, *, call_sid: str, titles: dict[str, str]) -> ContactRecord | None:
    """Everything kept of one call: steps, queue outcomes, voice messages, requests opened, agents' actions."""
    row = session.exec(select(Call).where(Call.call_sid == call_sid)).first()
    if row is None:
        return None
    actions = actions_on(session, call_sid=call_sid)
    opened = {str((entry.after or {}).get("ticket", "")) for entry in actions if entry.action == "contact.ticket"}
    tickets = [t for number in sorted(opened) if number and (t := crm.get_ticket(session, number=number))]
    return ContactRecord(
        call=summary(row, titles),
        steps=step_lines(session, call_sid=call_sid, titles=titles),
        queue=list(session.exec(select(QueueOutcome).where(QueueOutcome.call_sid == call_sid)
                                .order_by(QueueOutcome.id)).all()),
        voicemails=list(session.exec(select(Voicemail).where(Voicemail.call_sid == call_sid)).all()),
        tickets=tickets,
        actions=actions,
        earlier=earlier_calls(session, key=row.caller_key, before=call_sid, titles=titles),
    )


def masked(phone: str | None) -> str:
    """A number as staff see it by default."""
    return mask(phone or "")


def reveal(session: Session, *, call_sid: str, actor: str) -> str | None:
    """The caller's whole number, where this call left it (its voice message, a request opened on it, a call-back
    it was); audited whether or not it is found. None: the number was never kept."""
    record = contact(session, call_sid=call_sid, titles={})
    if record is None:
        return None
    found = next((v.caller for v in record.voicemails if v.caller), None)
    found = found or next((t.phone for t in record.tickets if t.phone), None)
    if found is None:
        attempt = session.exec(select(CallbackAttempt).where(CallbackAttempt.call_sid == call_sid)).first()
        called = session.get(Callback, attempt.callback_id) if attempt else None
        found = called.phone if called else None
    audit.record(session, actor=actor, action="contact.reveal", subject=f"call:{call_sid}",
                 after={"caller": mask(found or ""), "revealed": found is not None})
    return found


# The pages' way in: each runs its work above in a worker thread, in one transaction.


async def find(ctx, *, number: str, ticket: str, day: dt.date | None, titles: dict[str, str]) -> list[CallSummary]:
    """Calls matching the search (search)."""
    return await run_db(ctx.engine, search, secret=ctx.settings.console_secret, number=number, ticket=ticket, day=day,
                        zone=ctx.settings.timezone, titles=titles)


async def one(ctx, *, call_sid: str, titles: dict[str, str]) -> ContactRecord | None:
    """Everything kept of one call (contact)."""
    return await run_db(ctx.engine, contact, call_sid=call_sid, titles=titles)


async def revealed(ctx, *, call_sid: str, actor: str) -> str | None:
    """The caller's whole number where the call kept it, audited (reveal)."""
    return await run_db(ctx.engine, reveal, call_sid=call_sid, actor=actor)
