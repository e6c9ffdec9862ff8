"""Call-backs in the database: requests (one active per number), cancelling and moving them, the supervisors' lists,
the claim of each attempt, and what an attempt's outcome means: another try (never outside agent hours) or failed.

Every function takes the caller's session and leaves the commit to it, so a change and its audit entry land together.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from enum import StrEnum
from typing import Literal

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from callbacks.models import (
    ACTIVE,
    IN_PROGRESS,
    PENDING,
    AttemptOutcome,
    Callback,
    CallbackAttempt,
    CallbackKind,
    CallbackPublic,
    CallbackRequest,
    CallbackStatus,
)
from core import audit
from core.calendar import BusinessCalendar
from core.defaults import (
    CALLBACK_ANSWERED_STALE_SECONDS,
    CALLBACK_DIAL_STALE_SECONDS,
    CALLBACK_OWNER_CONFIRM_MINUTES,
    CALLBACK_RING_STALE_SECONDS,
)
from core.phones import mask
from settings import CallbackSettings

State = Literal["upcoming", "in_progress", "failed"]
STATES: dict[str, tuple[CallbackStatus, ...]] = {
    "upcoming": PENDING,
    "in_progress": IN_PROGRESS,
    "failed": (CallbackStatus.FAILED,),
}
# What Twilio's final CallStatus means for an attempt nobody answered.
UNANSWERED = {
    "busy": AttemptOutcome.BUSY,
    "no-answer": AttemptOutcome.NO_ANSWER,
    "canceled": AttemptOutcome.NO_ANSWER,
    "failed": AttemptOutcome.FAILED,
}


class Refusal(StrEnum):
    """Why a change to a call-back cannot be made."""

    IN_PROGRESS = "in_progress"  # it is being placed right now
    NOT_FOUND = "not_found"  # no call-back waiting with this id
    PAST = "past"  # the time asked for has passed
    OUTSIDE_HOURS = "outside_hours"  # agents are not answering then
    SLOT_TAKEN = "slot_taken"  # the time chosen was taken meanwhile


class CallbackError(ValueError):
    """A change that cannot be made; `reason` names why."""

    def __init__(self, reason: Refusal, message: str) -> None:
        super().__init__(message)
        self.reason = reason


def _audited(row: Callback) -> dict:
    # What the trail keeps of a call-back: never the number itself.
    return {
        "phone": mask(row.phone),
        "kind": row.kind,
        "status": row.status,
        "due_at": row.due_at.isoformat() if row.due_at else None,
        "joined_at": row.joined_at.isoformat() if row.joined_at else None,
        "ticket_number": row.ticket_number,
    }


def public(row: Callback) -> CallbackPublic:
    """A call-back as supervisors see it (the number masked)."""
    return CallbackPublic.model_validate({**row.model_dump(), "phone": mask(row.phone)})


def get(session: Session, *, callback_id: int) -> Callback | None:
    """The call-back with this id."""
    return session.get(Callback, callback_id)


def active_for(session: Session, *, phone: str) -> Callback | None:
    """The number's active call-back (pending or being placed), if it has one."""
    return session.exec(select(Callback).where(Callback.active_phone == phone)).first()


def request(session: Session, *, data: CallbackRequest, now: dt.datetime, actor: str) -> tuple[Callback, bool]:
    """Book a call-back; a number with an active one has it updated instead (True). One being placed can't change."""
    existing = active_for(session, phone=data.phone)
    if existing is None:
        row = Callback(phone=data.phone, active_phone=data.phone, created_at=now, updated_at=now,
                       **_booking(data))
        try:
            with session.begin_nested():  # the unique active_phone: a request racing ours from another process
                session.add(row)
                session.flush()
        except IntegrityError:
            existing = active_for(session, phone=data.phone)
            if existing is None:
                raise
        else:
            audit.record(session, actor=actor, action="callback.request", subject=f"callback:{row.id}",
                         after=_audited(row))
            return row, False
    if existing.status in IN_PROGRESS:
        raise CallbackError(Refusal.IN_PROGRESS, "this number's call-back is being placed right now")
    before = _audited(existing)
    for key, value in _booking(data).items():
        setattr(existing, key, value)
    existing.reminded_at = None
    existing.updated_at = now
    session.add(existing)
    audit.record(session, actor=actor, action="callback.update", subject=f"callback:{existing.id}", before=before,
                 after=_audited(existing))
    return existing, True


def _utc(when: dt.datetime | None) -> dt.datetime | None:
    return when.astimezone(dt.UTC) if when is not None else None


