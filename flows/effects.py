"""Carrying out what a conversation asked for, between two of its steps: the one place flows reach the domain."""

from __future__ import annotations

import anyio.to_thread

from core.db import run_db
from core.worker import enqueue
from crm_bridge import intake
from crm_bridge.models import TicketCreate
from crm_bridge.service import IntakeError
from flows.context import FlowContext
from flows.session import Session
from flows.turns import Effect, EnterQueue, LookupTicket, OpenTicket, SaveVoicemail, SendText, TextOutcome
from messaging import caps, outbound
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
    raise TypeError(f"unknown effect {effect!r}")


async def _send_text(ctx: FlowContext, s: Session, effect: SendText) -> TextOutcome:
    # Checked here, in the call, so the caller hears the truth; the job checks consent and the number again.
    if not s.phone:
        return TextOutcome("no_number", effect)
    if s.texts_sent >= ctx.settings.outbound.texts_per_call:
        return TextOutcome("call_limit", effect)
    refused = await run_db(ctx.engine, _refusal, settings=ctx.settings, phone=s.phone)
    if refused:
        return TextOutcome(refused, effect)
    counters = caps.TextCounters(ctx.sync_redis, ctx.settings.outbound)
    hit = await anyio.to_thread.run_sync(counters.reserve, s.phone, ctx.now())
    if hit is not None:
        return TextOutcome(hit.value, effect)
    await enqueue(ctx.sync_redis, outbound.send_text, to=s.phone, body=effect.body, kind=effect.kind,
                  ticket_number=effect.ticket_number, counted=True)
    s.texts_sent += 1
    return TextOutcome("sent", effect)


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
    )
    try:
        return await intake.submit(ctx, data)
    except IntakeError as exc:
        return exc
