"""Call-backs belong to the number they call: a request keyed for another number never changes or reveals that
number's booking, books nothing until the owner texts YES, counts against the asking line (a few numbers a day), and
never reaches a number that texted STOP; the owner's own phone still moves or cancels theirs, STOP or not."""

from __future__ import annotations

import dataclasses
import datetime as dt

from callbacks import service
from callbacks.limits import RequestCounters
from core.db import in_session
from outreach import callback_dispatch
from tests.callbacks.builders import callbacks, leave_queue, waiting_caller
from tests.conftest import run_jobs, running_app
from tests.flows.test_asking_for_a_callback import leave_queue_es
from tests.helpers import Caller, Texter
from tests.outreach.test_callback_dispatch import run_job

NOW = dt.datetime(2026, 11, 17, 16, 0, tzinfo=dt.UTC)  # Tuesday 10:00 in Chicago
STRANGER, OWNER = "+13125550147", "+13125550199"
NEUTRAL = "If that number wants a call-back, they'll get a text message to confirm it."


def ask_for(app, number: str, *, phone: str = STRANGER, key: str = "1"):
    """A caller in the queue presses `key` (1 keep my place, 2 a time: the first offered) and keys `number`."""
    caller = waiting_caller(app, waited=60, phone=phone)
    leave_queue(app, caller, key, waited=60)
    if key == "2":
        caller.press("1")
    caller.press("2")  # another number
    heard = caller.press(number[2:])
    if not heard.text.startswith("I heard"):
        return heard  # refused before the number was read back
    return caller.press("1")


def texts_to(twilio_api, phone: str) -> list[str]:
    return [m["Body"] for m in twilio_api.messages() if m["To"] == phone]


def owners_booking(engine):
    return next(row for row in callbacks(engine) if row.status == "scheduled" and row.phone == OWNER)


def test_another_number_never_rebooks_or_reveals_its_callback(app, engine, redis, settings, twilio_api):
    owner = Texter(app, phone=OWNER)
    owner.send("call me")
    owner.send("2")  # today at 11 a.m., texts on
    before = owners_booking(engine)
    heard = ask_for(app, OWNER)
    assert NEUTRAL in heard.text and heard.hangup
    assert "already" not in heard.text.lower() and "changed" not in heard.text
    after = in_session(engine, service.get, callback_id=before.id)
    assert (after.kind, after.status, after.due_at, after.text_updates) == (
        "scheduled", "scheduled", before.due_at, True)
    assert len(callbacks(engine)) == 1  # nothing new waits on the owner's number either
    unbooked = ask_for(app, "+13125550177", phone="+13125550148")
    assert NEUTRAL in unbooked.text  # the same sentence whether or not the number has a call-back
    run_jobs(settings, redis)
    assert not any("Reply YES" in body for body in texts_to(twilio_api, OWNER))
    # The stranger's request counted against the stranger's line, never the owner's daily allowance.
    assert int(redis.get(RequestCounters.number_key(OWNER, NOW))) == 1


def test_owner_confirms_by_text_before_any_call(app, engine, redis, settings, twilio_api):
    heard = ask_for(app, OWNER)
    assert NEUTRAL in heard.text
    [row] = callbacks(engine)
    assert (row.status, row.active_phone, row.kind) == ("awaiting_owner", None, "keep_place")
    assert in_session(engine, service.due, now=NOW) == []  # nothing is dialled before the owner's YES
    run_jobs(settings, redis)
    [question] = texts_to(twilio_api, OWNER)
    assert question == ("Springfield 311: a caller asked us to call this number back as soon as someone is free. "
                        "Reply YES to be called back. If you don't want a call, ignore this text.")
    assert Texter(app, phone="+13125550166").send("yes") is not None  # YES with nothing awaiting: as before
    assert callbacks(engine)[0].status == "awaiting_owner"
    reply = Texter(app, phone=OWNER).send("YES")
    assert reply == ("Thank you. We'll call you at 312-555-0199 as soon as someone is free. To choose another time, "
                     "text CALL ME. To cancel, text CANCEL CALL.")
    [row] = callbacks(engine)
    assert (row.status, row.active_phone) == ("waiting", OWNER)
    assert [r.id for r in in_session(engine, service.due, now=NOW)] == [row.id]


def test_a_chosen_time_is_confirmed_in_the_callers_language(app, engine, redis, settings, twilio_api, clock):
    heard = ask_for(app, OWNER, key="2")
    assert NEUTRAL in heard.text
    run_jobs(settings, redis)
    [question] = texts_to(twilio_api, OWNER)
    assert "asked us to call this number back today at 10:30 a.m. Reply YES" in question
    reply = Texter(app, phone=OWNER).send("Yes")
    assert reply.startswith("We'll call you today at 10:30 a.m. at 312-555-0199.")
    assert callbacks(engine)[0].status == "scheduled"


def test_an_unconfirmed_request_lapses(app, engine, redis, settings, twilio_api, clock):
    ask_for(app, OWNER)
    clock.now = NOW + dt.timedelta(minutes=31)
    run_job(settings, redis, callback_dispatch.reconcile)
    assert callbacks(engine)[0].status == "cancelled"
    assert not (Texter(app, phone=OWNER).send("yes") or "").startswith("Thank you. We'll call you")
    assert callbacks(engine)[0].status == "cancelled"


