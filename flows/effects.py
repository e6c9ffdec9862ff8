"""Carrying out what a conversation asked for, between two of its steps: the one place flows reach the domain."""

from __future__ import annotations

from callbacks import service as callbacks
from callbacks import slots
from callbacks.limits import RequestCounters
from callbacks.models import CallbackKind, CallbackRequest, CallbackSource
from callbacks.service import CallbackError, Refusal
from core import threads
from core.db import run_db
from core.defaults import CALLBACK_MIN_NOTICE_MINUTES, CALLBACK_SLOTS_OFFERED
from core.phones import mask, outbound_refusal
from core.worker import enqueue
from crm_bridge import intake
from crm_bridge.models import TicketCreate
from crm_bridge.service import IntakeError
from flows import callback_owner
from flows.context import FlowContext
from flows.session import CallbackDraft, Session
from flows.turns import (
    BookCallback,
    BookingResult,
    CallbackBooking,
    CallbackCancelled,
    CancelCallback,
    CancelResult,
    Effect,
    EnterQueue,
    FindSlots,
    ForgetAddress,
    KeepAddress,
    LookupTicket,
    OpenTicket,
    RecallAddress,
    SaveVoicemail,
    SendText,
    SlotOffer,
    TextOutcome,
    TextResult,
)
from messaging import caps, outbound
from places import remembered
from queueing import admission


async def perform(ctx: FlowContext, s: Session, effect: Effect, *, channel: str):
    """Carry out one effect and return its result (a ticket, a queue decision...) for Conversation.resume."""
    if isinstance(effect, OpenTicket):
        return await _open_ticket(ctx, s, effect, channel=channel)
    if isinstance(effect, LookupTicket):
        return await intake.lookup(ctx, effect.number)
    if isinstance(effect, EnterQueue):
        return await admission.decide(ctx, effect.language, call_sid=s.call_sid)
    if isinstance(effect, SendText):
        return await _send_text(ctx, s, effect)
    if isinstance(effect, SaveVoicemail):
        return await admission.save_voicemail(
            ctx, call_sid=s.call_sid, caller=s.phone, language=s.lang, url=effect.recording_url
        )
    if isinstance(effect, FindSlots):
        return await _find_slots(ctx, effect)
    if isinstance(effect, BookCallback):
        return await _book_callback(ctx, s, effect.draft, channel=channel)
    if isinstance(effect, CancelCallback):
        return await _cancel_callback(ctx, effect.phone, channel=channel)
    if isinstance(effect, RecallAddress):
        return await remembered.recall(ctx.redis, secret=ctx.settings.console_secret, phone=s.phone)
    if isinstance(effect, KeepAddress):
        done = await remembered.keep(ctx.redis, secret=ctx.settings.console_secret, phone=s.phone,
                                     label=effect.label, days=ctx.settings.places.remember_days)
        return effect.label if done else None  # the label kept: what the resident is told
    if isinstance(effect, ForgetAddress):
        return await remembered.forget(ctx.redis, secret=ctx.settings.console_secret, phone=s.phone)
    raise TypeError(f"unknown effect {effect!r}")


async def _send_text(ctx: FlowContext, s: Session, effect: SendText) -> TextOutcome:
    # Checked here, in the call, so the caller hears the truth; the job checks consent and the number again.
    to = effect.to or s.phone
    if not to:
        return TextOutcome(TextResult.NO_NUMBER, effect)
    if s.texts_sent >= ctx.settings.outbound.texts_per_call:
        return TextOutcome(TextResult.CALL_LIMIT, effect)
    refused = await run_db(ctx.engine, _refusal, settings=ctx.settings, phone=to)
    if refused:
        return TextOutcome(TextResult(refused), effect)
    counters = caps.TextCounters(ctx.sync_redis, ctx.settings.outbound)
    hit = await threads.run(counters.reserve, to, ctx.now())
    if hit is not None:
        return TextOutcome(TextResult(hit), effect)
    await enqueue(ctx.sync_redis, outbound.send_text, to=to, body=effect.body, kind=effect.kind,
                  ticket_number=effect.ticket_number, counted=True)
    s.texts_sent += 1
    return TextOutcome(TextResult.SENT, effect)


