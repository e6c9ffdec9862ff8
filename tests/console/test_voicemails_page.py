"""The voice-messages pages: waiting messages first, masked callers, listening, marking handled, and answering a
message with a ticket (the normal intake path: number and due date) or a call-back; audited; roles; escaping."""

from __future__ import annotations

import datetime as dt

from sqlmodel import select

from callbacks.models import Callback
from console.models import Role
from core.audit import AuditEntry
from crm_bridge.models import Ticket, TicketEvent
from crm_bridge.ticket_numbers import is_valid
from queueing.models import Voicemail
from tests.conftest import OPEN_HOURS
from tests.console.browser_session import csrf_of, signed_in
from tests.console.test_messages_page import ATTRIBUTE_BREAKOUT

RECORDING = "https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE"


def make_voicemail(
    session,
    *,
    caller: str | None = "+13125550147",
    minutes_ago: int = 10,
    language: str = "en-US",
    handled: bool = False,
    sid: str = "1",
) -> Voicemail:
    """A voice message as the queue stores one when a caller presses 3."""
    created = OPEN_HOURS - dt.timedelta(minutes=minutes_ago)
    row = Voicemail(
        call_sid=f"CA{sid:0>32}",
        caller=caller,
        language=language,
        recording_url=f"{RECORDING}{sid}",
        created_at=created,
        returned_at=created + dt.timedelta(minutes=1) if handled else None,
    )
    session.add(row)
    session.commit()
    session.refresh(row)
    return row


def _flat(html: str) -> str:
    return " ".join(html.split())


def _post(app, voicemail_id: int, action: str, **fields: str):
    token = csrf_of(app.get(f"/console/voicemails/{voicemail_id}").text)
    return app.post(f"/console/voicemails/{voicemail_id}/{action}", data={"csrf": token, **fields})


def test_waiting_messages_come_first_newest_first_with_language_masked_caller_and_age(app, session):
    signed_in(app, Role.SUPERVISOR)
    assert "No voice messages." in app.get("/console/voicemails").text
    old_waiting = make_voicemail(session, caller="+13125550101", minutes_ago=200, sid="1")
    handled = make_voicemail(session, caller="+13125550102", minutes_ago=5, handled=True, sid="2")
    new_waiting = make_voicemail(session, caller="+13125550103", minutes_ago=7, language="es-US", sid="3")
    page = app.get("/console/voicemails").text
    order = [page.index(f"/console/voicemails/{row.id}/recording") for row in (new_waiting, old_waiting, handled)]
    assert order == sorted(order)
    text = _flat(page)
    assert "<strong>2</strong> waiting to be handled, 1 handled." in text
    assert "+*******0103" in text and "+13125550103" not in page and "Español" in text
    assert "7 min ago" in text and "3 h 20 min ago" in text
    assert '<audio controls preload="none" src="/console/voicemails/' in page


def test_marking_handled_sets_when_and_is_audited(app, session):
    row = make_voicemail(session)
    signed_in(app, Role.SUPERVISOR, name="ana")
    done = _post(app, row.id, "handled")
    assert done.status_code == 200 and "The voice message is marked handled." in done.text
    assert "<strong>0</strong> waiting" in _flat(done.text)
    session.refresh(row)
    assert row.returned_at == OPEN_HOURS
    [entry] = session.exec(select(AuditEntry).where(AuditEntry.subject == f"voicemail:{row.id}")).all()
    assert entry.action == "voicemail.handled" and entry.actor == "ana (console)"
    assert (
        entry.before["returned_at"] is None and entry.after["returned_at"] and entry.after["caller"] == "+*******0147"
    )
    assert _post(app, 99999, "handled").status_code == 404


def test_a_ticket_opened_from_a_message_gets_a_number_a_due_date_the_recording_and_a_note(app, session):
    row = make_voicemail(session, language="es-US")
    signed_in(app, Role.SUPERVISOR, name="ana")
    opened = _post(
        app, row.id, "ticket", service_code="streetlight", address="400 Elm Street", description="Light out all week"
    )
    assert opened.status_code == 200 and "The ticket is opened from the voice message" in opened.text
    number = opened.url.path.rsplit("/", 1)[1]
    assert is_valid(number)
    ticket = session.exec(select(Ticket).where(Ticket.number == number)).one()
    assert (ticket.service_code, ticket.address, ticket.language) == ("streetlight", "400 Elm Street", "es-US")
    assert ticket.phone == "+13125550147" and ticket.recording_url == row.recording_url
    assert ticket.expected_at > OPEN_HOURS + dt.timedelta(days=7)  # streetlight: 7 business days
    notes = [e.note for e in session.exec(select(TicketEvent).where(TicketEvent.ticket_id == ticket.id)).all()]
    assert notes[0] == "opened" and notes[1].startswith(f"opened from voice message {row.id}")
    assert "opened from voice message" in opened.text and "<audio" in opened.text
    session.refresh(row)
    assert row.returned_at is not None
    actions = {e.action for e in session.exec(select(AuditEntry)).all()}
    assert {"ticket.open", "voicemail.ticket"} <= actions