def _booking(data: CallbackRequest) -> dict:
    keep = data.kind is CallbackKind.KEEP_PLACE
    return {
        "language": data.language,
        "kind": data.kind,
        "source": data.source,
        "status": CallbackStatus.WAITING if keep else CallbackStatus.SCHEDULED,
        "joined_at": _utc(data.joined_at) if keep else None,
        "due_at": None if keep else _utc(data.due_at),
        "next_attempt_at": None if keep else _utc(data.due_at),
        "topic": data.topic,
        "ticket_number": data.ticket_number,
        "text_updates": data.text_updates,
    }


def cancel(
    session: Session, *, actor: str, now: dt.datetime, callback_id: int | None = None, phone: str | None = None
) -> Callback | None:
    """Cancel a call-back not yet being placed, by id or by the number's active one; None if there is none.

    By number, with nothing booked, it declines a request from another line still awaiting the owner's YES."""
    row = get(session, callback_id=callback_id) if callback_id is not None else active_for(session, phone=phone or "")
    if row is None and phone:
        declined = decline(session, phone=phone, actor=actor, now=now)
        return declined[0] if declined else None
    if row is None or row.status not in ACTIVE:
        return None
    if row.status in IN_PROGRESS:
        raise CallbackError(Refusal.IN_PROGRESS, "the call-back is being placed right now")
    _cancel_audited(session, row, action="callback.cancel", actor=actor, now=now)
    return row


# ----- asked for by another line: the number's owner confirms by text first


def ask_owner(session: Session, *, data: CallbackRequest, now: dt.datetime, actor: str) -> Callback | None:
    """Record a call-back asked for by another line, awaiting the owner's YES; None when the number already has one
    booked or awaiting (that one is left exactly as it was, and the caller is told nothing about it)."""
    if active_for(session, phone=data.phone) is not None or awaiting(session, phone=data.phone, now=now):
        return None
    row = Callback(phone=data.phone, created_at=now, updated_at=now,
                   **{**_booking(data), "status": CallbackStatus.AWAITING_OWNER, "text_updates": True})
    session.add(row)
    session.flush()
    audit.record(session, actor=actor, action="callback.ask_owner", subject=f"callback:{row.id}", after=_audited(row))
    return row


def awaiting(session: Session, *, phone: str, now: dt.datetime) -> list[Callback]:
    """The number's requests from other lines still awaiting its owner's YES (not lapsed), newest first."""
    since = now - dt.timedelta(minutes=CALLBACK_OWNER_CONFIRM_MINUTES)
    rows = session.exec(
        select(Callback).where(
            Callback.phone == phone,
            Callback.status == CallbackStatus.AWAITING_OWNER,
            Callback.created_at > since,
        )
    ).all()
    return sorted(rows, key=lambda row: (row.created_at, row.id), reverse=True)


def confirm(session: Session, *, callback_id: int, now: dt.datetime, actor: str) -> tuple[Callback, bool]:
    """The owner texted YES: the request becomes their call-back (True), unless they have one booked already (False:
    the request is dropped and theirs stays as it was)."""
    row = get(session, callback_id=callback_id)
    if active_for(session, phone=row.phone) is not None:
        _close(row, CallbackStatus.CANCELLED, now)
        session.add(row)
        return row, False
    before = _audited(row)
    keep = row.kind == CallbackKind.KEEP_PLACE
    try:
        with session.begin_nested():  # the unique active_phone: the owner booking their own at this very moment
            row.status = CallbackStatus.WAITING if keep else CallbackStatus.SCHEDULED
            row.active_phone = row.phone
            row.updated_at = now
            session.add(row)
            session.flush()
    except IntegrityError:
        session.refresh(row)
        _close(row, CallbackStatus.CANCELLED, now)
        session.add(row)
        return row, False
    audit.record(session, actor=actor, action="callback.confirm", subject=f"callback:{row.id}", before=before,
                 after=_audited(row))
    return row, True


def decline(session: Session, *, phone: str, actor: str, now: dt.datetime) -> list[Callback]:
    """Drop the number's requests from other lines awaiting its YES (it texted STOP or CANCEL CALL)."""
    rows = awaiting(session, phone=phone, now=now)
    for row in rows:
        _cancel_audited(session, row, action="callback.decline", actor=actor, now=now)
    return rows


def _cancel_audited(session: Session, row: Callback, *, action: str, actor: str, now: dt.datetime) -> None:
    before = _audited(row)
    _close(row, CallbackStatus.CANCELLED, now)
    session.add(row)
    audit.record(session, actor=actor, action=action, subject=f"callback:{row.id}", before=before, after=_audited(row))