def _refusal(session, *, settings, phone: str) -> str | None:
    return outbound.refusal(session, settings, phone)


async def _open_ticket(ctx: FlowContext, s: Session, effect: OpenTicket, *, channel: str):
    draft = effect.draft
    data = TicketCreate(
        service_code=draft.service or "",
        address=draft.address or "",
        description=draft.details or "",
        recording_url=draft.recording,
        phone=draft.phone,
        notify_on_close=draft.notify and bool(draft.phone),
        attributes=draft.attrs,
        language=s.lang,
        channel=channel,
        lat=draft.point.latitude if draft.point else None,
        long=draft.point.longitude if draft.point else None,
        matched_address=draft.point.label if draft.point else "",
        areas=draft.point.areas if draft.point else {},
        address_flagged=draft.flagged,
    )
    try:
        return await intake.submit(ctx, data)
    except IntakeError as exc:
        return exc


async def _find_slots(ctx: FlowContext, effect: FindSlots) -> SlotOffer:
    found = None
    if effect.ticket_number:
        found = await intake.lookup(ctx, effect.ticket_number) is not None
    offered = await run_db(ctx.engine, slots.free_slots, calendar=ctx.calendar, settings=ctx.settings.callbacks,
                           now=ctx.now(), limit=CALLBACK_SLOTS_OFFERED, notice_minutes=CALLBACK_MIN_NOTICE_MINUTES)
    return SlotOffer(offered, found)


async def _book_callback(ctx: FlowContext, s: Session, draft: CallbackDraft, *, channel: str) -> CallbackBooking:
    # The number gets our call: premium-rate, foreign or short codes are refused here too, whatever a step checked.
    if not draft.phone or outbound_refusal(draft.phone, ctx.settings.outbound.countries) is not None:
        return CallbackBooking(BookingResult.NOT_ALLOWED)
    # Counted against the asking line (its own number, else the call), never against a number keyed for someone else.
    asker = callback_owner.requester(s.phone, s.call_sid)
    counters = RequestCounters(ctx.sync_redis, ctx.settings.callbacks)
    hit = await threads.run(lambda: counters.reserve(draft.phone, ctx.now(), requester=asker))
    if hit is not None:
        return CallbackBooking(BookingResult(hit))
    data = CallbackRequest(
        phone=draft.phone, language=s.lang, kind=CallbackKind(draft.kind), source=CallbackSource(draft.source),
        joined_at=draft.joined_at, due_at=draft.due_at, topic=draft.topic, ticket_number=draft.ticket_number,
        text_updates=draft.text_updates,
    )
    if draft.phone != s.phone:  # not the asking line's own: its owner says YES by text first
        return await callback_owner.ask(ctx, data=data, actor=_resident(channel, s.phone or ""))
    try:
        row, updated = await run_db(ctx.engine, _request, ctx=ctx, data=data, actor=_resident(channel, draft.phone))
    except CallbackError as exc:
        return CallbackBooking(BookingResult(exc.reason))
    return CallbackBooking(BookingResult.UPDATED if updated else BookingResult.BOOKED, row.due_at)


def _request(session, *, ctx: FlowContext, data: CallbackRequest, actor: str):
    now = ctx.now()
    if data.kind is CallbackKind.SCHEDULED and not slots.is_free(
        session, calendar=ctx.calendar, settings=ctx.settings.callbacks, now=now, when=data.due_at
    ):
        raise CallbackError(Refusal.SLOT_TAKEN, "that time is no longer free")
    return callbacks.request(session, data=data, now=now, actor=actor)


async def _cancel_callback(ctx: FlowContext, phone: str, *, channel: str) -> CallbackCancelled:
    def cancel(session, **kwargs) -> CallbackCancelled:
        try:
            row = callbacks.cancel(session, **kwargs)
        except CallbackError as exc:
            return CallbackCancelled(CancelResult(exc.reason))
        if row is None:
            return CallbackCancelled(CancelResult.NONE)
        return CallbackCancelled(CancelResult.CANCELLED, row.due_at, row.kind)

    return await run_db(ctx.engine, cancel, phone=phone, actor=_resident(channel, phone), now=ctx.now())


def _resident(channel: str, phone: str) -> str:
    # The audit trail names who asked without keeping their number.
    return f"resident ({channel}, {mask(phone)})"
