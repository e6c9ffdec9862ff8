"""Effects: what a conversation asks for is carried out against the real database, queue figures and CRM bridge."""

from __future__ import annotations

import datetime as dt

from sqlmodel import select

from crm_bridge.models import Ticket
from flows import effects
from flows.session import ReportDraft, Session
from flows.turns import EnterQueue, LookupTicket, OpenTicket, SaveVoicemail
from queueing.models import Voicemail


def perform(app, s: Session, effect, channel: str = "voice"):
    ctx = app.app.state.ctx
    return app.portal.call(lambda: effects.perform(ctx, s, effect, channel=channel))


def test_a_draft_becomes_a_ticket_that_can_be_looked_up(app, session):
    s = Session(lang="es-US", phone="+13125550147")
    draft = ReportDraft(service="pothole", address="100 Main St", details="deep", phone="+13125550147", notify=True)
    ticket = perform(app, s, OpenTicket(draft), channel="sms")
    stored = session.exec(select(Ticket).where(Ticket.number == ticket.number)).one()
    assert (stored.language, stored.channel, stored.notify_on_close) == ("es-US", "sms", True)
    assert perform(app, s, LookupTicket(ticket.number)).number == ticket.number
    assert perform(app, s, LookupTicket("000000000")) is None


def test_a_draft_the_catalogue_refuses_comes_back_as_the_error(app):
    refused = perform(app, Session(lang="en-US"), OpenTicket(ReportDraft(service="no-such-type")))
    assert isinstance(refused, ValueError)


def test_joining_the_queue_depends_on_agent_hours(app, clock):
    s = Session(lang="es-US")
    assert perform(app, s, EnterQueue("es-US")).queue == "311-spanish"
    clock.now = dt.datetime(2026, 11, 22, 16, 0, tzinfo=dt.UTC)  # a Sunday: agents are off
    closed = perform(app, s, EnterQueue("es-US"))
    assert (closed.queue, closed.reason) == (None, "closed")


def test_a_voice_message_is_kept_with_the_number_to_call_back(app, session):
    s = Session(lang="en-US", phone="+13125550147", call_sid="CA" + "7" * 32)
    perform(app, s, SaveVoicemail("https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE1"))
    row = session.exec(select(Voicemail)).one()
    assert (row.caller, row.call_sid, row.language) == ("+13125550147", s.call_sid, "en-US")
