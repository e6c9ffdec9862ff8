"""Call-backs asked for a number that is not the asking line's own: nothing is booked or revealed; the number's owner
is texted "Reply YES to be called back" (consent and caps apply), and only their YES, texted from that number, books
it. Their STOP or CANCEL CALL drops the request; an unanswered one lapses.
"""

from __future__ import annotations

from sqlmodel import Session

from callbacks import service as callbacks
from callbacks import slots
from callbacks.limits import RequestCounters
from callbacks.models import Callback, CallbackKind, CallbackRequest
from core.db import run_db
from core.phones import display, mask
from core.worker import enqueue
from flows.context import FlowContext
from flows.spoken_time import spoken_when
from flows.turns import BookingResult, CallbackBooking, fold
from messaging import outbound, segments


def requester(phone: str | None, call_sid: str) -> str:
    """Who is asking, for the limits: the calling or texting number, else (caller ID withheld) the call itself."""
    return phone or f"call:{call_sid}"


async def ask(ctx: FlowContext, *, data: CallbackRequest, actor: str) -> CallbackBooking:
    """Ask the number's owner by text; the asking caller learns nothing of bookings, opt-outs or whether we texted."""
    body = await run_db(ctx.engine, _ask, ctx=ctx, data=data, actor=actor)
    if body is not None:
        await enqueue(ctx.sync_redis, outbound.send_text, to=data.phone, body=body, kind="callback_confirm")
    return CallbackBooking(BookingResult.OWNER_ASKED)  # whatever became of it


def _ask(session: Session, *, ctx: FlowContext, data: CallbackRequest, actor: str) -> str | None:
    # In a worker thread, so the blocking Redis client may count the "Reply YES" texts here.
    now = ctx.now()
    if outbound.refusal(session, ctx.settings, data.phone):  # a number that texted STOP is never booked by another
        return None
    if callbacks.active_for(session, phone=data.phone) or callbacks.awaiting(session, phone=data.phone, now=now):
        return None  # theirs stays exactly as it is; one question at a time
    if not RequestCounters(ctx.sync_redis, ctx.settings.callbacks).ask_owner(data.phone, now):
        return None
    row = callbacks.ask_owner(session, data=data, now=now, actor=actor)
    return _question(ctx, row) if row is not None else None


def _question(ctx: FlowContext, row: Callback) -> str:
    w, lang = ctx.wording, row.language
    if row.kind == CallbackKind.KEEP_PLACE:
        text = w(lang, "callback_owner_ask_place_sms", city=ctx.settings.city_name)
    else:
        text = w(lang, "callback_owner_ask_time_sms", city=ctx.settings.city_name, when=_when(ctx, row))
    return segments.fit(text, 3)


def _when(ctx: FlowContext, row: Callback) -> str:
    return spoken_when(row.due_at, ctx.now(), ctx.settings.timezone, ctx.wording, row.language)


def is_yes(ctx: FlowContext, body: str) -> bool:
    """Whether a text is, as a whole, the word that confirms a call-back (YES, SÍ) in any of our languages."""
    words = set()
    for language in ctx.settings.languages:
        words |= {fold(word) for word in ctx.wording(language.code, "sms_words_callback_confirm").split(",")}
    return fold(body) in words


async def confirm(ctx: FlowContext, *, phone: str) -> str | None:
    """The owner's YES: book the request awaiting it and return the reply; None when nothing awaits (then YES is an
    ordinary reply, as before)."""
    return await run_db(ctx.engine, _confirm, ctx=ctx, phone=phone)


def _confirm(session: Session, *, ctx: FlowContext, phone: str) -> str | None:
    now, actor = ctx.now(), f"resident (sms, {mask(phone)})"
    found = callbacks.awaiting(session, phone=phone, now=now)
    if not found:
        return None
    row, w = found[0], ctx.wording
    if row.kind == CallbackKind.SCHEDULED and not slots.is_free(
        session, calendar=ctx.calendar, settings=ctx.settings.callbacks, now=now, when=row.due_at
    ):
        callbacks.decline(session, phone=phone, actor=actor, now=now)
        return w(row.language, "callback_owner_time_gone_sms")
    row, booked = callbacks.confirm(session, callback_id=row.id, now=now, actor=actor)
    if not booked:
        return w(row.language, "callback_owner_has_one_sms")
    key = "callback_owner_booked_place_sms" if row.kind == CallbackKind.KEEP_PLACE else "callback_booked_time_sms"
    when = _when(ctx, row) if row.due_at else ""
    return " ".join([w(row.language, key, when=when, number=display(phone)),
                     w(row.language, "callback_how_to_change_sms")])


async def decline(ctx: FlowContext, *, phone: str) -> None:
    """The number texted STOP: drop what other lines asked for it."""
    await run_db(ctx.engine, callbacks.decline, phone=phone, actor=f"resident (sms, {mask(phone)})", now=ctx.now())
