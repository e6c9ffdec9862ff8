"""A call-back's call: what the resident hears when they answer (and what a machine hears), putting them through to
the next agent with a briefing about the call-back, its topic and its request, and what Twilio reports at the end."""

from __future__ import annotations

import datetime as dt

from callbacks import service
from callbacks.models import CallbackKind, CallbackRequest, CallbackSource
from core.db import in_session
from crm_bridge import ticket_numbers
from crm_bridge.models import TicketStatus
from crm_bridge.service import change_status
from tests.callbacks.builders import (
    ANA,
    agent_dials_in,
    agent_takes,
    answer,
    attempts,
    call_form,
    call_status,
    callbacks,
    dispatch,
)
from tests.crm_bridge.builders import make_ticket
from tests.helpers import hear, twilio_post
from tests.outreach.test_callback_dispatch import press_1

NOW = dt.datetime(2026, 11, 17, 16, 0, tzinfo=dt.UTC)


def book(engine, **fields):
    data = CallbackRequest(**{"phone": "+13125550150", "language": "en-US", "kind": CallbackKind.SCHEDULED,
                              "source": CallbackSource.MENU, "due_at": NOW, **fields})
    return in_session(engine, service.request, data=data, now=NOW, actor="test")[0]


def placed_call(app, engine, settings, redis, twilio_api, **fields):
    book(engine, **fields)
    agent_dials_in(app, ANA)
    dispatch(settings, redis)
    return twilio_api.calls()[-1], attempts(engine)[-1].call_sid


def test_a_person_hears_who_calls_about_what_and_is_put_through_with_a_briefing(app, engine, session, settings,
                                                                               redis, twilio_api):
    ticket = make_ticket(session, settings)
    change_status(session, ticket=ticket, status=TicketStatus.IN_PROGRESS, note="")
    session.commit()
    placed, sid = placed_call(app, engine, settings, redis, twilio_api, ticket_number=ticket.number,
                              source=CallbackSource.TICKET)
    offered = answer(app, placed, sid)
    spoken = ticket_numbers.spoken(ticket.number)
    assert offered.says == [("en-US", f"This is Springfield 3 1 1 returning your call about your request {spoken}. "
                                      "Press 1 to be connected.")]
    assert offered.gather["numDigits"] == "1" and "<Redirect" in offered.xml
    enqueue = press_1(app, offered, placed, sid)
    assert enqueue.get("action").startswith("/voice/callback/queued?")
    ana, heard = agent_dials_in(app, ANA)
    assert ">311-callbacks</Queue>" in heard.xml
    assert heard.text == (f"Next: a call-back, English. Topic: not known yet. It is about request {spoken}, which is "
                          "being worked on.")
    agent_takes(app, ana, sid, "311-callbacks")
    assert callbacks(engine)[0].status == "completed"
    done = hear(twilio_post(app, enqueue.get("action"), call_form(sid, placed["To"], QueueResult="bridged",
                                                                  QueueTime="40")))
    assert done.hangup and "Goodbye" in done.text


def test_spanish_call_backs_are_in_spanish_with_the_topic(app, engine, settings, redis, twilio_api):
    placed, sid = placed_call(app, engine, settings, redis, twilio_api, language="es-US", topic="library-hours")
    heard = answer(app, placed, sid)
    assert heard.says[0][0] == "es-US"
    assert heard.text.startswith("Le habla el 3 1 1 de Springfield para devolverle la llamada sobre")
    assert heard.text.endswith("Oprima 1 para que le comuniquemos.")


def test_a_machine_hears_nothing_personal_and_it_counts_as_an_attempt(app, engine, settings, redis, twilio_api):
    placed, sid = placed_call(app, engine, settings, redis, twilio_api, topic="library-hours")
    heard = answer(app, placed, sid, answered_by="machine_start")
    assert heard.text == "Hello, this is Springfield 3 1 1 returning a call. We'll try again later." and heard.hangup
    assert "Library" not in heard.xml and "0150" not in heard.xml
    call_status(app, placed, sid, "completed")
    row = callbacks(engine)[0]
    assert (row.status, row.attempts, attempts(engine)[0].outcome) == ("scheduled", 1, "machine")


def test_no_key_is_asked_twice_then_tried_again_later(app, engine, settings, redis, twilio_api):
    placed, sid = placed_call(app, engine, settings, redis, twilio_api)
    offered = answer(app, placed, sid)
    again = hear(twilio_post(app, offered.action, call_form(sid, placed["To"])))
    assert "Press 1 to be connected." in again.text and "tries=2" in again.action
    gone = hear(twilio_post(app, again.action, call_form(sid, placed["To"])))
    assert gone.text == "We'll try again later. Goodbye." and gone.hangup
    row = callbacks(engine)[0]
    assert row.status == "scheduled" and row.next_attempt_at == NOW + dt.timedelta(minutes=10)


def test_hanging_up_while_waiting_for_the_agent_ends_the_call_back(app, engine, settings, redis, twilio_api):
    placed, sid = placed_call(app, engine, settings, redis, twilio_api)
    enqueue = press_1(app, answer(app, placed, sid), placed, sid)
    twilio_post(app, enqueue.get("action"), call_form(sid, placed["To"], QueueResult="hangup", QueueTime="20"))
    call_status(app, placed, sid, "completed")
    assert callbacks(engine)[0].status == "cancelled"


def test_a_call_back_cancelled_meanwhile_is_not_pursued(app, engine, settings, redis, twilio_api):
    placed, sid = placed_call(app, engine, settings, redis, twilio_api)
    call_status(app, placed, sid, "no-answer")  # the first try went unanswered
    in_session(engine, service.cancel, callback_id=callbacks(engine)[0].id, actor="resident", now=NOW)
    late = answer(app, placed, sid)  # a late or replayed answer webhook of that attempt
    assert late.text == "This call is no longer needed. Goodbye." and late.hangup


def test_call_back_webhooks_must_be_signed(app, engine, settings, redis, twilio_api):
    placed, sid = placed_call(app, engine, settings, redis, twilio_api)
    form = call_form(sid, placed["To"], AnsweredBy="human")
    path = placed["Url"].removeprefix("https://311.example.gov")
    assert twilio_post(app, path, form, signature="forged").status_code == 403
    assert callbacks(engine)[0].status == "connecting"


def test_an_agent_already_waiting_is_briefed_on_the_call_back_being_placed_for_them(app, engine, session, settings,
                                                                                   redis, twilio_api):
    """The resident is put straight through when they press 1, so the briefing comes while the agent waits for it."""
    ticket = make_ticket(session, settings)
    change_status(session, ticket=ticket, status=TicketStatus.IN_PROGRESS, note="")
    session.commit()
    book(engine, ticket_number=ticket.number, source=CallbackSource.TICKET, topic="library-hours")
    ana, heard = agent_dials_in(app, ANA)
    spoken = ticket_numbers.spoken(ticket.number)
    assert ">311-callbacks</Queue>" in heard.xml
    assert heard.text == ("A call-back is being placed for you. Please stay on the line. Next: a call-back, English. "
                          f"Topic: Library hours. It is about request {spoken}, which is being worked on.")
    dispatch(settings, redis)
    placed = twilio_api.calls()[-1]
    _, again = agent_dials_in(app, ANA, sid=ana)  # round again while the call rings: still briefed on it
    assert "Next: a call-back, English. Topic: Library hours." in again.text
    assert placed["To"] == "+13125550150"
