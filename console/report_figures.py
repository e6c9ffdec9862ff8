"""The figures 311 centres report, for a range of days: contacts by channel, hour and day, top questions and service
types, self-service, queue performance and SLA compliance, each as a table of plain values (one CSV each).

Definitions (docs/console.md, "Reports", and the page say the same):
- a contact is a resident's call or inbound text (test traffic, core.test_traffic, never counts); the days and hours
  are the city's;
- a call resolved by self-service heard an answer from the knowledge base, never asked for a person and opened no
  ticket; a text resolved by self-service was answered from the knowledge base (each text of a conversation counts);
- a queue's offered callers are those who joined it; abandonment is hang-ups over offered; the average speed of
  answer and the service level (answered within 30 s) are over the answered;
- a request's SLA is met when it was closed by its expected time; the requests counted are those due in the range
  (duplicates excluded), and one still open after its expected time has missed it.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from sqlmodel import Session, select

from core.defaults import SERVICE_LEVEL_SECONDS
from core.redact import for_report
from crm_bridge.models import Ticket, TicketEvent, TicketStatus
from flows.turns import Outcome
from ivr.models import Call, CallStep
from knowledge.models import Article, Unanswered
from queueing.models import QueueOutcome, QueueResult
from sms.models import SmsInbound

TOP = 20  # questions and service types listed
UNANSWERED_LISTED = 200
ANSWERED_TEXT = "answer"  # SmsInbound.kind of a text answered from the knowledge base


@dataclass(frozen=True)
class Column:
    """One column: its CSV name, its heading on the page, and how its values read ("int", "rate", "seconds",
    "text", "date")."""

    key: str
    heading: str
    kind: str = "int"


@dataclass
class Table:
    """A table of the report: what the page shows and the CSV holds, in the same columns."""

    name: str
    title: str
    columns: tuple[Column, ...]
    rows: list[tuple] = field(default_factory=list)
    empty: str = "Nothing in this range."
    note: str = ""

    def column(self, key: str) -> list:
        """Every row's value in this column."""
        index = [c.key for c in self.columns].index(key)
        return [row[index] for row in self.rows]


@dataclass
class Report:
    start: dt.date
    end: dt.date  # inclusive
    summary: dict
    tables: dict[str, Table]

    @property
    def empty(self) -> bool:
        """Nothing at all happened in the range."""
        return not (
            self.summary["contacts"]
            or self.summary["offered"]
            or self.tables["services"].rows
            or self.tables["sla"].rows
        )


def rate(part: int, whole: int) -> float | None:
    """A share rounded to three places; None when there is nothing to share."""
    return round(part / whole, 3) if whole else None


def bounds(start: dt.date, end: dt.date, zone) -> tuple[dt.datetime, dt.datetime]:
    """The range's first and last moments in UTC: midnight at the start to midnight after the end, city time."""
    first = dt.datetime.combine(start, dt.time(0), tzinfo=zone).astimezone(dt.UTC)
    after = dt.datetime.combine(end + dt.timedelta(days=1), dt.time(0), tzinfo=zone).astimezone(dt.UTC)
    return first, after


def report(
    session: Session,
    *,
    start: dt.date,
    end: dt.date,
    zone,
    now: dt.datetime,
    language: str,
    service_names: dict[str, str],
) -> Report:
    """Every figure and table for the days start..end (inclusive) in the city's time zone."""
    first, after = bounds(start, end, zone)
    calls = session.exec(
        select(Call.call_sid, Call.started_at, Call.self_service).where(
            Call.started_at >= first, Call.started_at < after, Call.test_run.is_(None)
        )
    ).all()
    ticket_calls = set(
        session.exec(
            select(CallStep.call_sid).where(
                CallStep.outcome == Outcome.TICKET_OPENED, CallStep.created_at >= first, CallStep.test_run.is_(None)
            )
        ).all()
    )
    texts = session.exec(
        select(SmsInbound.created_at, SmsInbound.kind, SmsInbound.article_id).where(
            SmsInbound.created_at >= first, SmsInbound.created_at < after, SmsInbound.test_run.is_(None)
        )
    ).all()
    voice_served = sum(1 for sid, _, served in calls if served and sid not in ticket_calls)
    text_served = sum(1 for _, kind, _ in texts if kind == ANSWERED_TEXT)
    outcomes = queue_outcomes(session, first=first, after=after)
    channels = _channels(len(calls), voice_served, len(texts), text_served)
    hours, days = _by_hour_and_day(start, end, zone, [c[1] for c in calls], [t[0] for t in texts])
    queues = _queues(outcomes)
    sla = _sla(session, first=first, after=after, now=now, names=service_names)
    tables = {
        "channels": channels,
        "hours": hours,
        "days": days,
        "questions": _questions(session, first=first, after=after, texts=texts, language=language),
        "services": _services(session, first=first, after=after, names=service_names),
        "queues": queues,
        "sla": sla,
        "unanswered": _unanswered(session, first=first, after=after, zone=zone),
    }
    everything = queues.rows[-1] if queues.rows else None
    met, missed = sum(sla.column("met")), sum(sla.column("missed"))
    summary = {
        "contacts": len(calls) + len(texts),
        "calls": len(calls),
        "texts": len(texts),
        "self_service_rate": rate(voice_served + text_served, len(calls) + len(texts)),
        "voice_self_service_rate": rate(voice_served, len(calls)),
        "text_self_service_rate": rate(text_served, len(texts)),
        "offered": len(outcomes),
        "abandonment_rate": everything[4] if everything else None,
        "average_speed_of_answer_seconds": everything[5] if everything else None,
        "service_level": everything[6] if everything else None,
        "sla_compliance": rate(met, met + missed),
    }
    return Report(start, end, summary, tables)