def lapse_unconfirmed(session: Session, *, now: dt.datetime) -> int:
    """Requests from other lines whose owner never said YES in time are cancelled; how many."""
    since = now - dt.timedelta(minutes=CALLBACK_OWNER_CONFIRM_MINUTES)
    rows = session.exec(
        select(Callback).where(
            Callback.status == CallbackStatus.AWAITING_OWNER, Callback.created_at <= since
        )
    ).all()
    for row in rows:
        _close(row, CallbackStatus.CANCELLED, now)
        session.add(row)
    return len(rows)


def reschedule(
    session: Session, *, callback_id: int, due_at: dt.datetime, actor: str, now: dt.datetime,
    calendar: BusinessCalendar,
) -> Callback:
    """Move a call-back not yet being placed to another time inside agent hours (it becomes a scheduled one)."""
    row = get(session, callback_id=callback_id)
    if row is None or row.status not in PENDING:
        if row is not None and row.status in IN_PROGRESS:
            raise CallbackError(Refusal.IN_PROGRESS, "the call-back is being placed right now")
        raise CallbackError(Refusal.NOT_FOUND, "no call-back waiting with this id")
    if due_at <= now:
        raise CallbackError(Refusal.PAST, "due_at must be in the future")
    if not calendar.state(due_at).is_open:
        raise CallbackError(Refusal.OUTSIDE_HOURS, "due_at must fall inside agent hours")
    before = _audited(row)
    row.kind, row.status = CallbackKind.SCHEDULED, CallbackStatus.SCHEDULED
    row.due_at = row.next_attempt_at = due_at.astimezone(dt.UTC)
    row.reminded_at = None
    row.updated_at = now
    session.add(row)
    audit.record(session, actor=actor, action="callback.reschedule", subject=f"callback:{row.id}", before=before,
                 after=_audited(row))
    return row


def _listed(query, *, state: State, limit: int):
    query = query.where(Callback.status.in_(STATES[state]), Callback.test_run.is_(None))  # test runs' never listed
    if state == "failed":
        return query.order_by(Callback.ended_at.desc(), Callback.id.desc()).limit(limit)
    return query.order_by(Callback.id).limit(limit)


def _soonest_first(row: Callback) -> dt.datetime:
    return row.next_attempt_at or row.joined_at or row.created_at


def listing(session: Session, *, state: State, limit: int = 500) -> list[Callback]:
    """Call-backs upcoming (soonest first), in progress, or failed (latest first)."""
    rows = list(session.exec(_listed(select(Callback), state=state, limit=limit)).all())
    if state == "upcoming":
        rows.sort(key=_soonest_first)
    return rows


def listing_with_outcomes(session: Session, *, state: State, limit: int = 500) -> list[tuple[Callback, str | None]]:
    """As listing, each call-back with the outcome of its latest attempt (None: not tried, or no outcome yet), in one
    query whatever the number of rows."""
    latest = (CallbackAttempt.callback_id == Callback.id) & (CallbackAttempt.number == Callback.attempts)
    query = select(Callback, CallbackAttempt.outcome).outerjoin(CallbackAttempt, latest)
    rows = [(row, outcome) for row, outcome in session.exec(_listed(query, state=state, limit=limit)).all()]
    if state == "upcoming":
        rows.sort(key=lambda pair: _soonest_first(pair[0]))
    return rows


def entitled_at(row: Callback) -> dt.datetime:
    """Where the call-back stands in the one line: the time its resident first joined it (keep my place, retries
    included) or the time they chose."""
    if row.kind == CallbackKind.KEEP_PLACE and row.joined_at is not None:
        return row.joined_at
    return row.due_at or row.created_at


def due(session: Session, *, now: dt.datetime) -> list[Callback]:
    """Call-backs that may be dialled now, in the order they are owed: kept places and scheduled times that came."""
    waiting = Callback.status == CallbackStatus.WAITING
    came = (Callback.status == CallbackStatus.SCHEDULED) & (Callback.next_attempt_at <= now)
    # A test run's call-back is never dialled: its number is fictional and its run cancels it at the end.
    rows = list(session.exec(select(Callback).where(waiting | came, Callback.test_run.is_(None))).all())
    return sorted(rows, key=lambda row: (entitled_at(row), row.id))


def in_flight(session: Session) -> list[Callback]:
    """Call-backs being placed: claimed, ringing, or answered and waiting for the next agent."""
    return list(session.exec(select(Callback).where(Callback.status.in_(IN_PROGRESS))).all())


def booked_slots(session: Session, *, start: dt.datetime, end: dt.datetime) -> Counter:
    """How many active call-backs are booked at each chosen time in [start, end)."""
    rows = session.exec(
        select(Callback.due_at).where(
            Callback.kind == CallbackKind.SCHEDULED,
            Callback.status.in_(ACTIVE),
            Callback.due_at >= start,
            Callback.due_at < end,
        )
    ).all()
    return Counter(rows)


