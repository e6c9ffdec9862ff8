"""The supervisors' agents view: who is signed in to the agent line, their state and for how long, calls handled
today and average handle time; signing an agent out (audited); supervisors only."""

from __future__ import annotations

import datetime as dt

from sqlmodel import select

from console.models import Role
from core.audit import AuditEntry
from tests.callbacks.builders import agent_dials_in, agent_takes
from tests.console.browser_session import csrf_of, signed_in
from tests.helpers import Caller, hear, twilio_post

ANA = "+15555550101"


def _row(html: str, agent: str) -> str:
    row = html.split(f'data-agent="{agent}"')[1].split("</tr>")[0]
    return " ".join(row.split())


def _cell(html: str, agent: str, field: str) -> str:
    return _row(html, agent).split(f'data-field="{field}">')[1].split("</td>")[0]


def test_states_durations_handled_calls_and_average_handle_time(app, clock):
    signed_in(app, Role.SUPERVISOR, name="chief")
    page = app.get("/console/agents").text
    assert "signed out" in _cell(page, "Ana", "state") and "signed out" in _cell(page, "Ben", "state")
    line_sid, _ = agent_dials_in(app, ANA)
    clock.now += dt.timedelta(seconds=65)
    page = app.get("/console/agents").text
    assert ">waiting<" in _cell(page, "Ana", "state") and _cell(page, "Ana", "for") == "1:05"
    caller = Caller(app)
    caller.dial()
    caller.press("0")
    agent_takes(app, line_sid, caller.sid, "311-english")
    clock.now += dt.timedelta(seconds=120)
    page = app.get("/console/agents").text
    assert "on a call" in _cell(page, "Ana", "state") and _cell(page, "Ana", "for") == "2:00"
    agent_dials_in(app, ANA, sid=line_sid)  # the conversation ended
    page = app.get("/console/agents").text
    assert "wrap-up" in _cell(page, "Ana", "state")
    assert _cell(page, "Ana", "handled") == "1" and _cell(page, "Ana", "aht") == "2:00"
    assert _cell(page, "Ben", "handled") == "0" and _cell(page, "Ben", "aht") == "–"


def test_signing_an_agent_out_is_audited_and_the_line_asks_for_the_pin_again(app, session):
    signed_in(app, Role.SUPERVISOR, name="chief")
    line_sid, _ = agent_dials_in(app, ANA)
    page = app.get("/console/agents").text
    assert 'aria-label="Sign Ana out"' in page and 'aria-label="Sign Ben out"' not in page
    done = app.post("/console/agents/sign-out", data={"csrf": csrf_of(page), "agent": "Ana"})
    assert "The agent is signed out" in done.text and "signed out" in _cell(done.text, "Ana", "state")
    [entry] = session.exec(select(AuditEntry).where(AuditEntry.action == "agent.sign-out")).all()
    assert entry.actor == "chief (console)" and entry.subject == "agent:Ana"
    form = {"CallSid": line_sid, "AccountSid": "AC" + "1" * 32, "From": ANA, "To": "+15555550311",
            "CallStatus": "in-progress"}
    assert "/voice/agent/pin" in hear(twilio_post(app, "/voice/agent/next", form)).xml
    again = app.post("/console/agents/sign-out", data={"csrf": csrf_of(page), "agent": "Ana"})
    assert "was not signed in" in again.text


def test_only_supervisors_see_agents_and_signing_out_needs_csrf(app):
    signed_in(app, Role.CONTENT_EDITOR, name="writer")
    assert app.get("/console/agents").status_code == 403
    signed_in(app, Role.SUPERVISOR, name="chief")
    assert app.post("/console/agents/sign-out", data={"agent": "Ana"}).status_code == 403
    page = app.get("/console/agents").text
    assert app.post("/console/agents/sign-out", data={"csrf": csrf_of(page), "agent": "Zed"}).status_code == 404


def test_the_table_refreshes_itself_from_a_fragment_only_supervisors_read(app, clock):
    signed_in(app, Role.CONTENT_EDITOR, name="writer")
    assert app.get("/console/agents/table").status_code == 403
    signed_in(app, Role.SUPERVISOR, name="chief")
    page = app.get("/console/agents").text
    assert '<script src="/console/static/agents.js" defer></script>' in page and "Reload for the latest" not in page
    assert 'id="agents-now" data-refresh="/console/agents/table"' in page
    assert "signed out" in _cell(app.get("/console/agents/table").text, "Ana", "state")
    agent_dials_in(app, ANA)  # what the next poll brings without a reload
    clock.now += dt.timedelta(seconds=5)
    fragment = app.get("/console/agents/table").text
    assert "<html" not in fragment and 'id="agents-now"' in fragment
    assert ">waiting<" in _cell(fragment, "Ana", "state") and 'aria-label="Sign Ana out"' in fragment
    assert csrf_of(page) in fragment  # its Sign out form still posts
    assert app.get("/console/static/agents.js").status_code == 200
