"""The hours page: read by every console role that reads, changed by supervisors only, with CSRF, escaped, audited."""

from __future__ import annotations

from sqlmodel import select

from console.models import Role
from core.audit import AuditEntry
from tests.console.browser_session import csrf_of, signed_in
from tests.helpers import Caller


def _hours_audit(session) -> list[AuditEntry]:
    entries = session.exec(select(AuditEntry).order_by(AuditEntry.id)).all()
    return [e for e in entries if e.action.startswith("hours.")]


def _close(app, **fields):
    token = csrf_of(app.get("/console/hours").text)
    form = {"csrf": token, "kind": "close", "reason-en-US": "Snow emergency: offices closed.", **fields}
    return app.post("/console/hours", data=form, follow_redirects=False)


def test_a_supervisor_closes_now_the_next_call_hears_it_and_reopens(app, session):
    signed_in(app, Role.SUPERVISOR)
    done = _close(app)
    assert done.status_code == 303 and done.headers["location"].startswith("/console/hours?done=close")
    page = app.get("/console/hours").text
    assert 'data-open="no"' in page and "Closed by a supervisor: Snow emergency: offices closed." in page
    assert "Snow emergency: offices closed." in Caller(app).dial().text
    change_id = _hours_audit(session)[0].subject.split(":")[1]
    reopened = app.post(f"/console/hours/{change_id}/cancel", data={"csrf": csrf_of(page)}, follow_redirects=False)
    assert reopened.status_code == 303
    assert "Snow emergency" not in Caller(app).dial().text
    assert [e.action for e in _hours_audit(session)] == ["hours.close", "hours.cancel"]
    assert _hours_audit(session)[0].actor == "supervisor-user (console)"


def test_readers_see_the_hours_but_cannot_change_them(app):
    signed_in(app, Role.CONTENT_EDITOR, name="editor")
    page = app.get("/console/hours")
    assert page.status_code == 200 and "Agents are answering." in page.text
    assert 'action="/console/hours"' not in page.text
    refused = app.post("/console/hours", data={"csrf": csrf_of(page.text), "kind": "close",
                                               "reason-en-US": "x"}, follow_redirects=False)
    assert refused.status_code == 403


def test_a_wallboard_may_not_open_the_page_and_a_stranger_is_sent_to_sign_in(app):
    assert app.get("/console/hours", follow_redirects=False).status_code == 303
    signed_in(app, Role.WALLBOARD, name="screen")
    assert app.get("/console/hours").status_code == 403


def test_a_post_without_the_csrf_token_is_refused(app):
    signed_in(app, Role.SUPERVISOR)
    refused = app.post("/console/hours", data={"kind": "close", "reason-en-US": "x"}, follow_redirects=False)
    assert refused.status_code == 403
    assert "Snow" not in Caller(app).dial().text


def test_what_was_typed_comes_back_escaped_with_what_is_wrong(app):
    signed_in(app, Role.SUPERVISOR)
    shown = _close(app, **{"reason-en-US": "<script>alert(1)</script>"})
    assert shown.status_code == 422
    assert "<script>alert(1)</script>" not in shown.text and "&lt;script&gt;" in shown.text
    assert "markup" in shown.text
    late = app.post("/console/hours", data={"csrf": csrf_of(shown.text), "kind": "open", "until": "25:99"})
    assert late.status_code == 422 and "give a time like 22:00" in late.text


def test_open_late_and_a_holiday_from_the_page(app, clock):
    signed_in(app, Role.SUPERVISOR)
    token = csrf_of(app.get("/console/hours").text)
    assert app.post("/console/hours", data={"csrf": token, "kind": "open", "until": "22:00"},
                    follow_redirects=False).status_code == 303
    added = app.post("/console/hours", data={"csrf": token, "kind": "holiday", "day": "2026-12-28",
                                             "reason-en-US": "Snow day"}, follow_redirects=False)
    assert added.status_code == 303
    page = app.get("/console/hours").text
    assert "2026-11-17 22:00" in page and "Snow day" in page and "scheduled" in page