def test_ticket_mistakes_are_named_and_what_was_typed_is_kept(app, session):
    row = make_voicemail(session)
    signed_in(app, Role.SUPERVISOR)
    no_type = _post(app, row.id, "ticket", service_code="", address="1 Main", description="kept words")
    assert no_type.status_code == 422 and "choose the type of problem" in no_type.text
    assert 'value="1 Main"' in no_type.text and ">kept words</textarea>" in no_type.text
    no_place = _post(app, row.id, "ticket", service_code="pothole", address="", description="deep")
    assert no_place.status_code == 422 and "a location is required" in no_place.text
    assert '<option value="pothole" selected>' in no_place.text
    no_detail = _post(app, row.id, "ticket", service_code="missed-trash", address="1 Main St", description="")
    assert no_detail.status_code == 422 and 'id="attr-cart_type-error"' in no_detail.text
    assert session.exec(select(Ticket)).all() == [] and session.get(Voicemail, row.id).returned_at is None
    answered = _post(
        app,
        row.id,
        "ticket",
        service_code="missed-trash",
        address="1 Main St",
        description="",
        **{"attr-cart_type": "garbage"},
    )
    assert answered.status_code == 200, answered.text
    assert session.exec(select(Ticket)).one().attributes == {"cart_type": "garbage"}


def test_a_control_or_bidi_character_typed_into_a_ticket_from_a_message_is_refused_with_its_field(app, session):
    row = make_voicemail(session)
    signed_in(app, Role.SUPERVISOR)
    hostile = _post(app, row.id, "ticket", service_code="pothole", address="1 Main St", description="deep\x1b[2J")
    assert hostile.status_code == 422 and 'id="description-error"' in hostile.text
    assert "a control character (U+001B" in hostile.text
    bidi = _post(app, row.id, "ticket", service_code="pothole", address="1 \u202eMain St", description="deep")
    assert bidi.status_code == 422 and "a text-direction character (U+202E" in bidi.text
    assert session.exec(select(Ticket)).all() == []


def test_a_call_back_is_booked_as_soon_as_an_agent_is_free_or_at_a_chosen_time(app, session):
    first = make_voicemail(session, caller="+13125550147", sid="1")
    second = make_voicemail(session, caller="+13125550148", sid="2")
    signed_in(app, Role.SUPERVISOR, name="ana")
    asap = _post(app, first.id, "callback", when="asap")
    assert "The call-back is booked" in asap.text
    page = app.get(f"/console/voicemails/{second.id}").text
    chosen = page.split('<select id="when"')[1].split('<option value="')[2].split('"')[0]  # the first time offered
    booked = _post(app, second.id, "callback", when=chosen)
    assert "The call-back is booked" in booked.text
    rows = {row.phone: row for row in session.exec(select(Callback)).all()}
    assert rows["+13125550147"].kind == "keep_place" and rows["+13125550147"].joined_at == OPEN_HOURS
    assert rows["+13125550148"].kind == "scheduled" and rows["+13125550148"].due_at == dt.datetime.fromisoformat(chosen)
    assert {row.source for row in rows.values()} == {"voicemail"} and rows["+13125550147"].language == "en-US"
    again = _post(app, first.id, "callback", when=chosen)  # one call-back per number: moved, not doubled
    assert "already had a call-back waiting; it was moved" in again.text
    assert len(session.exec(select(Callback)).all()) == 2
    audited = [e.action for e in session.exec(select(AuditEntry).order_by(AuditEntry.id)).all()]
    assert audited.count("voicemail.callback") == 3 and "callback.request" in audited and "callback.update" in audited


def test_call_back_mistakes_are_named(app, session):
    hidden = make_voicemail(session, caller=None, sid="1")
    premium = make_voicemail(session, caller="+19005550123", sid="2")
    fine = make_voicemail(session, caller="+13125550147", sid="3")
    signed_in(app, Role.SUPERVISOR)
    assert "cannot be called back" in _post(app, hidden.id, "callback", when="asap").text
    assert "ordinary phone numbers" in _post(app, premium.id, "callback", when="asap").text
    made_up = _post(app, fine.id, "callback", when="tomorrow-ish")
    assert made_up.status_code == 422 and "choose one of the times offered" in made_up.text
    closed = _post(app, fine.id, "callback", when="2026-11-18T05:00:00+00:00")  # 11 p.m. in Chicago
    assert closed.status_code == 422 and "no longer free" in closed.text
    assert session.exec(select(Callback)).all() == []


def test_only_supervisors_and_admins_read_or_act(app, session):
    row = make_voicemail(session)
    for role in (Role.WALLBOARD, Role.CONTENT_EDITOR):
        app.cookies.clear()
        signed_in(app, role)
        for path in ("/console/voicemails", f"/console/voicemails/{row.id}", f"/console/voicemails/{row.id}/recording"):
            assert app.get(path).status_code == 403
        token = csrf_of(app.get("/console/live").text)
        assert app.post(f"/console/voicemails/{row.id}/handled", data={"csrf": token}).status_code == 403
        assert 'href="/console/voicemails"' not in app.get("/console/live").text
    app.cookies.clear()
    signed_in(app, Role.ADMIN)
    assert app.get("/console/voicemails").status_code == 200
    assert app.post(f"/console/voicemails/{row.id}/handled", data={}).status_code == 403  # no CSRF token
    assert session.get(Voicemail, row.id).returned_at is None


def test_hostile_text_typed_into_the_forms_and_odd_recordings_are_shown_as_text(app, session):
    row = make_voicemail(session)
    row.recording_url = "javascript:alert(1)"
    session.add(row)
    session.commit()
    signed_in(app, Role.SUPERVISOR)
    shown = _post(app, row.id, "ticket", service_code="", address=ATTRIBUTE_BREAKOUT, description="</textarea><b>x")
    assert ATTRIBUTE_BREAKOUT not in shown.text and "&#34; onfocus=&#34;alert(1)&#34;" in shown.text
    assert "</textarea><b>x" not in shown.text and "&lt;/textarea&gt;&lt;b&gt;x" in shown.text
    assert "javascript:alert(1)" not in shown.text and "javascript:alert(1)" not in app.get("/console/voicemails").text