def test_requester_limited_to_three_numbers_a_day(app, engine, redis):
    for last in ("0171", "0172", "0173"):
        assert NEUTRAL in ask_for(app, f"+1312555{last}").text
    refused = ask_for(app, "+13125550174")
    assert "Sorry, we can't book call-backs for any more numbers from this phone today." in refused.text
    assert NEUTRAL in ask_for(app, "+13125550172").text  # the same number again is no new one
    assert sorted(row.phone for row in callbacks(engine)) == ["+13125550171", "+13125550172", "+13125550173"]
    assert redis.get(RequestCounters.number_key("+13125550174", NOW)) is None  # the numbers' allowances untouched
    assert int(redis.get(RequestCounters.number_key(STRANGER, NOW))) == 4  # the asking line's


def test_the_number_of_other_numbers_is_configured(settings, clock, engine):
    none = dataclasses.replace(settings, callbacks=dataclasses.replace(settings.callbacks,
                                                                      max_numbers_per_requester=0))
    with running_app(none, clock) as app:
        assert "any more numbers from this phone today" in ask_for(app, OWNER).text
        assert callbacks(engine) == []


def test_stopped_number_never_booked_by_someone_else(app, engine, redis, settings, twilio_api):
    owner = Texter(app, phone=OWNER)
    owner.send("STOP")
    heard = ask_for(app, OWNER)
    assert NEUTRAL in heard.text  # the caller is not told that the number opted out
    assert callbacks(engine) == []
    run_jobs(settings, redis)
    assert texts_to(twilio_api, OWNER) == []
    # STOP after the question drops the request; a later YES is START (opt back in) and books nothing.
    other = Texter(app, phone="+13125550177")
    ask_for(app, "+13125550177", phone="+13125550148")
    other.send("stop")
    assert callbacks(engine)[0].status == "cancelled"
    assert other.send("yes").startswith("You're subscribed to Springfield 311 texts again.")
    assert callbacks(engine)[0].status == "cancelled"


def test_cancel_call_works_after_stop(app, engine):
    owner = Texter(app, phone=OWNER)
    owner.send("call me")
    owner.send("1")
    assert owner.send("STOP").startswith("You won't get more texts")
    assert owner.send("CANCEL CALL") is None  # after STOP nothing is answered, but the call-back is cancelled
    assert callbacks(engine)[0].status == "cancelled"


def test_owner_may_still_move_or_cancel_their_own(app, engine):
    owner = Texter(app, phone=OWNER)
    owner.send("call me")
    owner.send("1")
    ask_for(app, OWNER)  # a stranger's request changes nothing of it
    owner.send("call me")
    moved = owner.send("3")
    assert moved.startswith("You already had a call-back booked, so I've changed it. We'll call you today at 11:30")
    assert owners_booking(engine).due_at == NOW + dt.timedelta(minutes=90)
    assert owner.send("cancel call") == "Your call-back today at 11:30 a.m. is cancelled."
    # A request awaiting the owner's YES is theirs to decline too.
    ask_for(app, OWNER, phone="+13125550148")
    assert owner.send("cancel call") == "Your call-back is cancelled."
    assert {row.status for row in callbacks(engine)} == {"cancelled"}


def test_a_caller_without_caller_id_never_books_a_number_directly(app, engine):
    owner = Texter(app, phone=OWNER)
    owner.send("call me")
    owner.send("1")
    caller = waiting_caller(app, waited=60, phone="Anonymous")
    heard = leave_queue(app, caller, "1", waited=60)
    assert "Please enter the 10-digit phone number we should call." in heard.text
    caller.press(OWNER[2:])
    done = caller.press("1")
    assert NEUTRAL in done.text and "already" not in done.text.lower()
    [row] = callbacks(engine)
    assert (row.kind, row.status, row.text_updates) == ("scheduled", "scheduled", True)


def test_a_number_is_asked_at_most_twice_a_day(app, engine, redis, settings, twilio_api):
    owner = Texter(app, phone=OWNER)
    for stranger in ("+13125550148", "+13125550149", "+13125550151"):
        assert NEUTRAL in ask_for(app, OWNER, phone=stranger).text
        owner.send("cancel call")  # declined: the next stranger may ask again, up to the day's share
    run_jobs(settings, redis)
    assert len([body for body in texts_to(twilio_api, OWNER) if "Reply YES" in body]) == 2
    assert len(callbacks(engine)) == 2


def test_spanish_callers_and_owners_hear_and_read_spanish(app, engine, redis, settings, twilio_api):
    caller = Caller(app)
    caller.dial()
    caller.press("2")
    caller.press("0")
    caller.last = leave_queue_es(app, caller)
    caller.press("2")
    caller.press(OWNER[2:])
    done = caller.press("1")
    assert "Si ese número quiere que le llamemos, recibirá un mensaje de texto para confirmarlo." in done.text
    run_jobs(settings, redis)
    [question] = texts_to(twilio_api, OWNER)
    assert "Responda SÍ para que le llamemos." in question
    reply = Texter(app, phone=OWNER).send("Sí")
    assert reply.startswith("Gracias. Le llamaremos al 312-555-0199 en cuanto haya una persona disponible.")
    assert callbacks(engine)[0].status == "waiting"
