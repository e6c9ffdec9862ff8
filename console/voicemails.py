"""Voice messages as supervisors work them in the console: the list (waiting ones first), marking one handled, and
answering one with a ticket or a call-back. Each change and its audit entry land in one transaction.

A ticket is opened through crm_bridge.intake.submit, the path every channel uses (its number, its SLA, its delivery
to the city's CRM); a call-back is booked through callbacks.service.request, as the phone and text channels do.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func
from sqlmodel import Session, select

from callbacks import service as callbacks
from callbacks import slots
from callbacks.models import Callback, CallbackKind, CallbackRequest, CallbackSource
from callbacks.service import CallbackError
from console.tickets import audit_ticket
from core import audit, text_rules
from core.db import run_db
from core.defaults import CALLBACK_MIN_NOTICE_MINUTES
from core.phones import Refusal, mask, outbound_refusal
from crm_bridge import intake
from crm_bridge import service as crm
from crm_bridge.models import TicketCreate, TicketPublic
from crm_bridge.service import IntakeError
from crm_bridge.ticket_numbers import printed
from flows.context import FlowContext
from queueing.models import Voicemail

PAGE_SIZE = 50
MAX_PAGE = 100_000
SLOTS_OFFERED = 12
REFUSALS = {
    Refusal.INVALID: "this caller's number cannot be called back (it is hidden or not a phone number)",
    Refusal.REGION: "this caller's number is in a country we do not call",
    Refusal.NUMBER_TYPE: "we only call back ordinary phone numbers (not premium-rate, toll-free or the like)",
}


class VoicemailError(ValueError):
    """A change the console refuses; `field` names the form field the reason belongs beside."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass
class VoicemailPage:
    rows: list[Voicemail]
    total: int
    waiting: int  # not yet handled


def listing(session: Session, *, number: int, size: int) -> VoicemailPage:
    """One page of voice messages: those not yet handled first, newest first within each."""
    residents = Voicemail.test_run.is_(None)  # a test call's message is never a resident's to return
    rows = session.exec(
        select(Voicemail)
        .where(residents)
        .order_by(Voicemail.returned_at.is_not(None), Voicemail.created_at.desc(), Voicemail.id.desc())
        .offset((number - 1) * size)
        .limit(size)
    ).all()
    total = session.exec(select(func.count()).select_from(Voicemail).where(residents)).one()
    waiting = session.exec(
        select(func.count()).select_from(Voicemail).where(residents, Voicemail.returned_at.is_(None))
    ).one()
    return VoicemailPage(list(rows), total, waiting)


def get(session: Session, *, voicemail_id: int) -> Voicemail | None:
    """The voice message with this id."""
    return session.get(Voicemail, voicemail_id)


def _found(session: Session, voicemail_id: int) -> Voicemail:
    row = get(session, voicemail_id=voicemail_id)
    if row is None:
        raise LookupError(voicemail_id)
    return row


def _audited(row: Voicemail) -> dict:
    # The trail keeps what changed and whose message it was, masked.
    return {"caller": mask(row.caller or ""), "returned_at": row.returned_at.isoformat() if row.returned_at else None}


def _handled(session: Session, row: Voicemail, *, actor: str, now: dt.datetime, action: str, why: dict) -> None:
    before = _audited(row)
    row.returned_at = row.returned_at or now
    session.add(row)
    audit.record(
        session,
        actor=actor,
        action=action,
        subject=f"voicemail:{row.id}",
        before=before,
        after={**_audited(row), **why},
    )


def mark_handled(session: Session, *, voicemail_id: int, actor: str, now: dt.datetime) -> Voicemail:
    """Mark a voice message as dealt with (audited); marking it twice changes nothing."""
    row = _found(session, voicemail_id)
    if row.returned_at is None:
        _handled(session, row, actor=actor, now=now, action="voicemail.handled", why={})
    return row


def free_times(session: Session, *, ctx: FlowContext) -> list[dt.datetime]:
    """The next call-back slots with room, for the supervisor to choose from (the same notice residents get)."""
    return slots.free_slots(
        session,
        calendar=ctx.calendar,
        settings=ctx.settings.callbacks,
        now=ctx.now(),
        limit=SLOTS_OFFERED,
        notice_minutes=CALLBACK_MIN_NOTICE_MINUTES,
    )