# ----- attempts


def claim(session: Session, *, callback_id: int, attempts: int, now: dt.datetime) -> Callback | None:
    """Claim attempt `attempts + 1` in one UPDATE; None when another worker claimed it first (or it changed)."""
    claimed = session.exec(
        update(Callback)
        .where(
            Callback.id == callback_id,
            Callback.status.in_(PENDING),
            Callback.attempts == attempts,
        )
        .values(status=CallbackStatus.DIALING, attempts=attempts + 1, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:
        return None
    session.add(CallbackAttempt(callback_id=callback_id, number=attempts + 1, claimed_at=now))
    session.flush()
    row = get(session, callback_id=callback_id)
    session.refresh(row)
    return row


def attempt(session: Session, *, callback_id: int, number: int) -> CallbackAttempt | None:
    """One attempt of a call-back."""
    return session.exec(
        select(CallbackAttempt).where(CallbackAttempt.callback_id == callback_id, CallbackAttempt.number == number)
    ).first()


def _current(session: Session, callback_id: int, number: int) -> tuple[Callback, CallbackAttempt] | None:
    # The call-back and its attempt, only while that attempt is the one in progress (a late webhook changes nothing).
    row = get(session, callback_id=callback_id)
    tried = attempt(session, callback_id=callback_id, number=number)
    if row is None or tried is None or row.attempts != number or row.status not in IN_PROGRESS:
        return None
    return row, tried


def placed(session: Session, *, callback_id: int, number: int, call_sid: str, now: dt.datetime) -> None:
    """Twilio took the call: the attempt has its CallSid and the call-back is ringing."""
    found = _current(session, callback_id, number)
    if found is None:
        return
    row, tried = found
    tried.call_sid = call_sid[:64]
    if row.status == CallbackStatus.DIALING:
        row.status = CallbackStatus.CONNECTING
        row.updated_at = now
    session.add_all([row, tried])


def answered(
    session: Session, *, callback_id: int, number: int, human: bool, now: dt.datetime, calendar: BusinessCalendar,
    settings: CallbackSettings,
) -> Callback | None:
    """Someone (or a machine) picked up; a machine counts as an attempt. None when this attempt is no longer current."""
    found = _current(session, callback_id, number)
    if found is None:
        return None
    row, tried = found
    if human:
        tried.outcome = AttemptOutcome.ANSWERED
        row.status = CallbackStatus.CONNECTING
    else:
        tried.outcome, tried.ended_at = AttemptOutcome.MACHINE, now
        _retry_or_fail(row, now, calendar, settings)
    row.updated_at = now
    session.add_all([row, tried])
    return row


def missed(
    session: Session, *, callback_id: int, number: int, now: dt.datetime, calendar: BusinessCalendar,
    settings: CallbackSettings,
) -> Callback | None:
    """The call was picked up but nobody pressed a key to be put through: counted as unanswered, tried again."""
    found = _current(session, callback_id, number)
    if found is None:
        return None
    row, tried = found
    tried.outcome, tried.ended_at = AttemptOutcome.NO_ANSWER, now
    _retry_or_fail(row, now, calendar, settings)
    row.updated_at = now
    session.add_all([row, tried])
    return row


def call_ended(
    session: Session, *, callback_id: int, number: int, call_status: str, now: dt.datetime,
    calendar: BusinessCalendar, settings: CallbackSettings,
) -> Callback | None:
    """Twilio's final status for an attempt: unanswered means another try or failed; answered and never put through
    to an agent means the resident hung up (cancelled). Returns the call-back when this changed it."""
    tried = attempt(session, callback_id=callback_id, number=number)
    if tried is not None and tried.ended_at is None:
        tried.ended_at = now
        session.add(tried)
    found = _current(session, callback_id, number)
    if found is None:
        return None
    row, tried = found
    if tried.outcome == AttemptOutcome.ANSWERED:
        _close(row, CallbackStatus.CANCELLED, now)
    else:
        tried.outcome = UNANSWERED.get(call_status, AttemptOutcome.NO_ANSWER)
        _retry_or_fail(row, now, calendar, settings)
    row.updated_at = now
    session.add_all([row, tried])
    return row


def bridged(session: Session, *, call_sid: str, now: dt.datetime) -> Callback | None:
    """An agent picked up the call-back's call: it is done. None when the call is not a call-back's current one."""
    tried = session.exec(select(CallbackAttempt).where(CallbackAttempt.call_sid == call_sid)).first()
    found = _current(session, tried.callback_id, tried.number) if tried else None
    if found is None:
        return None
    row, tried = found
    tried.outcome = tried.outcome or AttemptOutcome.ANSWERED
    _close(row, CallbackStatus.COMPLETED, now)
    session.add_all([row, tried])
    return row


def give_up(session: Session, *, callback_id: int, now: dt.datetime) -> Callback | None:
    """No further attempts (the number may no longer be called): failed."""
    row = get(session, callback_id=callback_id)
    if row is None or row.status not in ACTIVE:
        return None
    _close(row, CallbackStatus.FAILED, now)
    session.add(row)
    return row


def settle_stale(
    session: Session, *, now: dt.datetime, calendar: BusinessCalendar, settings: CallbackSettings
) -> int:
    """Settle attempts whose news never came (a worker died after its claim, a status callback was lost)."""
    settled = 0
    for row in in_flight(session):
        tried = attempt(session, callback_id=row.id, number=row.attempts)
        age = (now - tried.claimed_at).total_seconds() if tried else float("inf")
        if row.status == CallbackStatus.DIALING and age > CALLBACK_DIAL_STALE_SECONDS:
            outcome = AttemptOutcome.FAILED
        elif tried is not None and tried.outcome is None and age > CALLBACK_RING_STALE_SECONDS:
            outcome = AttemptOutcome.NO_ANSWER
        elif tried is not None and tried.outcome is not None and age > CALLBACK_ANSWERED_STALE_SECONDS:
            _close(row, CallbackStatus.COMPLETED, now)  # answered long ago: the agent's pick-up went unheard
            session.add(row)
            settled += 1
            continue
        else:
            continue
        if tried is not None:
            tried.outcome, tried.ended_at = outcome, now
            session.add(tried)
        _retry_or_fail(row, now, calendar, settings)
        row.updated_at = now
        session.add(row)
        settled += 1
    return settled


def _retry_or_fail(row: Callback, now: dt.datetime, calendar: BusinessCalendar, settings: CallbackSettings) -> None:
    # Retries stay inside agent hours: one that would fall after closing waits for the next opening.
    later = calendar.next_open(now + dt.timedelta(minutes=settings.retry_minutes))
    if row.attempts > settings.retries or later is None:
        _close(row, CallbackStatus.FAILED, now)
        return
    row.status = CallbackStatus.SCHEDULED
    row.next_attempt_at = later


def _close(row: Callback, status: CallbackStatus, now: dt.datetime) -> None:
    row.status = status
    row.active_phone = None  # the number may book a new one
    row.ended_at = now
    row.updated_at = now


# ----- the resident's texts


def due_reminders(session: Session, *, now: dt.datetime, minutes: int) -> list[Callback]:
    """Chosen times within `minutes` whose resident asked for texts and has not been reminded yet."""
    if minutes <= 0:
        return []
    return list(
        session.exec(
            select(Callback).where(
                Callback.kind == CallbackKind.SCHEDULED,
                Callback.status == CallbackStatus.SCHEDULED,
                Callback.attempts == 0,
                Callback.text_updates.is_(True),
                Callback.reminded_at.is_(None),
                Callback.test_run.is_(None),
                Callback.due_at > now,
                Callback.due_at <= now + dt.timedelta(minutes=minutes),
            )
        ).all()
    )


def mark_reminded(session: Session, *, callback_id: int, now: dt.datetime) -> None:
    """The reminder went (or was refused): never a second one for this time."""
    row = get(session, callback_id=callback_id)
    row.reminded_at = now
    session.add(row)


def failed_unnoticed(session: Session, *, limit: int = 1000) -> list[int]:
    """Failed call-backs whose resident has not yet been told that we tried."""
    return list(
        session.exec(
            select(Callback.id)
            .where(Callback.status == CallbackStatus.FAILED, Callback.failure_noticed_at.is_(None))
            .order_by(Callback.id)
            .limit(limit)
        ).all()
    )


def mark_failure_noticed(session: Session, *, callback_id: int, now: dt.datetime) -> None:
    """The "we tried" text went (or was refused): never a second one."""
    row = get(session, callback_id=callback_id)
    row.failure_noticed_at = now
    session.add(row)


def end_test_run(session: Session, *, run: str, now: dt.datetime) -> int:
    """Cancel what a finished test run left booked (never dialled, the numbers are free again); how many."""
    rows = session.exec(select(Callback).where(Callback.test_run == run, Callback.status.in_(ACTIVE))).all()
    for row in rows:
        _close(row, CallbackStatus.CANCELLED, now)
        session.add(row)
    return len(rows)
