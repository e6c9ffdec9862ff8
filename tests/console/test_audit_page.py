"""The audit page: every change from the console, the API and the command line, read-only, paged, escaped."""

from __future__ import annotations

from console.models import Role
from core import audit
from core.db import in_session
from core.defaults import CONSOLE_AUDIT_PAGE_SIZE
from tests.console.browser_session import make_account, sign_in, signed_in
from tests.console.test_routes import STORM, api_token, auth

HOSTILE_NAME = '<img src=x onerror="alert(1)">'


def test_changes_made_through_the_api_and_by_accounts_are_listed_with_before_and_after(app):
    token = api_token(app, "robot")
    created = app.post("/api/announcements", json=STORM, headers=auth(token)).json()
    app.delete(f"/api/announcements/{created['id']}", headers=auth(token))
    signed_in(app, Role.SUPERVISOR, name="ana")
    page = app.get("/console/audit")
    assert page.status_code == 200
    text = " ".join(page.text.split())
    assert "announcement.deactivate" in text and "announcement.create" in text and "token.create" in text
    assert f"robot-{id(app)}" in text  # who: the token's holder
    assert '<span class="before">true</span> → <span class="after">false</span>' in text  # active: before → after
    assert "account:ana" in text and "account.create" in text
    assert text.index("announcement.deactivate") < text.index("announcement.create")  # newest first


def test_a_hostile_account_name_is_shown_as_text(app):
    make_account(app, HOSTILE_NAME, Role.ADMIN)
    assert sign_in(app, HOSTILE_NAME).status_code == 303
    page = app.get("/console/audit").text
    assert HOSTILE_NAME not in page
    assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;" in page


def test_the_trail_is_paged_newest_first(app):
    engine = app.app.state.ctx.engine
    signed_in(app, Role.ADMIN, name="chief")  # one entry: the account's creation

    def many(session):
        for i in range(2 * CONSOLE_AUDIT_PAGE_SIZE + 19):
            audit.record(session, actor="cli", action="test.change", subject=f"thing:{i:03d}", after={"n": i})

    in_session(engine, many)
    first = app.get("/console/audit").text
    assert "thing:118" in first and "thing:068" not in first and "Page 1 of 3" in first and 'rel="next"' in first
    last = app.get("/console/audit?page=3").text
    assert "account:chief" in last and "thing:000" in last and "Page 3 of 3" in last and 'rel="next"' not in last
    assert "There is no page 9" in app.get("/console/audit?page=9").text
    assert "Page 1 of 3" in app.get("/console/audit?page=-2").text


def test_nobody_can_change_the_trail_and_a_wallboard_cannot_read_it(app):
    signed_in(app, Role.ADMIN, name="chief")
    assert app.post("/console/audit", data={}).status_code == 405
    app.cookies.clear()
    signed_in(app, Role.WALLBOARD, name="screen")
    refused = app.get("/console/audit")
    assert refused.status_code == 403 and "role does not allow" in refused.text
    assert 'href="/console/audit"' not in refused.text  # the menu offers only what the role may open


def test_an_empty_trail_says_so(app, engine):
    signed_in(app, Role.ADMIN, name="chief")
    in_session(engine, lambda session: session.exec(audit.AuditEntry.__table__.delete()))
    assert "No changes have been made yet." in app.get("/console/audit").text


def test_moments_in_the_changes_are_in_city_time_like_the_when_column(app):
    # A message scheduled for 3 p.m. in Chicago (21:00 UTC): the trail stores UTC, the page says 15:00.
    engine = app.app.state.ctx.engine
    in_session(engine, audit.record, actor="cli", action="announcement.create", subject="announcement:9",
               before=None, after={"starts_at": "2026-11-17T21:00:00+00:00", "windows": ["2026-11-18T00:30:00Z"]})
    signed_in(app, Role.SUPERVISOR, name="ana")
    text = " ".join(app.get("/console/audit").text.split())
    assert "2026-11-17 15:00" in text and "2026-11-17 18:30" in text
    assert "21:00" not in text and "T00:30" not in text
