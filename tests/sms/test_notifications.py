"""Told when it's fixed: closing a ticket texts each reporter who asked, once, with the closing note."""

from __future__ import annotations

import pytest
from sqlmodel import select

from console import service
from console.tickets import TicketChangeError
from core.clock import now as utcnow
from messaging.models import SmsOptOut, SmsOutbound
from tests.conftest import run_jobs
from tests.crm_bridge.builders import make_ticket


def close(app, number: str, note: str = "Filled the pothole.") -> None:
    ctx = app.app.state.ctx
    app.portal.call(lambda: service.set_ticket_status(ctx, number, "closed", note, "supervisor:ana"))


def test_closing_texts_the_reporter_once_with_the_note(app, session, settings, redis, twilio_api):
    ticket = make_ticket(session, settings, phone="+13125550147", notify_on_close=True)
    close(app, ticket.number)
    run_jobs(settings, redis)
    [sent] = twilio_api.messages()
    assert sent["To"] == "+13125550147"
    assert "is done" in sent["Body"] and "Filled the pothole." in sent["Body"]
    assert f"{ticket.number[:3]}-{ticket.number[3:6]}-{ticket.number[6:]}" in sent["Body"]
    with pytest.raises(TicketChangeError, match="already closed"):
        close(app, ticket.number, note="closed again")
    run_jobs(settings, redis)
    assert len(twilio_api.messages()) == 1


def test_spanish_reporter_is_told_in_spanish(app, session, settings, redis, twilio_api):
    ticket = make_ticket(session, settings, notify_on_close=True, language="es-US")
    close(app, ticket.number, note="Se rellenó el bache.")
    run_jobs(settings, redis)
    assert "está resuelta" in twilio_api.messages()[0]["Body"]


def test_every_reporter_of_a_duplicate_is_told(app, session, settings, redis, twilio_api):
    first = make_ticket(session, settings, phone="+13125550147", notify_on_close=True)
    make_ticket(session, settings, phone="+13125550148", notify_on_close=True)
    close(app, first.number)
    run_jobs(settings, redis)
    assert sorted(m["To"] for m in twilio_api.messages()) == ["+13125550147", "+13125550148"]


def test_no_text_when_not_asked_or_opted_out(app, session, settings, redis, twilio_api):
    quiet = make_ticket(session, settings, notify_on_close=False)
    stopped = make_ticket(session, settings, service_code="graffiti", phone="+13125550149", notify_on_close=True)
    session.add(SmsOptOut(phone="+13125550149", opted_out=True, source="STOP"))
    session.commit()
    close(app, quiet.number)
    close(app, stopped.number)
    run_jobs(settings, redis)
    assert twilio_api.messages() == []
    assert [o.status for o in session.exec(select(SmsOutbound)).all()] == ["opted_out"]


def test_daily_cap_on_outbound_texts(app, session, settings, redis, twilio_api):
    tickets = [make_ticket(session, settings, service_code=code, phone="+13125550147", notify_on_close=True)
               for code in ("pothole", "graffiti", "streetlight")]
    per_day = settings.outbound.texts_per_number_per_day
    redis.set(f"sms:out:+13125550147:{utcnow():%Y%m%d}", per_day - 1)  # the cap counts the clock's days
    for ticket in tickets:
        close(app, ticket.number)
    run_jobs(settings, redis)
    assert len(twilio_api.messages()) == 1
    assert sorted(o.status for o in session.exec(select(SmsOutbound)).all()) == ["number_limit", "number_limit", "sent"]
