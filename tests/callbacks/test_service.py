"""Call-backs in the database: one active per number, cancel and move (audited), claims, retries inside agent hours."""

from __future__ import annotations

import dataclasses
import datetime as dt
import threading

import pytest
from sqlmodel import Session, select

from callbacks import service
from callbacks.limits import RequestCounters
from callbacks.models import (
    AttemptOutcome,
    CallbackAttempt,
    CallbackKind,
    CallbackRequest,
    CallbackSource,
    CallbackStatus,
)
from callbacks.service import CallbackError
from core.audit import AuditEntry
from core.calendar import BusinessCalendar
from core.db import in_session

CHICAGO = dt.timezone(dt.timedelta(hours=-6))  # November: Central Standard Time
NOW = dt.datetime(2026, 11, 17, 10, 0, tzinfo=CHICAGO)  # a Tuesday, agents answering 8:00-18:00


def scheduled(phone: str = "+13125550147", due: dt.datetime = NOW + dt.timedelta(hours=2)) -> CallbackRequest:
    return CallbackRequest(phone=phone, language="en-US", kind=CallbackKind.SCHEDULED, source=CallbackSource.SMS,
                           due_at=due, text_updates=True)


def keep_place(phone: str = "+13125550147", joined: dt.datetime = NOW) -> CallbackRequest:
    return CallbackRequest(phone=phone, language="es-US", kind=CallbackKind.KEEP_PLACE, source=CallbackSource.QUEUE,
                           joined_at=joined, topic="library-hours")


def book(session, data: CallbackRequest, now: dt.datetime = NOW):
    row, updated = service.request(session, data=data, now=now, actor="resident (test)")
    session.commit()
    return row, updated


def test_a_second_request_from_the_same_number_updates_the_first(session):
    first, updated = book(session, keep_place())
    assert not updated and first.status == CallbackStatus.WAITING.value and first.joined_at == NOW
    again, updated = book(session, scheduled())
    assert updated and again.id == first.id
    assert (again.kind, again.status, again.joined_at) == ("scheduled", "scheduled", None)
    assert again.next_attempt_at == NOW + dt.timedelta(hours=2)
    other, updated = book(session, scheduled(phone="+13125550148"))
    assert not updated and other.id != first.id
    trail = session.exec(select(AuditEntry).order_by(AuditEntry.id)).all()
    assert [e.action for e in trail] == ["callback.request", "callback.update", "callback.request"]
    assert trail[1].before["kind"] == "keep_place" and trail[1].after["kind"] == "scheduled"
    assert "+13125550147" not in str([e.before for e in trail] + [e.after for e in trail])  # numbers masked


def test_a_call_back_being_placed_cannot_be_changed_or_cancelled(session):
    row, _ = book(session, scheduled())
    assert service.claim(session, callback_id=row.id, attempts=0, now=NOW) is not None
    session.commit()
    with pytest.raises(CallbackError) as changed:
        book(session, keep_place())
    assert changed.value.reason == "in_progress"
    with pytest.raises(CallbackError):
        service.cancel(session, phone="+13125550147", actor="resident", now=NOW)


def test_cancel_frees_the_number_for_a_new_request(session):
    row, _ = book(session, scheduled())
    cancelled = service.cancel(session, phone="+13125550147", actor="supervisor:ana", now=NOW)
    session.commit()
    assert cancelled.status == "cancelled" and cancelled.active_phone is None
    assert service.cancel(session, phone="+13125550147", actor="x", now=NOW) is None
    fresh, updated = book(session, scheduled())
    assert not updated and fresh.id != row.id