def _channels(calls: int, calls_served: int, texts: int, texts_served: int) -> Table:
    table = Table(
        "channels",
        "Contacts by channel",
        (
            Column("channel", "Channel", "text"),
            Column("contacts", "Contacts"),
            Column("resolved_by_self_service", "Resolved by self-service"),
            Column("self_service_rate", "Self-service rate", "rate"),
        ),
        empty="No calls or texts in this range.",
    )
    if calls or texts:
        table.rows = [
            ("voice", calls, calls_served, rate(calls_served, calls)),
            ("text", texts, texts_served, rate(texts_served, texts)),
            ("all", calls + texts, calls_served + texts_served, rate(calls_served + texts_served, calls + texts)),
        ]
    return table


def _by_hour_and_day(
    start: dt.date, end: dt.date, zone, calls: list[dt.datetime], texts: list[dt.datetime]
) -> tuple[Table, Table]:
    columns = (Column("voice", "Calls"), Column("text", "Texts"), Column("total", "Contacts"))
    hours = Table(
        "hours",
        "Contacts by hour of day",
        (Column("hour", "Hour", "text"), *columns),
        empty="No calls or texts in this range.",
        note="Each hour is the city's, over every day of the range.",
    )
    days = Table(
        "days", "Contacts by day", (Column("date", "Day", "date"), *columns), empty="No calls or texts in this range."
    )
    by_hour: dict[str, Counter] = {"voice": Counter(), "text": Counter()}
    by_day: dict[str, Counter] = {"voice": Counter(), "text": Counter()}
    for channel, moments in (("voice", calls), ("text", texts)):
        for moment in moments:
            local = moment.astimezone(zone)
            by_hour[channel][local.hour] += 1
            by_day[channel][local.date()] += 1
    if not calls and not texts:
        return hours, days
    hours.rows = [
        (f"{h:02d}:00", by_hour["voice"][h], by_hour["text"][h], by_hour["voice"][h] + by_hour["text"][h])
        for h in range(24)
    ]
    day = start
    while day <= end:
        days.rows.append((day, by_day["voice"][day], by_day["text"][day], by_day["voice"][day] + by_day["text"][day]))
        day += dt.timedelta(days=1)
    return hours, days


def _questions(session: Session, *, first, after, texts, language: str) -> Table:
    table = Table(
        "questions",
        "Top questions answered",
        (
            Column("article_id", "Article", "text"),
            Column("title", "Question", "text"),
            Column("voice", "By phone"),
            Column("text", "By text"),
            Column("total", "Answered"),
        ),
        empty="No question was answered in this range.",
        note="Articles of the knowledge base answered, by phone and by text.",
    )
    voice = Counter(
        a
        for a in session.exec(
            select(CallStep.article_id).where(
                CallStep.created_at >= first,
                CallStep.created_at < after,
                CallStep.outcome == Outcome.ANSWERED,
                CallStep.test_run.is_(None),
            )
        ).all()
        if a
    )
    text = Counter(article for _, kind, article in texts if kind == ANSWERED_TEXT and article)
    total = voice + text
    titles = dict(session.exec(select(Article.article_id, Article.title).where(Article.language == language)).all())
    ranked = sorted(total.items(), key=lambda item: (-item[1], item[0]))[:TOP]
    table.rows = [(a, titles.get(a, a), voice[a], text[a], n) for a, n in ranked]
    return table


