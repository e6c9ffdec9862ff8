"""Supervisors' call-back API: upcoming, in progress and failed lists (numbers masked), cancel and reschedule, each
in the audit trail."""

from __future__ import annotations

import datetime as dt

from sqlmodel import select

from callbacks import service
from callbacks.models import CallbackKind, CallbackRequest, CallbackSource
from core.audit import AuditEntry
from core.db import in_session
from tests.console.test_routes import api_token, auth

NOW = dt.datetime(2026, 11, 17, 16, 0, tzinfo=dt.UTC)  # Tuesday 10:00 in Chicago


def book(engine, phone: str, hours: float = 1):
    data = CallbackRequest(phone=phone, language="en-US", kind=CallbackKind.SCHEDULED, source=CallbackSource.SMS,
                           due_at=NOW + dt.timedelta(hours=hours))
    return in_session(engine, service.request, data=data, now=NOW, actor="resident")[0]


def test_lists_need_a_token_and_a_known_state(app, engine):
    assert app.get("/api/callbacks").status_code == 401
    token = api_token(app)
    bad = app.get("/api/callbacks?state=soon", headers=auth(token))
    assert bad.status_code == 422 and bad.json()["field"] == "state"


def test_upcoming_in_progress_and_failed(app, engine):
    token = api_token(app)
    later, sooner, placing = book(engine, "+13125550147", 3), book(engine, "+13125550148", 1), book(
        engine, "+13125550149", 2)
    in_session(engine, service.claim, callback_id=placing.id, attempts=0, now=NOW)
    upcoming = app.get("/api/callbacks?state=upcoming", headers=auth(token)).json()
    assert [c["id"] for c in upcoming] == [sooner.id, later.id]
    assert upcoming[0]["phone"] == "+*******0148" and upcoming[0]["due_at"].startswith("2026-11-17T17:00")
    in_progress = app.get("/api/callbacks?state=in_progress", headers=auth(token)).json()
    assert [(c["id"], c["status"], c["attempts"]) for c in in_progress] == [(placing.id, "dialing", 1)]
    assert app.get("/api/callbacks?state=failed", headers=auth(token)).json() == []


def test_cancel_and_reschedule_are_audited(app, engine, session):
    token = api_token(app, "ana")
    row = book(engine, "+13125550147")
    moved = app.post(f"/api/callbacks/{row.id}/reschedule", json={"due_at": "2026-11-18T09:00:00-06:00"},
                     headers=auth(token))
    assert moved.status_code == 200 and moved.json()["due_at"].startswith("2026-11-18T15:00")
    late = app.post(f"/api/callbacks/{row.id}/reschedule", json={"due_at": "2026-11-18T20:00:00-06:00"},
                    headers=auth(token))
    assert late.status_code == 422 and "agent hours" in late.json()["error"]
    naive = app.post(f"/api/callbacks/{row.id}/reschedule", json={"due_at": "2026-11-18T09:00"}, headers=auth(token))
    assert naive.status_code == 422
    cancelled = app.post(f"/api/callbacks/{row.id}/cancel", headers=auth(token))
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert app.post(f"/api/callbacks/{row.id}/cancel", headers=auth(token)).status_code == 404
    query = select(AuditEntry).where(AuditEntry.action.startswith("callback.")).order_by(AuditEntry.id)
    trail = session.exec(query).all()
    assert [(e.action, e.actor.startswith("ana")) for e in trail] == [
        ("callback.request", False), ("callback.reschedule", True), ("callback.cancel", True)]
    assert trail[1].after["due_at"].startswith("2026-11-18T15:00")


def test_a_call_back_being_placed_cannot_be_moved(app, engine):
    token = api_token(app)
    row = book(engine, "+13125550147")
    in_session(engine, service.claim, callback_id=row.id, attempts=0, now=NOW)
    moved = app.post(f"/api/callbacks/{row.id}/reschedule", json={"due_at": "2026-11-18T09:00:00-06:00"},
                     headers=auth(token))
    assert moved.status_code == 409
    assert app.post(f"/api/callbacks/{row.id}/cancel", headers=auth(token)).status_code == 409
    assert app.post("/api/callbacks/999/reschedule", json={"due_at": "2026-11-18T09:00:00-06:00"},
                    headers=auth(token)).status_code == 404
