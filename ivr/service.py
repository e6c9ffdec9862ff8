"""Call records: the database side of a call, one transaction per webhook."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func
from sqlmodel import Session, select

from core import clock, test_traffic, write_behind
from flows.turns import Outcome, Step
from ivr.models import Call, CallCreate, CallStep
from knowledge.base import record_unanswered


@dataclass
class _KnownCall:
    call: Call
    last_step: int


KNOWN, ABSENT = "ivr.calls", "ivr.calls.absent"  # what a session has looked up (Session.info)


def look_up_calls(session: Session, *, call_sids: set[str]) -> None:
    """Look up these calls at once, rows and last step numbers, for the records about to be written (the drain)."""
    known, absent = session.info.setdefault(KNOWN, {}), session.info.setdefault(ABSENT, set())
    wanted = sorted(call_sids - known.keys() - absent)
    if not wanted:
        return
    with session.no_autoflush:
        rows = session.exec(select(Call).where(Call.call_sid.in_(wanted))).all()
        statement = (select(CallStep.call_sid, func.max(CallStep.seq))
                     .where(CallStep.call_sid.in_([row.call_sid for row in rows])).group_by(CallStep.call_sid))
        last = dict(session.exec(statement).all()) if rows else {}
    for row in rows:
        known[row.call_sid] = _KnownCall(row, last.get(row.call_sid) or 0)
    absent.update(set(wanted) - known.keys())


def _call_and_last_step(session: Session, *, call: CallCreate, at: dt.datetime) -> _KnownCall:
    # The drain writes many webhooks' records in one transaction, several of them often of one call: each call is
    # looked up once (its row and last step number kept on the session, all of a batch's at once by look_up_calls),
    # and nothing is flushed to look it up, so the batch's rows go to the database together at the commit.
    known = session.info.setdefault(KNOWN, {})
    if call.call_sid not in known:
        look_up_calls(session, call_sids={call.call_sid})
    if call.call_sid not in known:  # a call the database does not hold yet
        row = Call.model_validate(call, update={"started_at": at})
        session.add(row)
        known[call.call_sid] = _KnownCall(row, 0)
    return known[call.call_sid]


def record_steps(
    session: Session, *, call: CallCreate, language: str, steps: list[Step], at: dt.datetime | None = None
) -> Call:
    """Append this turn's steps to the call (inserted at the end of the drain's batch), update its summary, and keep
    questions we could not answer."""
    at = at or clock.now()
    known = _call_and_last_step(session, call=call, at=at)
    row, seq = known.call, known.last_step
    for step in steps:
        seq += 1
        known.last_step = seq
        write_behind.insert_later(session, CallStep.__table__, {
            "call_sid": call.call_sid, "seq": seq, "node": step.node, "outcome": step.outcome,
            "input_kind": step.input_kind, "input_value": step.input_value, "language": language,
            "article_id": step.article_id, "confidence": step.confidence, "created_at": at,
            "test_run": test_traffic.current_run(),
        })
        if step.outcome is Outcome.ANSWERED:
            row.article_id = step.article_id
        if step.outcome is Outcome.AGENT:
            row.agent_requested = True
        if step.outcome is Outcome.UNSURE:
            record_unanswered(
                session, text=step.input_value, language=language, channel="voice", best_guess=step.article_id,
                confidence=step.confidence, at=at,
            )
    row.language = language
    row.steps_taken = seq
    session.add(row)
    return row


def complete_call(
    session: Session, *, call: CallCreate, status: str, duration: int | None, at: dt.datetime | None = None
) -> Call:
    """Mark the call finished; it resolved by self-service if it got an answer and never asked for a person."""
    at = at or clock.now()
    row = _call_and_last_step(session, call=call, at=at).call
    row.status = status[:20]
    row.ended_at = row.ended_at or at
    if duration is None:
        started = row.started_at if row.started_at.tzinfo else row.started_at.replace(tzinfo=dt.UTC)
        duration = int((row.ended_at.replace(tzinfo=row.ended_at.tzinfo or dt.UTC) - started).total_seconds())
    row.duration_seconds = max(0, duration)
    row.self_service = row.article_id is not None and not row.agent_requested
    session.add(row)
    return row