def _services(session: Session, *, first, after, names: dict[str, str]) -> Table:
    table = Table(
        "services",
        "Top service types",
        (
            Column("service_code", "Code", "text"),
            Column("service", "Service type", "text"),
            Column("reported", "Requests opened"),
            Column("duplicates", "Of which duplicates"),
        ),
        empty="No request was opened in this range.",
        note="Requests opened in the range by phone, text or Open311; a duplicate is linked to an open request.",
    )
    rows = session.exec(
        select(Ticket.service_code, Ticket.status).where(
            Ticket.created_at >= first, Ticket.created_at < after, Ticket.test_run.is_(None)
        )
    ).all()
    opened = Counter(code for code, _ in rows)
    duplicates = Counter(code for code, status in rows if status == TicketStatus.DUPLICATE)
    ranked = sorted(opened.items(), key=lambda item: (-item[1], item[0]))[:TOP]
    table.rows = [(code, names.get(code, code), n, duplicates[code]) for code, n in ranked]
    return table


def queue_outcomes(session: Session, *, first: dt.datetime, after: dt.datetime) -> list[QueueOutcome]:
    """Residents' times in a queue that ended between first and after (test traffic left out)."""
    statement = select(QueueOutcome).where(
        QueueOutcome.created_at >= first, QueueOutcome.created_at < after, QueueOutcome.test_run.is_(None)
    )
    return list(session.exec(statement))


def queue_figures(session: Session, *, first: dt.datetime, after: dt.datetime) -> dict[str, dict]:
    """Per queue, the figures the Live page and /api/queues show for today, from the same records and the same
    definitions as the Reports page's queue table (_queue_row): one place computes them for every screen."""
    by_queue: dict[str, list[QueueOutcome]] = defaultdict(list)
    for outcome in queue_outcomes(session, first=first, after=after):
        by_queue[outcome.queue].append(outcome)
    figures = {}
    for queue, outcomes in by_queue.items():
        row = dict(zip([c.key for c in QUEUE_COLUMNS], _queue_row(queue, outcomes), strict=True))
        figures[queue] = {
            "offered_today": row["offered"],
            "answered_today": row["answered"],
            "abandoned_today": row["abandoned"],
            "service_level": row["answered_within_30_seconds"],
            "average_speed_of_answer_seconds": row["average_speed_of_answer_seconds"],
            "told_answered_today": row["told_and_answered"],
            "told_average_seconds": row["told_average_seconds"],
            "told_waited_average_seconds": row["waited_average_seconds"],
            "told_kept_share": row["waited_within_told"],
        }
    return figures


def nobody_today() -> dict:
    """A queue's figures for a day nobody left it yet."""
    return {
        "offered_today": 0,
        "answered_today": 0,
        "abandoned_today": 0,
        "service_level": None,
        "average_speed_of_answer_seconds": None,
        "told_answered_today": 0,
        "told_average_seconds": None,
        "told_waited_average_seconds": None,
        "told_kept_share": None,
    }


QUEUE_COLUMNS = (
    Column("queue", "Queue", "text"),
    Column("offered", "Offered"),
    Column("answered", "Answered"),
    Column("abandoned", "Abandoned"),
    Column("abandonment_rate", "Abandonment rate", "rate"),
    Column("average_speed_of_answer_seconds", "Average speed of answer", "seconds"),
    Column("answered_within_30_seconds", "Service level (answered in 30 s)", "rate"),
    Column("told_and_answered", "Answered after an estimate"),
    Column("told_average_seconds", "Told on average", "seconds"),
    Column("waited_average_seconds", "Then waited on average", "seconds"),
    Column("waited_within_told", "Waited within what they were told", "rate"),
)


def _queues(outcomes: list[QueueOutcome]) -> Table:
    table = Table(
        "queues",
        "Waiting for a person",
        QUEUE_COLUMNS,
        empty="Nobody waited for a person in this range.",
        note="Offered: callers who joined the queue. Abandonment: hang-ups over offered. Speed of answer and service "
        "level: over the answered. Told: the wait callers heard first, against how long they then waited.",
    )
    by_queue: dict[str, list[QueueOutcome]] = defaultdict(list)
    for outcome in outcomes:
        by_queue[outcome.queue].append(outcome)
    table.rows = [_queue_row(queue, rows) for queue, rows in sorted(by_queue.items())]
    if outcomes:
        table.rows.append(_queue_row("all", outcomes))
    return table


