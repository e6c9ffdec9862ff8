"""The agent's page: an account linked to an agent sees the caller put through to them (language, wait, IVR steps as
text, the article, the masked number, earlier contacts) and acts for them: a request through the intake, texted if
they agree, an article texted, a call-back, a note, wrap-up done; every action audited; roles, CSRF, escaping."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlmodel import select

from callbacks.models import Callback, CallbackSource
from console.accounts import AccountError, link_agent
from console.models import Role
from core.audit import AuditEntry
from core.db import in_session
from crm_bridge.models import Ticket
from crm_bridge.ticket_numbers import printed
from queueing.agent_desk import AgentDesks
from tests.callbacks.builders import agent_dials_in, agent_takes
from tests.conftest import run_jobs
from tests.console.browser_session import csrf_of, make_account, sign_in
from tests.helpers import Caller

HOSTILE = '"><script>alert(1)</script><img src=x onerror=alert(2)>'
ANA = "+15555550101"
AGENTS = ("Ana", "Ben")


def agent_account(app, name: str = "ana-desk", agent: str = "Ana") -> None:
    """An "agent" account linked to an agent of [[agents]], signed in."""
    make_account(app, name, Role.AGENT)
    in_session(app.app.state.ctx.engine, link_agent, name=name, agent=agent, known=AGENTS, actor="test")
    assert sign_in(app, name).status_code == 303


def caller_put_through(app, speech: str = "when is the library open") -> tuple[Caller, str]:
    """A resident says something, presses 0 and is put through to Ana (signed webhooks); returns them and Ana's
    agent-line call."""
    caller = Caller(app)
    caller.dial()
    caller.say(speech)
    assert "<Enqueue" in caller.press("0").xml
    line_sid, _ = agent_dials_in(app, ANA)
    agent_takes(app, line_sid, caller.sid, "311-english", waited=42)
    return caller, line_sid


def _post(app, path: str, **fields: str):
    page = app.get("/console/desk")
    return app.post(path, data={"csrf": csrf_of(page.text), **fields}, follow_redirects=True)


def test_an_agent_account_must_name_a_configured_agent_once(app):
    make_account(app, "one", Role.AGENT)
    make_account(app, "two", Role.AGENT)
    engine = app.app.state.ctx.engine
    with pytest.raises(AccountError, match="no agent named"):
        in_session(engine, link_agent, name="one", agent="Zed", known=AGENTS, actor="test")
    in_session(engine, link_agent, name="one", agent="ana", known=AGENTS, actor="test")  # as config.toml spells it
    with pytest.raises(AccountError, match="already linked"):
        in_session(engine, link_agent, name="two", agent="Ana", known=AGENTS, actor="test")


def test_an_agent_sees_only_their_page_live_and_the_knowledge_base_read_only(app):
    agent_account(app)
    home = app.get("/console/")
    assert home.url.path == "/console/desk"
    nav = home.text.split("<main")[0]
    assert "My calls" in nav and "Live" in nav and "Knowledge base" in nav
    assert "Messages" not in nav and "Contacts" not in nav
    assert app.get("/console/live").status_code == 200
    assert app.get("/console/knowledge").status_code == 200
    assert "Add an article" not in app.get("/console/knowledge").text
    article = app.get("/console/knowledge/en-US/library-hours")
    assert article.status_code == 200 and "changing it needs a content editor" in article.text
    csrf = csrf_of(article.text)
    assert app.post("/console/knowledge/en-US/library-hours", data={"csrf": csrf}).status_code == 403
    for path in ("/console/messages", "/console/agents", "/console/contacts", "/console/tickets",
                 "/console/knowledge/unanswered", "/console/knowledge/new", "/console/audit"):
        assert app.get(path).status_code == 403, path
    csrf = csrf_of(app.get("/console/desk").text)
    assert app.post("/console/agents/sign-out", data={"csrf": csrf, "agent": "Ben"}).status_code == 403


def test_an_agent_account_not_yet_linked_is_told_so_and_can_do_nothing(app):
    make_account(app, "new-agent", Role.AGENT)
    assert sign_in(app, "new-agent").status_code == 303
    page = app.get("/console/desk")
    assert page.status_code == 200 and "not linked to an agent" in page.text
    assert app.post("/console/desk/note", data={"csrf": csrf_of(page.text), "note": "x"}).status_code == 403


def test_other_roles_have_no_agent_page(app):
    make_account(app, "chief", Role.SUPERVISOR)
    assert sign_in(app, "chief").status_code == 303
    assert app.get("/console/desk").status_code == 403


def test_the_page_shows_the_caller_put_through_with_their_ivr_steps(app, settings):
    agent_account(app)
    assert "No caller yet" in app.get("/console/desk").text
    caller, _ = caller_put_through(app)
    page = app.get("/console/desk").text
    flat = " ".join(page.split())
    assert "On the line now: +*******0147" in flat and "+13125550147" not in page
    assert "English" in flat and "42 s" in flat
    assert "said “when is the library open”" in flat and "pressed 0: asked for a person" in flat
    assert "Library" in flat  # the article matched


def test_earlier_calls_and_requests_from_the_number_show(app, session):
    agent_account(app)
    first = Caller(app)
    first.dial()
    first.say("when is the library open")
    first.hang_up()
    session.add(Ticket(number="123456782", service_code="pothole", phone="+13125550147",
                       expected_at=app.app.state.ctx.now()))
    session.commit()
    caller_put_through(app)
    flat = " ".join(app.get("/console/desk").text.split())
    assert "Call " in flat and "answered with “" in flat
    assert "Request 123-456-782" in flat


def test_hostile_speech_is_shown_as_text_never_markup(app):
    agent_account(app)
    caller_put_through(app, speech=HOSTILE)
    page = app.get("/console/desk").text
    assert "<script>alert(1)</script>" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_a_request_opened_from_the_page_is_read_out_and_texted_when_the_caller_agrees(app, session, settings, redis,
                                                                                    twilio_api):
    agent_account(app)
    caller, _ = caller_put_through(app)
    done = _post(app, "/console/desk/ticket", call=caller.sid, service_code="pothole", address="100 Main St",
                 description="deep hole", text_it="yes")
    assert done.status_code == 200 and "The request is open" in done.text
    ticket = session.exec(select(Ticket)).one()
    assert ticket.phone == "+13125550147" and ticket.channel == "voice"
    done_here = " ".join(done.text.split('id="pop-actions"')[1].split("</ul>")[0].split())
    assert f"request <strong>{printed(ticket.number)}</strong>, due " in done_here and "text sent" in done_here
    run_jobs(settings, redis)
    [sent] = twilio_api.messages()
    assert sent["To"] == "+13125550147" and printed(ticket.number) in sent["Body"]
    actions = {e.action for e in session.exec(select(AuditEntry)).all()}
    assert {"contact.ticket", "ticket.open"} <= actions


def test_text_callback_note_and_wrap_up_are_audited_on_the_call(app, session, settings, redis, twilio_api, clock):
    agent_account(app)
    caller, line_sid = caller_put_through(app)
    assert "The text is on its way" in _post(app, "/console/desk/text", call=caller.sid, article="library-hours").text
    assert "The call-back is booked" in _post(app, "/console/desk/callback", call=caller.sid, when="asap").text
    assert "kept with this call" in _post(app, "/console/desk/note", call=caller.sid, note=f"wants {HOSTILE}").text
    booked = session.exec(select(Callback)).one()
    assert booked.source == CallbackSource.AGENT and booked.phone == "+13125550147"
    agent_dials_in(app, ANA, sid=line_sid)  # the conversation ended: the agent line asks for the next caller
    assert 'data-state="wrap-up"' in app.get("/console/desk").text
    clock.now += dt.timedelta(seconds=30)
    assert "Wrap-up done" in _post(app, "/console/desk/wrap-up", call=caller.sid).text
    entries = session.exec(select(AuditEntry).where(AuditEntry.subject == f"call:{caller.sid}")).all()
    assert [e.action for e in entries] == ["contact.text", "contact.callback", "contact.note", "contact.wrap-up"]
    assert all(e.actor == "ana-desk (console)" for e in entries)
    assert entries[-1].after["wrap_up_seconds"] == 30
    run_jobs(settings, redis)
    assert [m["To"] for m in twilio_api.messages()] == ["+13125550147"]


def test_an_action_about_a_caller_no_longer_on_the_desk_is_refused(app):
    agent_account(app)
    caller_put_through(app)
    refused = _post(app, "/console/desk/note", call="CA" + "9" * 32, note="hello")
    assert refused.status_code == 422 and "no longer on your desk" in refused.text


def test_actions_need_the_forms_csrf_token(app):
    agent_account(app)
    caller, _ = caller_put_through(app)
    assert app.post("/console/desk/note", data={"call": caller.sid, "note": "x"}).status_code == 403


def test_the_stream_sends_the_pop_when_a_caller_is_put_through(app, redis):
    agent_account(app)
    caller, _ = caller_put_through(app)
    with app.stream("GET", "/console/desk/events", headers={"accept": "text/event-stream"}) as events:
        assert events.headers["content-type"].startswith("text/event-stream")
        lines = events.iter_lines()
        data = next(line for line in lines if line.startswith("data: "))
    event = json.loads(data.removeprefix("data: "))
    assert event["call"] == caller.sid and "when is the library open" in event["pop"]


def test_the_crm_link_is_the_template_with_the_number_encoded(app, settings):
    import dataclasses

    from settings.sections import ConsoleSettings

    ctx = app.app.state.ctx
    ctx.settings = dataclasses.replace(settings, console=ConsoleSettings(
        crm_link="https://crm.example/search?phone={number}"))
    agent_account(app)
    caller_put_through(app)
    assert 'href="https://crm.example/search?phone=%2B13125550147"' in app.get("/console/desk").text


def test_desk_state_follows_the_agent_line(app, redis):
    _, line_sid = caller_put_through(app)
    assert "Ana" in redis.smembers(AgentDesks.ON_LINE) or b"Ana" in redis.smembers(AgentDesks.ON_LINE)
