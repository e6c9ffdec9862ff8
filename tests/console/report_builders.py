"""A known week of contacts for the reports tests: calls, texts, queue outcomes and tickets at chosen moments.

The app's clock is Tuesday 2026-11-17 10:00 in Chicago, so the default range is 2026-11-11 to 2026-11-17.
"""

from __future__ import annotations

import datetime as dt
import itertools
from zoneinfo import ZoneInfo

from core.db import in_session
from crm_bridge.models import Ticket, TicketEvent
from ivr.models import Call, CallStep
from knowledge.models import Unanswered
from queueing.models import QueueOutcome
from sms.models import SmsInbound

CHICAGO = ZoneInfo("America/Chicago")
_ids = itertools.count(1)
PHONE = "+13125550147"


def at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    """A moment of November 2026, Chicago time, as stored (UTC)."""
    return dt.datetime(2026, 11, day, hour, minute, tzinfo=CHICAGO).astimezone(dt.UTC)


def add(engine, *rows) -> None:
    """Store the rows as they are."""

    def store(session):
        for row in rows:
            session.add(row)
            session.flush()

    in_session(engine, store)


def call(engine, when: dt.datetime, *, self_service: bool, answered: str | None = None, ticket: bool = False):
    """A call started at `when`: an answered article, a ticket opened, resolved by self-service or not."""
    sid = f"CA{next(_ids):032x}"
    rows = [
        Call(
            call_sid=sid,
            caller_masked="+1312…0147",
            language="en-US",
            started_at=when,
            status="completed",
            self_service=self_service,
            article_id=answered,
        )
    ]
    if answered:
        rows.append(
            CallStep(
                call_sid=sid,
                seq=1,
                node="question",
                outcome="answered",
                input_kind="speech",
                language="en-US",
                article_id=answered,
                created_at=when,
            )
        )
    if ticket:
        rows.append(
            CallStep(
                call_sid=sid,
                seq=2,
                node="report_review",
                outcome="ticket_opened",
                input_kind="none",
                language="en-US",
                created_at=when + dt.timedelta(minutes=2),
            )
        )
    add(engine, *rows)
    return sid


def text(engine, when: dt.datetime, *, kind: str, article: str | None = None) -> None:
    """An inbound text received at `when`, recorded as `kind` ("answer", "report", ...)."""
    add(
        engine,
        SmsInbound(
            message_sid=f"SM{next(_ids):032x}",
            from_masked="+1312…0188",
            language="en-US",
            kind=kind,
            article_id=article,
            created_at=when,
        ),
    )


def waited(
    engine,
    when: dt.datetime,
    *,
    result: str,
    seconds: int,
    queue: str = "311-english",
    told: tuple[int, int, int] | None = None,
) -> None:
    """A caller's time in a queue; `told` is (low, high, said) of what they first heard, at the start."""
    columns = {}
    if told:
        low, high, said = told
        columns = {"told_low_seconds": low, "told_high_seconds": high, "told_seconds": said, "told_after_seconds": 0}
    add(
        engine,
        QueueOutcome(
            call_sid=f"CA{next(_ids):032x}",
            queue=queue,
            language="en-US",
            result=result,
            wait_seconds=seconds,
            created_at=when,
            **columns,
        ),
    )


def ticket(
    engine,
    *,
    service: str,
    opened: dt.datetime,
    expected: dt.datetime,
    closed: dt.datetime | None = None,
    status: str | None = None,
) -> None:
    """A request opened, due and (maybe) closed at these moments; its phone number is a resident's."""
    row = Ticket(
        number=f"{next(_ids):09d}",
        service_code=service,
        status=status or ("closed" if closed else "open"),
        phone=PHONE,
        description=f"call me at {PHONE}",
        expected_at=expected,
        created_at=opened,
        updated_at=closed or opened,
    )
    add(engine, row)
    if closed:
        add(engine, TicketEvent(ticket_id=row.id, status="closed", note="done", created_at=closed))


def unanswered(engine, when: dt.datetime, words: str, channel: str = "voice") -> None:
    """A question we could not answer, in the resident's own words."""
    add(engine, Unanswered(text=words, language="en-US", channel=channel, created_at=when))


def a_week(engine) -> None:
    """The week the figures tests count (see tests/console/test_reports_page.py for what it adds up to)."""
    call(engine, at(16, 9, 15), self_service=True, answered="library-hours")  # resolved by itself
    call(engine, at(16, 9, 40), self_service=True, answered="missed-trash-pickup", ticket=True)  # opened a request
    call(engine, at(17, 8, 5), self_service=False)  # asked for a person
    call(engine, at(17, 9, 20), self_service=False)
    call(engine, at(10, 23, 30), self_service=True, answered="library-hours")  # the day before: 11-11 in UTC only
    text(engine, at(16, 9, 30), kind="answer", article="library-hours")
    text(engine, at(17, 8, 10), kind="answer", article="library-hours")
    text(engine, at(17, 8, 15), kind="report")
    for seconds in (10, 30):
        waited(engine, at(17, 8, 30), result="answered", seconds=seconds)
    waited(engine, at(17, 8, 40), result="answered", seconds=31, told=(0, 60, 30))  # waited 31 s: within
    waited(engine, at(17, 8, 50), result="answered", seconds=95, told=(0, 60, 30))  # waited 95 s: longer
    waited(engine, at(17, 9, 0), result="abandoned", seconds=200)
    waited(engine, at(17, 9, 5), result="abandoned", seconds=20, queue="311-spanish")
    waited(engine, at(17, 9, 6), result="left", seconds=40)
    # missed-trash: four due in the range, one met, two missed (late, overdue), one not yet due; and a duplicate.
    ticket(engine, service="missed-trash", opened=at(12, 9), expected=at(16, 17), closed=at(16, 14))
    ticket(engine, service="missed-trash", opened=at(12, 10), expected=at(15, 17), closed=at(16, 12))
    ticket(engine, service="missed-trash", opened=at(13, 9), expected=at(16, 6))
    ticket(engine, service="missed-trash", opened=at(14, 9), expected=at(17, 17))
    ticket(engine, service="missed-trash", opened=at(14, 10), expected=at(16, 17), status="duplicate")
    ticket(engine, service="bulky-item", opened=at(11, 9), expected=at(14, 17), closed=at(13, 15))
    unanswered(engine, at(17, 9, 10), "my name is Ana Ruiz, call me at 312 555 0147 about penguins")
    unanswered(engine, at(17, 9, 11), '=HYPERLINK("http://evil.example","click")', channel="sms")