def _queue_row(queue: str, outcomes: list[QueueOutcome]) -> tuple:
    answered = [o for o in outcomes if o.result == QueueResult.ANSWERED]
    abandoned = sum(o.result == QueueResult.ABANDONED for o in outcomes)
    told = [o for o in answered if o.told_seconds is not None]
    waited = [o.waited_after_told or 0 for o in told]
    return (
        queue,
        len(outcomes),
        len(answered),
        abandoned,
        rate(abandoned, len(outcomes)),
        round(sum(o.wait_seconds for o in answered) / len(answered)) if answered else None,
        rate(sum(o.wait_seconds <= SERVICE_LEVEL_SECONDS for o in answered), len(answered)),
        len(told),
        round(sum(o.told_seconds for o in told) / len(told)) if told else None,
        round(sum(waited) / len(told)) if told else None,
        rate(sum(w <= o.told_high_seconds for w, o in zip(waited, told, strict=True)), len(told)),
    )


def _sla(session: Session, *, first, after, now: dt.datetime, names: dict[str, str]) -> Table:
    table = Table(
        "sla",
        "SLA compliance by service type",
        (
            Column("service_code", "Code", "text"),
            Column("service", "Service type", "text"),
            Column("due", "Due in range"),
            Column("met", "Closed in time"),
            Column("missed", "Late or overdue"),
            Column("open_not_yet_due", "Open, not yet due"),
            Column("compliance", "Compliance", "rate"),
        ),
        empty="No request was due in this range.",
        note="Requests whose expected date fell in the range (duplicates excluded). Met: closed by that time. "
        "Missed: closed later, or still open after it. Compliance: met over met and missed.",
    )
    tickets = session.exec(
        select(Ticket.id, Ticket.service_code, Ticket.status, Ticket.expected_at).where(
            Ticket.expected_at >= first,
            Ticket.expected_at < after,
            Ticket.status != TicketStatus.DUPLICATE,
            Ticket.test_run.is_(None),
        )
    ).all()
    ids = [t[0] for t in tickets]
    closed_at: dict[int, dt.datetime] = {}
    if ids:
        events = session.exec(
            select(TicketEvent.ticket_id, TicketEvent.created_at)
            .where(TicketEvent.ticket_id.in_(ids), TicketEvent.status == TicketStatus.CLOSED)
            .order_by(TicketEvent.created_at)
        ).all()
        closed_at = dict(events)  # the latest close, if it was closed more than once
    counts: dict[str, Counter] = defaultdict(Counter)
    for ticket_id, code, status, expected in tickets:
        expected = _aware(expected)
        when = _aware(closed_at.get(ticket_id)) if status == TicketStatus.CLOSED else None
        if when is not None:
            counts[code]["met" if when <= expected else "missed"] += 1
        elif status == TicketStatus.CLOSED:
            counts[code]["met" if now <= expected else "missed"] += 1  # closed with no history row: judge by now
        else:
            counts[code]["missed" if now > expected else "open"] += 1
    for code in sorted(counts, key=lambda c: (names.get(c, c), c)):
        c = counts[code]
        due = c["met"] + c["missed"] + c["open"]
        table.rows.append(
            (code, names.get(code, code), due, c["met"], c["missed"], c["open"], rate(c["met"], c["met"] + c["missed"]))
        )
    return table


def _aware(moment: dt.datetime | None) -> dt.datetime | None:
    # Some databases hand back a plain column's time without its zone; every stored time is UTC.
    return moment.replace(tzinfo=dt.UTC) if moment is not None and moment.tzinfo is None else moment


def _unanswered(session: Session, *, first, after, zone) -> Table:
    table = Table(
        "unanswered",
        "Questions we could not answer",
        (
            Column("date", "Day", "date"),
            Column("channel", "Channel", "text"),
            Column("language", "Language", "text"),
            Column("question", "Question (personal details removed)", "text"),
        ),
        empty="Every question in this range found an answer.",
        note=f"The latest {UNANSWERED_LISTED}, with names, numbers, e-mail and street addresses removed.",
    )
    rows = session.exec(
        select(Unanswered)
        .where(Unanswered.created_at >= first, Unanswered.created_at < after, Unanswered.test_run.is_(None))
        .order_by(Unanswered.created_at.desc(), Unanswered.id.desc())
        .limit(UNANSWERED_LISTED)
    ).all()
    table.rows = [
        (
            u.created_at.astimezone(zone).date(),
            "text" if u.channel == "sms" else u.channel,
            u.language,
            for_report(u.text),
        )
        for u in rows
    ]
    return table
