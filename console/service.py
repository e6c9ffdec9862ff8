"""The console's operations: each does its database work, then publishes the change to every process."""

from __future__ import annotations

from callbacks import service as callbacks
from callbacks.models import Callback
from console import live_callbacks, live_today, metrics, report_figures, tickets, tokens
from console.tickets import TicketChangeError
from core import audit, dev_outbox, threads
from core.context import AppContext
from core.db import run_db
from core.worker import enqueue_once
from crm_bridge import catalogue
from crm_bridge import service as crm
from crm_bridge.models import TicketStatus
from flows.context import FlowContext
from outreach import on_callback_cancelled
from queueing import agents
from queueing.live_queues import LiveQueues
from queueing.models import PinSource
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
    today = await live_today.figures(ctx)  # counted as Reports counts them (console.report_figures)
    return [
        {
            **await live.snapshot(name, ctx.now()),
            **today.get(name, report_figures.nobody_today()),
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
        ticket = await tickets.set_status(ctx, number=number, status=status, note=note, actor=actor)
    except LookupError:
        return None
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


async def callback_lists(ctx: FlowContext) -> dict[str, list[tuple[Callback, str | None]]]:
    """Every list of the call-backs page (upcoming, in progress, failed), each row with its latest attempt's outcome."""

    def lists(session) -> dict[str, list[tuple[Callback, str | None]]]:
        return {state: callbacks.listing_with_outcomes(session, state=state) for state in callbacks.STATES}

    return await run_db(ctx.engine, lists)


async def cancel_callback(ctx: FlowContext, callback_id: int, actor: str) -> dict | None:
    """Cancel a call-back not yet being placed (audited); None if there is no such active one."""

    def cancel(session, **kwargs) -> dict | None:
        row = callbacks.cancel(session, **kwargs)
        return callbacks.public(row).model_dump(mode="json") if row else None

    found = await run_db(ctx.engine, cancel, callback_id=callback_id, actor=actor, now=ctx.now())
    if found is not None:  # the resident is told by text (consent and caps apply), from a job as every text
        await threads.run(lambda: enqueue_once(
            ctx.sync_redis, on_callback_cancelled.notify_cancelled,
            job_id=on_callback_cancelled.notice_job_id(callback_id), callback_id=callback_id,
        ))
    return found


async def reschedule_callback(ctx: FlowContext, callback_id: int, due_at, actor: str) -> dict:
    """Move a call-back to another time inside agent hours (audited)."""

    def move(session, **kwargs) -> dict:
        return callbacks.public(callbacks.reschedule(session, **kwargs)).model_dump(mode="json")

    return await run_db(ctx.engine, move, callback_id=callback_id, due_at=due_at, actor=actor, now=ctx.now(),
                        calendar=ctx.calendar)


async def audit_page(ctx: AppContext, *, number: int, size: int) -> tuple[list[audit.AuditEntry], int]:
    """One page of the audit trail, newest first, and how many entries there are."""
    return await run_db(ctx.engine, audit.page, number=number, size=size)


async def record_audit(ctx: AppContext, *, actor: str, action: str, subject: str, after: dict) -> None:
    """One entry in the audit trail for something done outside the database (a browser phone action, a run)."""
    await run_db(ctx.engine, audit.record, actor=actor, action=action, subject=subject, after=after)


async def outbox_to(ctx: AppContext, *, number: str, after_id: int) -> list[dev_outbox.DevOutboxItem]:
    """What development mode kept instead of sending to this number since after_id, oldest first (at most 50)."""
    items = await threads.run(lambda: dev_outbox.recent(ctx.engine, to=number, after_id=after_id, limit=50))
    return list(reversed(items))


async def latest_outbox_id(ctx: AppContext) -> int:
    """The id of the newest item development mode kept (0 when there is none): a new phone hears only what follows."""
    items = await threads.run(lambda: dev_outbox.recent(ctx.engine, limit=1))
    return items[0].id if items else 0


async def set_development_pin(ctx: AppContext, *, agent: str, pin: str, actor: str) -> None:
    """An agent's development PIN (audited); raises agents.RealPinKept over one an administrator set."""
    await run_db(ctx.engine, agents.set_pin, agent=agent, pin=pin, actor=actor, source=PinSource.DEVELOPMENT)


async def development_pins(ctx: AppContext, *, names: list[str]) -> dict[str, str]:
    """The development PINs these agents have (development mode shows them on the browser phone)."""
    return await run_db(ctx.engine, agents.development_pins, names=names)


async def pin_sources(ctx: AppContext, *, names: list[str]) -> dict[str, PinSource | None]:
    """Where each of these agents' PIN came from (None: no PIN)."""
    return await run_db(ctx.engine, agents.pin_sources, names=names)
