"""The supervisors' contact search: calls by number, by ticket number or by day; one call's transcript (its IVR steps),
outcome, wait, what the caller was told, recordings and agents' actions; numbers masked, revealing one audited."""

from __future__ import annotations

from sqlmodel import select

from console.models import Role
from core.audit import AuditEntry
from core.phones import number_key
from crm_bridge.models import Ticket
from ivr.models import Call
from tests.console.browser_session import csrf_of, signed_in
from tests.console.test_desk_page import HOSTILE
from tests.console.test_voicemails_page import make_voicemail
from tests.helpers import Caller, drain_records

NUMBER = "+13125550147"


def _flat(html: str) -> str:
    return " ".join(html.split())


def call_about_the_library(app, phone: str = NUMBER, speech: str = "when is the library open") -> Caller:
    caller = Caller(app, phone)
    caller.dial()
    caller.say(speech)
    caller.hang_up()
    drain_records(app)  # the call's records, written behind
    return caller


def test_calls_keep_a_keyed_digest_of_the_number_never_the_number(app, session, settings):
    caller = call_about_the_library(app)
    row = session.exec(select(Call).where(Call.call_sid == caller.sid)).one()
    assert row.caller_key == number_key(settings.console_secret, NUMBER) and NUMBER not in row.caller_key
    assert row.caller_masked == "+*******0147"


def test_search_by_number_ticket_and_day(app, session):
    mine = call_about_the_library(app)
    other = call_about_the_library(app, phone="+13125550199")
    signed_in(app, Role.SUPERVISOR)
    by_number = app.get("/console/contacts", params={"number": "(312) 555-0147"}).text
    assert mine.sid in by_number and other.sid not in by_number and "1 call found" in by_number
    session.add(Ticket(number="123456782", service_code="pothole", phone=NUMBER,
                       expected_at=app.app.state.ctx.now()))
    session.commit()
    by_ticket = app.get("/console/contacts", params={"ticket": "123-456-782"}).text
    assert mine.sid in by_ticket and other.sid not in by_ticket
    today = app.get("/console/contacts").text  # today's calls when nothing is asked
    assert mine.sid in today and other.sid in today
    assert "0 calls found" in app.get("/console/contacts", params={"date": "2020-01-01"}).text
    assert "must look like" in app.get("/console/contacts", params={"date": "yesterday"}).text
    assert NUMBER not in today


def test_a_contact_shows_its_steps_outcome_and_hostile_speech_as_text(app):
    caller = call_about_the_library(app, speech=HOSTILE)
    signed_in(app, Role.SUPERVISOR)
    page = app.get(f"/console/contacts/{caller.sid}").text
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;" in page
    flat = _flat(page)
    assert "Call from +*******0147" in flat and "completed" in flat
    assert app.get("/console/contacts/CA-none").status_code == 404


def test_revealing_a_number_is_audited(app, session):
    caller = call_about_the_library(app)
    make_voicemail(session, caller=NUMBER, sid=caller.sid.removeprefix("CA"))
    signed_in(app, Role.SUPERVISOR, name="chief")
    page = app.get(f"/console/contacts/{caller.sid}").text
    assert NUMBER not in page and "Voice message" in page
    shown = app.post(f"/console/contacts/{caller.sid}/reveal", data={"csrf": csrf_of(page)})
    assert NUMBER in shown.text
    [entry] = session.exec(select(AuditEntry).where(AuditEntry.action == "contact.reveal")).all()
    assert entry.actor == "chief (console)" and entry.subject == f"call:{caller.sid}" and entry.after["revealed"]
    assert app.post(f"/console/contacts/{caller.sid}/reveal", data={}).status_code == 403


def test_only_supervisors_search_contacts(app):
    caller = call_about_the_library(app)
    for role in (Role.WALLBOARD, Role.CONTENT_EDITOR, Role.AGENT):
        signed_in(app, role, name=f"{role.value}-x")
        assert app.get("/console/contacts").status_code == 403
        assert app.get(f"/console/contacts/{caller.sid}").status_code == 403
