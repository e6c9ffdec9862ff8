"""The console's operations: each does its database work, then publishes the change to every process."""

from __future__ import annotations

from callbacks import service as callbacks
from console import live_callbacks, metrics, report_figures, tickets, tokens
from console.tickets import TicketChangeError
from core import audit
from core.db import run_db
from core.worker import enqueue
from crm_bridge import catalogue
from crm_bridge import service as crm
from crm_bridge.models import TicketStatus
from flows import on_ticket_closed
from flows.context import FlowContext
from queueing.live_queues import LiveQueues
from surge import service as announcements
from surge.cache import publish
from surge.models import AnnouncementCreate, AnnouncementPublic


def _dumped(rows) -> list[dict]:
    return [AnnouncementPublic.model_validate(r).model_dump(mode="json") for r in rows]


def _languages(ctx: FlowContext) -> list[str]:
    return [language.code for language in ctx.settings.languages]


async def authenticate(ctx: FlowContext, token: str) -> tokens.TokenHolder | None:
    """The token's holder and scope, or None (unknown, wrong, revoked or expired)."""
    return await run_db(ctx.engine, tokens.verify_token, token=token, now=ctx.now())


async def list_announcements(ctx: FlowContext) -> list[dict]:
    """Every active message."""
    rows = await run_db(ctx.engine, announcements.current)
    return [r.model_dump(mode="json") for r in rows]


async def create_announcement(ctx: FlowContext, data: AnnouncementCreate, actor: str) -> dict:
    """Store a message and put it on the air within seconds."""

    def create(session, **kwargs):
        return AnnouncementPublic.model_validate(announcements.create(session, **kwargs)).model_dump(mode="json")

    created = await run_db(ctx.engine, create, data=data, languages=_languages(ctx), actor=actor)
    await publish(ctx.redis)
    return created


async def end_announcement(ctx: FlowContext, announcement_id: int, actor: str) -> dict | None:
    """Take a message off the air."""

    def end(session, **kwargs):
        row = announcements.deactivate(session, **kwargs)
        return AnnouncementPublic.model_validate(row).model_dump(mode="json") if row else None

    ended = await run_db(ctx.engine, end, announcement_id=announcement_id, actor=actor)
    await publish(ctx.redis)
    return ended


async def apply_preset(ctx: FlowContext, name: str, actor: str) -> list[dict]:
    """Apply a preset such as storm mode."""

    def apply(session, **kwargs):
        return _dumped(announcements.apply_preset(session, **kwargs))

    created = await run_db(ctx.engine, apply, name=name, languages=_languages(ctx), actor=actor, now=ctx.now())
    await publish(ctx.redis)
    return created


async def end_preset(ctx: FlowContext, name: str, actor: str) -> list[dict]:
    """Take a preset's messages off the air."""

    def end(session, **kwargs):
        return _dumped(announcements.end_preset(session, **kwargs))

    ended = await run_db(ctx.engine, end, name=name, actor=actor)
    await publish(ctx.redis)
    return ended


async def all_clear(ctx: FlowContext, actor: str) -> list[dict]:
    """Every message off the air."""

    def clear(session, **kwargs):
        return _dumped(announcements.all_clear(session, **kwargs))

    ended = await run_db(ctx.engine, clear, actor=actor)
    await publish(ctx.redis)
    return ended


async def audit_trail(ctx: FlowContext, *, raw_words: bool) -> list[dict]:
    """The latest audited changes; residents' words raw only with raw_words (a supervisor's token), else redacted."""
    rows = await run_db(ctx.engine, audit.history)
    return [audit.as_seen(r, raw_words=raw_words).model_dump(mode="json") for r in rows]


async def queues(ctx: FlowContext) -> list[dict]:
    """Live figures for every queue, with the call-backs it owes now and within the hour."""
    live = LiveQueues(ctx.redis, ctx.settings)
    names = [*ctx.settings.queue.names.values(), ctx.settings.queue.callback_queue]
    due = await live_callbacks.due(ctx)
    return [
        {
            **await live.snapshot(name, ctx.now()),
            "callbacks_due_now": due[name]["now"],
            "callbacks_due_within_hour": due[name]["soon"],
        }
        for name in names
    ]


async def set_ticket_status(ctx: FlowContext, number: str, status: str, note: str, actor: str) -> dict | None:
    """A supervisor moves a ticket on (built-in CRM), audited as on the console's page; closing it texts the reporters
    who asked. Raises TicketChangeError (a ValueError naming its field) for a change the console would refuse too."""
    if status not in set(TicketStatus):
        raise TicketChangeError("status", f"status must be one of {', '.join(TicketStatus)}")
    try:
        ticket, closed = await run_db(
            ctx.engine, tickets.change_status, number=number, status=status, note=note, actor=actor, now=ctx.now()
        )
    except LookupError:
        return None
    if closed:
        await enqueue(ctx.sync_redis, on_ticket_closed.sweep)
    return crm.public(ticket).model_dump(mode="json")


async def daily_report(ctx: FlowContext, day) -> dict:
    """The day's figures (today in the city's time zone by default)."""
    day = day or ctx.now().astimezone(ctx.settings.timezone).date()
    return await run_db(ctx.engine, metrics.daily, day=day, zone=ctx.settings.timezone)


async def range_report(ctx: FlowContext, start, end) -> report_figures.Report:
    """Every figure of the Reports page for the days start..end (inclusive, in the city's time zone)."""
    language = ctx.settings.default_language.code
    names = {service.code: service.label(language) for service in catalogue.of(ctx).services}
    return await run_db(
        ctx.engine,
        report_figures.report,
        start=start,
        end=end,
        zone=ctx.settings.timezone,
        now=ctx.now(),
        language=language,
        service_names=names,
    )


async def list_callbacks(ctx: FlowContext, state: str) -> list[dict]:
    """Call-backs upcoming, in progress or failed (numbers masked)."""

    def rows(session, *, state: str) -> list[dict]:
        return [callbacks.public(row).model_dump(mode="json") for row in callbacks.listing(session, state=state)]

    return await run_db(ctx.engine, rows, state=state)


async def cancel_callback(ctx: FlowContext, callback_id: int, actor: str) -> dict | None:
    """Cancel a call-back not yet being placed (audited); None if there is no such active one."""

    def cancel(session, **kwargs) -> dict | None:
        row = callbacks.cancel(session, **kwargs)
        return callbacks.public(row).model_dump(mode="json") if row else None

    return await run_db(ctx.engine, cancel, callback_id=callback_id, actor=actor, now=ctx.now())


async def reschedule_callback(ctx: FlowContext, callback_id: int, due_at, actor: str) -> dict:
    """Move a call-back to another time inside agent hours (audited)."""

    def move(session, **kwargs) -> dict:
        return callbacks.public(callbacks.reschedule(session, **kwargs)).model_dump(mode="json")

    return await run_db(ctx.engine, move, callback_id=callback_id, due_at=due_at, actor=actor, now=ctx.now(),
                        calendar=ctx.calendar)
