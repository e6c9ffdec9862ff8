"""The watch: every 30 s (app.schedule) the alert rules and surge detection read the centre's figures; an episode
that starts or ends is recorded (alerts.service) and texted to the on-call supervisors, through the same outbound
guards as every text (messaging.outbound: allowed countries, opt-outs, caps)."""

from __future__ import annotations

import datetime as dt
import re

import anyio
from sqlmodel import Session, select

from alerts import rules, service, spikes
from alerts.models import AlertEpisode
from alerts.spikes import Contact
from callbacks import service as callbacks
from core.db import in_session
from core.redis import async_client
from core.worker import JobContext, periodic_run, queue
from crm_bridge import catalogue
from crm_bridge.models import Ticket
from ivr.models import Call
from knowledge.models import Article
from messaging.outbound import send_text
from queueing.live_queues import LiveQueues
from queueing.models import QueueOutcome, QueueResult
from sms.models import SmsInbound

WATCH_SECONDS = 30  # an alert is raised at most this long after its count or figure gets there
WATCH_LOCK_SECONDS = 60
ALERT_TEXT = "alert"  # the outbound record's kind
_HOUSE_NUMBER = re.compile(r"^\d+[a-z]?\s+|\s+(apt|unit|suite|ste|#)\b.*$")


def watch() -> int:
    """Job (every 30 s): evaluate the rules and the spikes; returns how many episodes started or ended."""
    with periodic_run("alerts:cron:watch", WATCH_LOCK_SECONDS) as run:
        return evaluate(run.ctx, run.connection) if run else 0


def evaluate(ctx: JobContext, connection) -> int:
    """One evaluation at the context's now: record the episodes and text the on-call numbers about changes."""
    now = ctx.now()
    settings = ctx.settings.alerts
    figures = gather_figures(ctx, now)
    contacts, history, open_hours = in_session(ctx.engine, gather_contacts, ctx=ctx, now=now)
    firings = rules.firing(figures, settings) + spikes.detect(contacts, history, settings, now, open_hours=open_hours)
    changes = in_session(ctx.engine, service.reconcile, firings=firings, now=now)
    city = ctx.settings.city_name
    for row in changes.started:
        _text_on_call(ctx, connection, f"{city} 311 alert: {row.title}. {row.detail}".strip())
    for row in changes.ended:
        _text_on_call(ctx, connection, f"{city} 311: back to normal: {row.title}")
    return len(changes.started) + len(changes.ended)


def _text_on_call(ctx: JobContext, connection, body: str) -> None:
    for number in ctx.settings.alerts.on_call:
        queue(connection).enqueue(send_text, to=number, body=body[:320], kind=ALERT_TEXT)


def gather_figures(ctx: JobContext, now: dt.datetime) -> rules.QueueFigures:
    """The window's queue outcomes (database), the longest wait now (Redis), the call-backs owed now (database)."""
    settings = ctx.settings.alerts
    since = now - dt.timedelta(minutes=settings.window_minutes)

    def outcomes(session: Session) -> tuple[int, int, int, int]:
        rows = session.exec(select(QueueOutcome.result, QueueOutcome.wait_seconds)
                            .where(QueueOutcome.created_at >= since)).all()
        answered = [wait for result, wait in rows if result == QueueResult.ANSWERED]
        abandoned = sum(result == QueueResult.ABANDONED for result, _ in rows)
        due = len(callbacks.due(session, now=now))
        return len(answered), sum(wait <= settings.service_level_seconds for wait in answered), abandoned, due

    answered, in_time, abandoned, due = in_session(ctx.engine, outcomes)
    longest = anyio.run(_longest_wait, ctx, now)
    return rules.QueueFigures(answered, in_time, abandoned, longest, due)


async def _longest_wait(ctx: JobContext, now: dt.datetime) -> float:
    redis = async_client(ctx.settings.redis_url)
    try:
        live = LiveQueues(redis, ctx.settings)
        waits = []
        for name in ctx.settings.queue.names.values():
            oldest = await live.oldest(name, now)
            if oldest:
                waits.append(now.timestamp() - oldest[1])
        return max(waits, default=0.0)
    finally:
        await redis.aclose()


def street(address_key: str) -> str:
    """The street of a normalised address ("1200 n main st apt 4" → "n main st"): an area several reports share."""
    return _HOUSE_NUMBER.sub("", address_key).strip()


def gather_contacts(
    session: Session, *, ctx: JobContext, now: dt.datetime
) -> tuple[list[Contact], dict[str, int], int]:
    """Contacts in the detection window per key, each key's count over the 24 hours before it, and how many of those
    hours had any contact (the line's open hours, which the usual rates are per).

    A call counts on the topic of the article it was answered with, a text on its article, a request on its service
    type and its street; one contact counts once per key.
    """
    settings = ctx.settings.alerts
    window_start = now - dt.timedelta(minutes=settings.surge_window_minutes)
    since = window_start - dt.timedelta(hours=spikes.BASELINE_HOURS)
    default = ctx.settings.default_language.code
    titles = dict(session.exec(select(Article.article_id, Article.title).where(Article.language == default)).all())
    services = catalogue.of(ctx)
    seen: dict[tuple[str, str], Contact] = {}

    def add(contact_id: str, contact: Contact) -> None:
        seen.setdefault((contact.key, contact_id), contact)

    for sid, article, at in session.exec(select(Call.call_sid, Call.article_id, Call.started_at).where(
            Call.started_at > since, Call.started_at <= now, Call.article_id.is_not(None))).all():
        add(sid, Contact(f"topic:{article}", titles.get(article, article), at))
    for sid, article, at in session.exec(select(SmsInbound.from_masked, SmsInbound.article_id, SmsInbound.created_at)
                                         .where(SmsInbound.created_at > since, SmsInbound.created_at <= now,
                                                SmsInbound.article_id.is_not(None))).all():
        add(f"sms:{sid}:{at:%Y%m%d%H}", Contact(f"topic:{article}", titles.get(article, article), at))
    for number, code, address, key, at in session.exec(
            select(Ticket.number, Ticket.service_code, Ticket.address, Ticket.address_key, Ticket.created_at)
            .where(Ticket.created_at > since, Ticket.created_at <= now)).all():
        kind = services.get(code)
        add(number, Contact(f"service:{code}", kind.label(default) if kind else code, at, address))
        if street(key):
            add(number, Contact(f"street:{street(key)}", f"reports on {street(key)}", at, address))
    contacts, history, hours = [], {}, set()
    for contact in seen.values():
        if contact.at > window_start:
            contacts.append(contact)
        else:
            history[contact.key] = history.get(contact.key, 0) + 1
            hours.add((window_start - contact.at) // dt.timedelta(hours=1))
    return contacts, history, len(hours)


def open_alerts(session: Session) -> list[AlertEpisode]:
    """The episodes Live shows: every one not ended."""
    return service.open_episodes(session)