def test_reschedule_must_fall_inside_agent_hours(session, settings):
    calendar = BusinessCalendar(settings)
    row, _ = book(session, keep_place())
    with pytest.raises(CallbackError) as outside:
        service.reschedule(session, callback_id=row.id, due_at=NOW.replace(hour=19), actor="a", now=NOW,
                           calendar=calendar)
    assert outside.value.reason == "outside_hours"
    with pytest.raises(CallbackError):
        service.reschedule(session, callback_id=row.id, due_at=NOW - dt.timedelta(hours=1), actor="a", now=NOW,
                           calendar=calendar)
    moved = service.reschedule(session, callback_id=row.id, due_at=NOW.replace(hour=15), actor="a", now=NOW,
                               calendar=calendar)
    assert (moved.kind, moved.status, moved.next_attempt_at) == ("scheduled", "scheduled", NOW.replace(hour=15))


def test_one_claim_per_attempt_whatever_races_it(engine, session):
    row, _ = book(session, scheduled())
    callback_id = row.id  # read here: the test's session must not be touched from four threads at once
    barrier = threading.Barrier(4)
    won = []

    def race():
        barrier.wait()
        won.append(in_session(engine, service.claim, callback_id=callback_id, attempts=0, now=NOW))

    threads = [threading.Thread(target=race) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(won) == 4 and len([w for w in won if w is not None]) == 1  # every racer answered; one won
    assert session.exec(select(CallbackAttempt)).one().number == 1


def _attempt(engine, settings, row_id: int, attempts: int, status: str, now: dt.datetime):
    calendar = BusinessCalendar(settings)
    claimed = in_session(engine, service.claim, callback_id=row_id, attempts=attempts, now=now)
    in_session(engine, service.placed, callback_id=row_id, number=claimed.attempts, call_sid=f"CA{attempts}", now=now)
    return in_session(engine, service.call_ended, callback_id=row_id, number=claimed.attempts, call_status=status,
                      now=now, calendar=calendar, settings=settings.callbacks)


def test_unanswered_calls_are_tried_again_then_the_call_back_fails(engine, session, settings):
    row, _ = book(session, keep_place())
    after_busy = _attempt(engine, settings, row.id, 0, "busy", NOW)
    assert after_busy.status == "scheduled" and after_busy.next_attempt_at == NOW + dt.timedelta(minutes=10)
    later = NOW + dt.timedelta(minutes=10)
    assert _attempt(engine, settings, row.id, 1, "no-answer", later).status == "scheduled"
    final = _attempt(engine, settings, row.id, 2, "no-answer", later + dt.timedelta(minutes=10))
    assert (final.status, final.attempts, final.active_phone) == ("failed", 3, None)
    outcomes = [a.outcome for a in session.exec(select(CallbackAttempt).order_by(CallbackAttempt.number)).all()]
    assert outcomes == ["busy", "no-answer", "no-answer"]
    assert service.failed_unnoticed(session) == [row.id]


def test_a_retry_after_closing_waits_for_the_next_opening(engine, session, settings):
    row, _ = book(session, keep_place())
    closing = dt.datetime(2026, 11, 21, 12, 55, tzinfo=CHICAGO)  # Saturday: agents answer 9:00-13:00
    retried = _attempt(engine, settings, row.id, 0, "no-answer", closing)
    # Sunday is closed, so the retry comes at Monday's opening.
    assert retried.next_attempt_at == dt.datetime(2026, 11, 23, 8, 0, tzinfo=CHICAGO)


def test_a_machine_counts_as_an_attempt_and_a_late_webhook_changes_nothing(engine, session, settings):
    calendar = BusinessCalendar(settings)
    row, _ = book(session, scheduled())
    in_session(engine, service.claim, callback_id=row.id, attempts=0, now=NOW)
    machine = in_session(engine, service.answered, callback_id=row.id, number=1, human=False, now=NOW,
                         calendar=calendar, settings=settings.callbacks)
    assert machine.status == "scheduled" and machine.attempts == 1
    late = in_session(engine, service.call_ended, callback_id=row.id, number=1, call_status="completed", now=NOW,
                      calendar=calendar, settings=settings.callbacks)
    assert late is None
    assert session.exec(select(CallbackAttempt)).one().outcome == AttemptOutcome.MACHINE.value


def test_put_through_to_an_agent_completes_it_and_hanging_up_before_cancels_it(engine, session, settings):
    calendar = BusinessCalendar(settings)
    done, _ = book(session, scheduled())
    gave_up, _ = book(session, scheduled(phone="+13125550148"))
    for row, sid in ((done, "CAdone"), (gave_up, "CAgone")):
        in_session(engine, service.claim, callback_id=row.id, attempts=0, now=NOW)
        in_session(engine, service.placed, callback_id=row.id, number=1, call_sid=sid, now=NOW)
        in_session(engine, service.answered, callback_id=row.id, number=1, human=True, now=NOW, calendar=calendar,
                   settings=settings.callbacks)
    assert in_session(engine, service.bridged, call_sid="CAdone", now=NOW).status == "completed"
    ended = in_session(engine, service.call_ended, callback_id=gave_up.id, number=1, call_status="completed",
                       now=NOW, calendar=calendar, settings=settings.callbacks)
    assert ended.status == "cancelled"


def test_stuck_attempts_are_settled_from_the_database(engine, session, settings):
    calendar = BusinessCalendar(settings)
    row, _ = book(session, scheduled())
    in_session(engine, service.claim, callback_id=row.id, attempts=0, now=NOW)  # the worker died right after
    assert in_session(engine, service.settle_stale, now=NOW + dt.timedelta(seconds=30), calendar=calendar,
                      settings=settings.callbacks) == 0
    assert in_session(engine, service.settle_stale, now=NOW + dt.timedelta(minutes=5), calendar=calendar,
                      settings=settings.callbacks) == 1
    with Session(engine) as fresh:
        settled = service.get(fresh, callback_id=row.id)
        assert settled.status == "scheduled" and settled.attempts == 1


def test_lists_for_supervisors(session):
    later, _ = book(session, scheduled(phone="+13125550148", due=NOW + dt.timedelta(hours=3)))
    sooner, _ = book(session, scheduled(phone="+13125550149", due=NOW + dt.timedelta(hours=1)))
    placing, _ = book(session, scheduled(phone="+13125550150"))
    service.claim(session, callback_id=placing.id, attempts=0, now=NOW)
    session.commit()
    assert [r.id for r in service.listing(session, state="upcoming")] == [sooner.id, later.id]
    assert [r.id for r in service.listing(session, state="in_progress")] == [placing.id]
    assert service.listing(session, state="failed") == []
    assert service.public(sooner).phone == "+*******0149"


def test_requests_are_limited_per_number_and_for_the_whole_service(redis, settings):
    limits = dataclasses.replace(settings.callbacks, requests_per_number_per_day=2, requests_per_hour=3)
    counters = RequestCounters(redis, limits)
    assert [counters.reserve("+13125550147", NOW) for _ in range(3)] == [None, None, "number_limit"]
    assert counters.reserve("+13125550148", NOW) is None
    assert counters.reserve("+13125550149", NOW) == "service_limit"
    assert counters.reserve("+13125550149", NOW + dt.timedelta(hours=1)) is None  # a new hour


def test_an_owners_yes_racing_their_own_booking_keeps_theirs(engine, monkeypatch):
    with Session(engine) as session:
        asked = service.ask_owner(session, data=keep_place(), now=NOW, actor="test")
        session.commit()
        own, _ = service.request(session, data=scheduled(), now=NOW, actor="test")
        session.commit()
        asked_id, own_id = asked.id, own.id
    monkeypatch.setattr(service, "active_for", lambda session, *, phone: None)  # theirs landed after our look
    with Session(engine) as session:
        row, booked = service.confirm(session, callback_id=asked_id, now=NOW, actor="test")
        session.commit()
        assert (booked, row.status) == (False, "cancelled")
    with Session(engine) as session:
        assert session.get(service.Callback, own_id).status == "scheduled"