def _book(session: Session, *, ctx: FlowContext, voicemail_id: int, when: dt.datetime | None, actor: str):
    row = _found(session, voicemail_id)
    refusal = outbound_refusal(row.caller, ctx.settings.outbound.countries)
    if refusal is not None:
        raise VoicemailError("when", REFUSALS[refusal])
    now = ctx.now()
    if when is not None and not slots.is_free(
        session, calendar=ctx.calendar, settings=ctx.settings.callbacks, now=now, when=when
    ):
        raise VoicemailError("when", "that time is no longer free; choose another")
    data = CallbackRequest(
        phone=row.caller,
        language=row.language,
        source=CallbackSource.VOICEMAIL,
        kind=CallbackKind.SCHEDULED if when else CallbackKind.KEEP_PLACE,
        due_at=when,
        joined_at=None if when else now,  # "as soon as an agent is free": in line from now, behind those waiting
    )
    try:
        booked, updated = callbacks.request(session, data=data, now=now, actor=actor)
    except CallbackError as exc:
        raise VoicemailError("when", str(exc)) from None
    _handled(session, row, actor=actor, now=now, action="voicemail.callback", why={"callback": booked.id})
    return booked, updated


async def find(ctx: FlowContext, *, number: int) -> VoicemailPage:
    """One page of the list (listing), PAGE_SIZE messages."""
    return await run_db(ctx.engine, listing, number=number, size=PAGE_SIZE)


async def one(ctx: FlowContext, *, voicemail_id: int) -> Voicemail | None:
    """The voice message with this id (get)."""
    return await run_db(ctx.engine, get, voicemail_id=voicemail_id)


async def times(ctx: FlowContext) -> list[dt.datetime]:
    """The call-back times a supervisor may choose (free_times)."""
    return await run_db(ctx.engine, free_times, ctx=ctx)


async def handled(ctx: FlowContext, *, voicemail_id: int, actor: str) -> Voicemail:
    """Mark the message dealt with (mark_handled)."""
    return await run_db(ctx.engine, mark_handled, voicemail_id=voicemail_id, actor=actor, now=ctx.now())


async def book_callback(
    ctx: FlowContext, *, voicemail_id: int, when: dt.datetime | None, actor: str
) -> tuple[Callback, bool]:
    """Book a call-back to the message's caller at a free slot, or as soon as an agent is free (None); audited.

    Returns the call-back and whether the number's existing one was moved instead (one active call-back per number).
    """
    return await run_db(ctx.engine, _book, ctx=ctx, voicemail_id=voicemail_id, when=when, actor=actor)


async def open_ticket(
    ctx: FlowContext,
    *,
    voicemail_id: int,
    service_code: str,
    address: str,
    description: str,
    actor: str,
    attributes: dict[str, str] | None = None,
) -> TicketPublic:
    """Open a ticket from a voice message through the normal intake path; the message is noted in its history and
    marked handled (audited). crm_bridge.service.IntakeError says which field is wrong."""
    for code, value in (("address_string", address), ("description", description)):
        if problem := text_rules.refusal(value):
            raise IntakeError(code, f"{code} {problem}")
    row = await run_db(ctx.engine, _found, voicemail_id=voicemail_id)
    data = TicketCreate(
        service_code=service_code,
        address=address,
        description=description,
        language=row.language,
        channel="voice",
        phone=row.caller,
        recording_url=row.recording_url,
        attributes={code: value for code, value in (attributes or {}).items() if value},
    )
    ticket = await intake.submit(ctx, data)

    def note(session: Session) -> None:
        opened = crm.get_ticket(session, number=ticket.number)
        found = _found(session, voicemail_id)
        left = f"{found.created_at:%Y-%m-%d %H:%M} UTC"
        said = f"opened from voice message {found.id} left {left}"
        crm.record_event(session, ticket=opened, note=said, actor=actor, now=ctx.now())
        after = {
            "service_code": ticket.service_code,
            "status": ticket.status,
            "voicemail": found.id,
            "duplicate_of": ticket.duplicate_of,
        }
        audit_ticket(session, ticket=opened, action="ticket.open", actor=actor, before=None, after=after)
        _handled(
            session,
            found,
            actor=actor,
            now=ctx.now(),
            action="voicemail.ticket",
            why={"ticket": printed(ticket.number)},
        )

    await run_db(ctx.engine, note)
    return ticket
