"""Call-backs by text: CALL ME offers a numbered list of times, a reply books one, a new choice moves it, CANCEL CALL
cancels it (CANCEL alone still opts out), "call me about request ..." ties it to a request, and a reminder comes."""

from __future__ import annotations

import datetime as dt

from core.worker import queue
from crm_bridge import ticket_numbers
from outreach import callback_dispatch
from tests.callbacks.builders import callbacks
from tests.conftest import run_jobs
from tests.crm_bridge.builders import make_ticket
from tests.helpers import Texter

NOW = dt.datetime(2026, 11, 17, 16, 0, tzinfo=dt.UTC)  # Tuesday 10:00 in Chicago


def test_call_me_offers_times_and_a_reply_books_one(app, engine):
    texter = Texter(app)
    offer = texter.send("Call me")
    assert offer == ("When should we call you? Reply 1 for today at 10:30 a.m.; 2 for today at 11 a.m.; "
                     "3 for today at 11:30 a.m.")
    booked = texter.send("2")
    assert booked == ("We'll call you today at 11 a.m. at 312-555-0188. To choose another time, text CALL ME. "
                      "To cancel, text CANCEL CALL. Reply MENU for more.")
    [row] = callbacks(engine)
    assert (row.phone, row.kind, row.source, row.text_updates) == ("+13125550188", "scheduled", "sms", True)
    assert row.due_at == NOW + dt.timedelta(hours=1)


def test_a_new_choice_moves_it_and_cancel_call_cancels_it(app, engine):
    texter = Texter(app)
    texter.send("CALL ME")
    texter.send("1")
    texter.send("call me")
    moved = texter.send("3")
    assert moved.startswith("You already had a call-back booked, so I've changed it. We'll call you today at 11:30")
    [row] = callbacks(engine)
    assert row.due_at == NOW + dt.timedelta(minutes=90)
    assert texter.send("CANCEL CALL") == "Your call-back today at 11:30 a.m. is cancelled."
    assert callbacks(engine)[0].status == "cancelled"
    assert texter.send("cancel call") == "You don't have a call-back booked with us."


def test_cancel_alone_still_opts_out(app, engine):
    texter = Texter(app)
    texter.send("CALL ME")
    texter.send("1")
    assert texter.send("CANCEL").startswith("You won't get more texts from Springfield 311.")
    assert callbacks(engine)[0].status == "scheduled"


def test_call_me_is_no_longer_the_agent_keyword(app):
    assert not Texter(app).send("call me").startswith("To talk to someone")
    assert Texter(app, phone="+13125550189").send("agent").startswith("To talk to someone, call 555-555-0311.")


def test_call_me_about_a_request(app, engine, session, settings):
    ticket = make_ticket(session, settings, phone="+13125550188")
    texter = Texter(app)
    offer = texter.send(f"call me about request {ticket_numbers.printed(ticket.number)}")
    assert offer.startswith("When should we call you? Reply 1 for today at 10:30 a.m.")
    texter.send("1")
    assert callbacks(engine)[0].ticket_number == ticket.number
    unknown = Texter(app, phone="+13125550189").send("call me about request 123-456-782")
    assert unknown == "I couldn't find a request with the number 123-456-782."


def test_spanish_texts_get_spanish_times(app, engine):
    texter = Texter(app, phone="+13125550190")
    offer = texter.send("LLÁMENME")
    assert offer == ("¿Cuándo le llamamos? Responda 1 para hoy a las 10:30 de la mañana; 2 para hoy a las 11 de la "
                     "mañana; 3 para hoy a las 11:30 de la mañana.")
    booked = texter.send("1")
    assert booked.startswith("Le llamaremos hoy a las 10:30 de la mañana al 312-555-0190.")
    assert "Para cancelarla, envíe CANCELAR LLAMADA." in booked
    assert texter.send("cancelar llamada").startswith("Cancelamos su llamada de regreso programada para hoy")


def test_a_reminder_comes_before_the_chosen_time_once(app, engine, settings, redis, clock, twilio_api):
    texter = Texter(app)
    texter.send("call me")
    texter.send("1")  # 10:30
    for minutes in (14, 16, 17):
        clock.now = NOW + dt.timedelta(minutes=minutes)
        queue(redis).enqueue(callback_dispatch.reconcile)
        run_jobs(settings, redis)
    [reminder] = twilio_api.messages()
    assert reminder["To"] == "+13125550188"
    assert reminder["Body"] == ("Springfield 311: we'll call you today at 10:30 a.m. at 312-555-0188. To cancel, text "
                                "CANCEL CALL.")


def test_no_reminder_for_whoever_said_stop(app, engine, settings, redis, clock, twilio_api):
    texter = Texter(app)
    texter.send("call me")
    texter.send("1")
    texter.send("STOP")
    clock.now = NOW + dt.timedelta(minutes=20)
    queue(redis).enqueue(callback_dispatch.reconcile)
    run_jobs(settings, redis)
    assert twilio_api.messages() == []
    assert callbacks(engine)[0].reminded_at is not None


def test_a_number_we_may_not_call_is_told_so(app, engine):
    for foreign_or_premium in ("+447911123456", "+19005550100"):
        texter = Texter(app, phone=foreign_or_premium)
        texter.send("call me")
        assert texter.send("1") == "Sorry, we can only call ordinary phone numbers in the United States."
    assert callbacks(engine) == []
