"""The call-backs page: upcoming, being dialled and failed call-backs in city time, numbers masked; supervisors cancel
(after confirming) and reschedule inside agent hours, a refusal named by the field with what was typed; all audited."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import event
from sqlmodel import select

from callbacks import service
from callbacks.models import Callback, CallbackKind, CallbackRequest, CallbackSource
from callbacks.service import CallbackError, Refusal
from console.errors import http_status
from console.models import Role
from core.audit import AuditEntry
from core.db import in_session
from settings import CallbackSettings
from tests.console.browser_session import csrf_of, signed_in

NOW = dt.datetime(2026, 11, 17, 16, 0, tzinfo=dt.UTC)  # Tuesday 10:00 in Chicago, as the app's clock


def book(engine, phone: str, hours: float = 1, **extra) -> Callback:
    data = CallbackRequest(
        phone=phone,
        language=extra.pop("language", "en-US"),
        kind=CallbackKind.SCHEDULED,
        source=CallbackSource.SMS,
        due_at=NOW + dt.timedelta(hours=hours),
        **extra,
    )
    return in_session(engine, service.request, data=data, now=NOW, actor="resident")[0]


def fail(engine, app, row: Callback) -> None:
    """Every try of the call-back goes unanswered (busy)."""
    settings = CallbackSettings(retries=0)
    calendar = app.app.state.ctx.calendar
    in_session(engine, service.claim, callback_id=row.id, attempts=0, now=NOW)
    in_session(
        engine,
        service.call_ended,
        callback_id=row.id,
        number=1,
        call_status="busy",
        now=NOW,
        calendar=calendar,
        settings=settings,
    )


def _section(html: str, heading: str) -> str:
    start = html.index(f'id="{heading}-heading"')
    end = html.find("<section", start)
    return html[start : end if end > 0 else None]


def _post(app, path: str, **fields: str):
    token = csrf_of(app.get("/console/callbacks").text)
    return app.post(path, data={"csrf": token, **fields})


def test_the_three_lists_in_city_time_with_masked_numbers(app, engine):
    signed_in(app, Role.SUPERVISOR, name="ana")
    book(engine, "+13125550147", 3, topic="library-hours")
    book(engine, "+13125550148", 1, language="es-US", ticket_number="123456789")
    placing = book(engine, "+13125550149", 2)
    in_session(engine, service.claim, callback_id=placing.id, attempts=0, now=NOW)
    failed = book(engine, "+13125550150", 4)
    fail(engine, app, failed)
    page = app.get("/console/callbacks")
    assert page.status_code == 200
    upcoming = _section(page.text, "upcoming")
    assert "Upcoming (2)" in upcoming
    # Soonest first, due times as Chicago's clock shows them (16:00 UTC is 10:00 there), numbers masked.
    assert upcoming.index("2026-11-17 11:00") < upcoming.index("2026-11-17 13:00")
    assert "+*******0148" in upcoming and "es-US" in upcoming and "request 123-456-789" in upcoming
    assert "library hours" in upcoming and "311-spanish" in upcoming and "311-english" in upcoming
    assert "+13125550148" not in page.text and "3125550147" not in page.text
    dialled = _section(page.text, "in-progress")
    assert "Being dialled (1)" in dialled and "+*******0149" in dialled and "dialling" in dialled
    gave_up = _section(page.text, "failed")
    assert "Failed (1)" in gave_up and "+*******0150" in gave_up and ">busy<" in gave_up


def test_the_pages_rows_are_read_in_one_query_per_list_however_many_there_are(app, engine):
    signed_in(app, Role.SUPERVISOR, name="ana")
    for n in range(5):
        fail(engine, app, book(engine, f"+1312555016{n}", 2 + n))
    statements: list[str] = []

    def seen(conn, cursor, statement, *args) -> None:
        statements.append(statement)

    listened = app.app.state.ctx.engine  # the app's own engine, the one its pages read with
    event.listen(listened, "before_cursor_execute", seen)
    try:
        page = app.get("/console/callbacks")
    finally:
        event.remove(listened, "before_cursor_execute", seen)
    gave_up = _section(page.text, "failed")
    assert "Failed (5)" in gave_up and gave_up.count(">busy<") == 5
    # Upcoming, being dialled, failed: one query each (with each row's last try), never one more per row.
    assert len([s for s in statements if "FROM callback" in s]) == len(service.STATES)


def test_empty_states_say_what_would_be_there(app):
    signed_in(app, Role.SUPERVISOR, name="ana")
    page = app.get("/console/callbacks").text
    assert "No call-backs are waiting." in page
    assert "No call-back is being dialled right now." in page
    assert "No call-back has failed." in page


def test_cancel_asks_to_confirm_and_is_audited(app, engine, session):
    signed_in(app, Role.SUPERVISOR, name="ana")
    row = book(engine, "+13125550147")
    page = app.get("/console/callbacks").text
    assert "<summary>Cancel…</summary>" in page
    assert "Yes, cancel the call-back to +*******0147" in page
    done = _post(app, f"/console/callbacks/{row.id}/cancel")
    assert done.status_code == 200 and "The call-back is cancelled" in done.text
    assert "No call-backs are waiting." in done.text
    assert session.get(Callback, row.id).status == "cancelled"
    entry = session.exec(select(AuditEntry).where(AuditEntry.action == "callback.cancel")).one()
    assert entry.actor == "ana (console)" and entry.before["status"] == "scheduled"
    assert entry.after["status"] == "cancelled" and entry.after["phone"] == "+*******0147"
    again = _post(app, f"/console/callbacks/{row.id}/cancel")
    assert again.status_code == 404 and "no longer waiting" in again.text


def test_reschedule_in_city_time_is_stored_shown_and_audited(app, engine, session):
    signed_in(app, Role.SUPERVISOR, name="ana")
    row = book(engine, "+13125550147")
    moved = _post(app, f"/console/callbacks/{row.id}/reschedule", due_at="2026-11-18T09:30")
    assert moved.status_code == 200 and "The call-back is moved" in moved.text
    assert "2026-11-18 09:30" in _section(moved.text, "upcoming")
    stored = session.get(Callback, row.id)
    assert stored.next_attempt_at == dt.datetime(2026, 11, 18, 15, 30, tzinfo=dt.UTC)  # 09:30 in Chicago
    entry = session.exec(select(AuditEntry).where(AuditEntry.action == "callback.reschedule")).one()
    assert entry.actor == "ana (console)"
    assert entry.before["due_at"].startswith("2026-11-17T17:00")
    assert entry.after["due_at"].startswith("2026-11-18T15:30")


def test_a_refused_time_is_named_by_its_field_and_kept_as_typed(app, engine, session):
    signed_in(app, Role.SUPERVISOR, name="ana")
    row = book(engine, "+13125550147")
    cases = [
        ("2026-11-18T20:00", "Agents are not answering then"),  # 8 p.m.: closed
        ("2026-11-17T09:00", "This time has already passed"),  # an hour ago, city time
        ("2026-11-22T11:00", "Agents are not answering then"),  # a Sunday
        ("tomorrow at nine", "Give a date and a time, like 2026-11-18 09:00."),
        ("", "Choose the new date and time."),
    ]
    for typed, problem in cases:
        refused = _post(app, f"/console/callbacks/{row.id}/reschedule", due_at=typed)
        assert refused.status_code == 422, typed
        field = f'id="due-{row.id}"'
        assert problem in refused.text and 'role="alert" id="problems"' in refused.text
        error_at = refused.text.index(f'id="due-{row.id}-error"')
        assert error_at < refused.text.index(field)  # the reason is right above the field
        assert f'value="{typed}"' in refused.text.split(field)[1].split(">")[0]  # kept as typed
        assert f'aria-describedby="due-{row.id}-error"' in refused.text
    assert session.get(Callback, row.id).next_attempt_at == NOW + dt.timedelta(hours=1)
    assert session.exec(select(AuditEntry).where(AuditEntry.action == "callback.reschedule")).all() == []


def test_one_being_dialled_cannot_be_changed(app, engine):
    signed_in(app, Role.SUPERVISOR, name="ana")
    row = book(engine, "+13125550147")
    page = app.get("/console/callbacks").text  # opened while it was still waiting
    in_session(engine, service.claim, callback_id=row.id, attempts=0, now=NOW)
    refused = app.post(
        f"/console/callbacks/{row.id}/reschedule", data={"csrf": csrf_of(page), "due_at": "2026-11-18T09:30"}
    )
    assert refused.status_code == 409 and "being dialled right now" in refused.text
    cancel = app.post(f"/console/callbacks/{row.id}/cancel", data={"csrf": csrf_of(page)})
    assert cancel.status_code == 409 and "being dialled right now" in cancel.text


def test_roles_a_content_editor_reads_a_wallboard_does_not_and_only_supervisors_change(app, engine, session):
    row = book(engine, "+13125550147")
    signed_in(app, Role.CONTENT_EDITOR, name="editor")
    page = app.get("/console/callbacks")
    assert page.status_code == 200 and "+*******0147" in page.text
    assert "Reschedule" not in page.text and "Cancel…" not in page.text
    for path, fields in (
        (f"/console/callbacks/{row.id}/cancel", {}),
        (f"/console/callbacks/{row.id}/reschedule", {"due_at": "2026-11-18T09:30"}),
    ):
        assert app.post(path, data={"csrf": csrf_of(page.text), **fields}).status_code == 403
    assert session.get(Callback, row.id).status == "scheduled"
    app.cookies.clear()
    signed_in(app, Role.WALLBOARD, name="screen")
    assert app.get("/console/callbacks").status_code == 403
    app.cookies.clear()
    signed_in(app, Role.ADMIN, name="chief")
    assert "Reschedule" in app.get("/console/callbacks").text


def test_changes_need_the_forms_csrf_token(app, engine, session):
    signed_in(app, Role.SUPERVISOR, name="ana")
    row = book(engine, "+13125550147")
    refused = app.post(f"/console/callbacks/{row.id}/cancel", data={"csrf": "forged"})
    assert refused.status_code == 403 and "This form has expired" in refused.text
    assert session.get(Callback, row.id).status == "scheduled"


def test_a_refusal_answers_the_same_status_on_the_page_as_in_the_api(app, engine):
    """console.errors: one table from a call-back refusal to its HTTP status, for the page and the API alike."""
    signed_in(app, Role.SUPERVISOR, name="ana")
    row = book(engine, "+13125550147")
    in_session(engine, service.cancel, callback_id=row.id, actor="resident", now=NOW)
    gone = _post(app, f"/console/callbacks/{row.id}/reschedule", due_at="2026-11-18T09:30")
    assert gone.status_code == http_status(CallbackError(Refusal.NOT_FOUND, "gone")) == 404
    assert "no longer waiting" in gone.text
