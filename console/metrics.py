"""The figures cities report, for one day: calls, self-service, top questions, unanswered, queue performance."""

from __future__ import annotations

import datetime as dt
from collections import Counter

from sqlmodel import Session, select

from console.report_figures import queue_outcomes
from core.redact import for_report
from ivr.models import Call, CallStep
from knowledge.models import Unanswered
from queueing.models import QueueOutcome
from sms.models import SmsInbound


def daily(session: Session, *, day: dt.date, zone) -> dict:
    """One day's report (the day in the city's time zone)."""
    start = dt.datetime.combine(day, dt.time(0), tzinfo=zone).astimezone(dt.UTC)
    end = start + dt.timedelta(days=1)
    # Residents' traffic only: a scenario run or the browser phone (core.test_traffic) never counts.
    calls = session.exec(
        select(Call).where(Call.started_at >= start, Call.started_at < end, Call.test_run.is_(None))
    ).all()
    outcomes = queue_outcomes(session, first=start, after=end)
    texts = session.exec(
        select(SmsInbound).where(
            SmsInbound.created_at >= start, SmsInbound.created_at < end, SmsInbound.test_run.is_(None)
        )
    ).all()
    answered_steps = session.exec(
        select(CallStep.article_id).where(
            CallStep.created_at >= start,
            CallStep.created_at < end,
            CallStep.outcome == "answered",
            CallStep.test_run.is_(None),
        )
    ).all()
    unanswered = session.exec(
        select(Unanswered)
        .where(Unanswered.created_at >= start, Unanswered.created_at < end, Unanswered.test_run.is_(None))
        .order_by(Unanswered.created_at.desc())
    ).all()
    emergencies = session.exec(
        select(CallStep.id).where(
            CallStep.created_at >= start,
            CallStep.created_at < end,
            CallStep.outcome == "emergency",
            CallStep.test_run.is_(None),
        )
    ).all()
    topics = Counter(a for a in answered_steps if a) + Counter(t.article_id for t in texts if t.article_id)
    return {
        "date": day.isoformat(),
        "calls": len(calls),
        "calls_resolved_by_self_service": sum(c.self_service for c in calls),
        "self_service_rate": _rate(sum(c.self_service for c in calls), len(calls)),
        "calls_asking_for_a_person": sum(c.agent_requested for c in calls),
        "texts": len(texts),
        "emergencies_sent_to_911": len(emergencies) + sum(t.kind == "emergency" for t in texts),
        "queue": _queue(outcomes),
        "top_questions": [{"article_id": a, "count": n} for a, n in topics.most_common(10)],
        "unanswered_questions": [
            {"text": for_report(u.text), "language": u.language, "channel": u.channel} for u in unanswered[:50]
        ],
    }


def _queue(outcomes: list[QueueOutcome]) -> dict:
    answered = [o for o in outcomes if o.result == "answered"]
    abandoned = [o for o in outcomes if o.result == "abandoned"]
    return {
        "offered": len(outcomes),
        "answered": len(answered),
        "abandoned": len(abandoned),
        "abandonment_rate": _rate(len(abandoned), len(outcomes)),
        "average_speed_of_answer_seconds": round(sum(o.wait_seconds for o in answered) / len(answered))
        if answered
        else None,
        "answered_within_30_seconds": _rate(sum(o.wait_seconds <= 30 for o in answered), len(answered)),
    }


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 3) if whole else None
