"""A resident's call through the IVR, over HTTP with signed Twilio forms; assertions on what they hear."""

from __future__ import annotations

import dataclasses
import datetime as dt

from sqlmodel import select

from core import event_loop_reads
from ivr.models import Call, CallStep
from knowledge.models import Unanswered
from tests.conftest import running_app
from tests.helpers import Caller, Texter


def test_welcome_greets_with_city_and_offers_both_languages(app):
    heard = Caller(app).dial()
    assert "Thank you for calling Springfield 3 1 1." in heard.text
    assert ("en-US", "For English, press 1.") in heard.says
    assert ("es-US", "Para español, oprima 2.") in heard.says
    assert heard.gather["input"] == "dtmf speech"
    assert heard.gather["actionOnEmptyResult"] == "true"
    assert heard.node == "welcome"


def test_pressing_2_gives_the_spanish_main_menu(app):
    caller = Caller(app)
    caller.dial()
    heard = caller.press("2")
    assert heard.says[0] == ("es-US", "Menú principal.")
    assert ("es-US", "Para hacer una pregunta, oprima 1.") in heard.says
    assert heard.gather["language"] == "es-US"


def test_saying_espanol_at_the_welcome_picks_spanish(app):
    caller = Caller(app)
    caller.dial()
    heard = caller.say("Español")
    assert heard.says[0] == ("es-US", "Menú principal.")


def test_caller_who_just_asks_at_the_welcome_is_answered(app):
    caller = Caller(app)
    caller.dial()
    heard = caller.say("what time does the library close tonight")
    assert "branches are open" in heard.text
    assert heard.node == "after"
    assert ("en-US", "To get this answer by text message, press 3.") in heard.says


def test_spanish_question_at_the_welcome_is_answered_in_spanish(app):
    caller = Caller(app)
    caller.dial()
    heard = caller.say("a qué hora abre la biblioteca")
    assert heard.says[0][0] == "es-US"
    assert "biblioteca" in heard.says[0][1].lower() or "sucursal" in heard.says[0][1].lower()
    assert heard.gather["language"] == "es-US"


def test_ask_a_question_by_speech_from_the_main_menu(app):
    caller = Caller(app)
    caller.dial()
    caller.press("1")
    heard = caller.press("1")
    assert "Please ask your question in a few words." in heard.text
    heard = caller.say("can I pay my parking ticket with a debit card")
    assert "debit" in heard.says[0][1].lower()
    assert heard.node == "after"


def test_keypad_topic_menu_reaches_an_answer_without_speaking(app):
    caller = Caller(app)
    caller.dial()
    caller.press("1")
    caller.press("1")
    heard = caller.press("1")  # "choose from a list of topics"
    assert heard.node == "topics"
    community = next(text for _, text in heard.says if "libraries" in text)
    key = community.rsplit("press ", 1)[1].rstrip(".")
    heard = caller.press(key)
    assert heard.node == "topic:community"
    library = next(text for _, text in heard.says if "Library hours" in text)
    heard = caller.press(library.rsplit("press ", 1)[1].rstrip("."))
    assert "branches are open" in heard.text


def test_repeat_and_goodbye_after_an_answer(app):
    caller = Caller(app)
    caller.dial()
    first = caller.say("when is the library open")
    again = caller.press("1")
    assert again.says[0] == first.says[0]
    bye = caller.press("9")
    assert "Goodbye" in bye.text and bye.hangup


def test_silence_reprompts_in_simpler_words_then_offers_a_person_then_ends(app):
    caller = Caller(app)
    caller.dial()
    caller.press("1")
    first = caller.silence()
    assert first.says[0] == ("en-US", "Sorry, I didn't hear anything.")
    assert "Please press a key now." in first.text
    second = caller.silence()
    assert "To speak to someone, press 0." in second.text
    assert second.node == "offer_agent"
    third = caller.silence()
    assert third.hangup and "Goodbye" in third.text


def test_invalid_key_is_named_and_the_menu_repeated(app):
    caller = Caller(app)
    caller.dial()
    caller.press("1")
    heard = caller.press("7")
    assert heard.says[0] == ("en-US", "Sorry, 7 is not one of the choices.")
    assert "To ask a question, press 1." in heard.text
    assert heard.node == "main"


def test_low_confidence_speech_asks_to_confirm(app):
    caller = Caller(app)
    caller.dial()
    heard = caller.say("library hours", confidence="0.2")
    assert "I think you asked about Library hours." in heard.text
    assert "To say yes, that's right, press 1." in heard.text
    heard = caller.press("1")
    assert "branches are open" in heard.text


def test_question_we_cannot_answer_is_admitted_and_kept_for_the_kb_team(app, session, drain):
    caller = Caller(app)
    caller.dial()
    heard = caller.say("can you tell me a joke about penguins")
    assert "I'm not sure I can answer that one." in heard.text
    assert "To speak to someone, press 0." in heard.text
    drain()
    kept = session.exec(select(Unanswered)).all()
    assert [(u.text, u.channel) for u in kept] == [("can you tell me a joke about penguins", "voice")]


def test_after_hours_the_hours_are_said_and_self_service_still_works(app, clock):
    clock.now = dt.datetime(2026, 11, 22, 18, 0, tzinfo=dt.UTC)  # Sunday noon in Chicago
    caller = Caller(app)
    heard = caller.dial()
    assert "Our agents are not available right now." in heard.text
    assert "Monday through Friday from 8 a.m. to 6 p.m. and Saturday from 9 a.m. to noon" not in heard.text
    assert "Agents answer Monday through Friday from 8 a.m. to 6 p.m. and Saturday from 9 a.m. to 1 p.m." in heard.text
    assert "branches are open" in caller.say("library hours please").text


def test_with_every_day_closed_callers_and_texters_hear_the_line_has_no_agent_hours(settings, engine, redis, clock):
    closed = dataclasses.replace(settings, hours={})  # every day "closed" in config.toml
    with running_app(closed, clock) as app:
        heard = Caller(app).dial()
        assert "This line has no agent hours at the moment." in heard.text
        assert "Agents answer ." not in heard.text and "Agents answer" not in heard.text
        texter = Texter(app)
        assert texter.send("AGENT").endswith("This line has no agent hours at the moment.")
        texter.send("ES")
        assert texter.send("AGENTE").endswith("Por ahora esta línea no tiene horario de agentes.")


def test_on_a_holiday_the_holiday_is_named(app, clock):
    clock.now = dt.datetime(2026, 11, 26, 16, 0, tzinfo=dt.UTC)  # Thanksgiving, 10 a.m. in Chicago
    heard = Caller(app).dial()
    assert "closed today for Thanksgiving" in heard.text


def test_spanish_caller_hears_hours_in_spanish_after_hours(app, clock):
    clock.now = dt.datetime(2026, 11, 22, 18, 0, tzinfo=dt.UTC)
    caller = Caller(app)
    caller.dial()
    heard = caller.say("a qué hora cierra la biblioteca el domingo")
    assert heard.says[0][0] == "es-US"


def test_call_and_steps_are_recorded_with_a_masked_caller(app, session, drain):
    caller = Caller(app, phone="+13125550147")
    caller.dial()
    caller.say("when is the library open")
    caller.press("9")
    assert caller.hang_up(duration=84).status_code == 204
    assert session.exec(select(Call)).all() == []  # written behind: the answers did not wait for it
    assert drain() == 4
    call = session.exec(select(Call).where(Call.call_sid == caller.sid)).one()
    assert call.caller_masked == "+*******0147"
    assert (call.language, call.article_id) == ("en-US", "library-hours")
    assert (call.duration_seconds, call.status) == (84, "completed")
    assert call.self_service is True and call.agent_requested is False
    steps = session.exec(select(CallStep).where(CallStep.call_sid == caller.sid).order_by(CallStep.seq)).all()
    assert [s.outcome for s in steps] == ["menu", "answered", "goodbye"]
    assert steps[1].input_value == "when is the library open" and steps[1].confidence >= 0.55


def test_asking_for_a_person_means_not_resolved_by_self_service(app, session, drain):
    caller = Caller(app)
    caller.dial()
    caller.say("when is the library open")
    caller.press("0")
    caller.hang_up()
    drain()
    call = session.exec(select(Call).where(Call.call_sid == caller.sid)).one()
    assert call.agent_requested is True and call.self_service is False


def test_twilio_retry_gets_the_same_twiml_and_no_duplicate_records(app, session, drain):
    caller = Caller(app)
    welcome = caller.dial()
    first = caller.say("when is the library open")
    caller.last = welcome  # send exactly the same request again, as Twilio does after a timeout
    second = caller.say("when is the library open")
    assert second.xml == first.xml
    caller.hang_up()
    caller.hang_up()
    drain()
    steps = session.exec(select(CallStep).where(CallStep.call_sid == caller.sid)).all()
    assert len(steps) == 2
    assert len(session.exec(select(Call)).all()) == 1


def _replay_window_passes(redis) -> None:
    for key in redis.scan_iter("replay:*"):  # an hour later, Twilio's retries are no longer answered from Redis
        redis.delete(key)


def _processed_delivery_reads(monkeypatch) -> list[str]:
    # Every read a webhook makes goes through core.event_loop_reads (on PostgreSQL straight from the event loop, on
    # SQLite through a worker thread): counted there, whichever database the suite runs on.
    statements: list[str] = []
    first_row = event_loop_reads.first_row

    async def counted(engine, statement, /, **params):
        if "processed_delivery" in str(statement):
            statements.append(str(statement))
        return await first_row(engine, statement, **params)

    monkeypatch.setattr(event_loop_reads, "first_row", counted)
    return statements


def test_a_step_re_sent_after_the_replay_window_is_not_acted_on_again(app, session, redis, drain):
    caller = Caller(app)
    welcome = caller.dial()
    caller.say("when is the library open")
    caller.press("1")
    drain()
    steps = len(session.exec(select(CallStep).where(CallStep.call_sid == caller.sid)).all())
    _replay_window_passes(redis)
    caller.last = welcome  # someone re-sends the first signed step later
    again = caller.say("when is the library open")
    assert again.hangup and "library" not in again.text.lower()  # a goodbye: nothing answered or recorded again
    drain()
    assert len(session.exec(select(CallStep).where(CallStep.call_sid == caller.sid)).all()) == steps


def test_a_step_re_sent_after_the_call_was_lost_and_taken_up_again_is_not_acted_on(app, session, redis, drain):
    # Redis lost the call's session; the caller goes on and the call starts over at step 1 again. An old request for
    # step 1, re-sent now, carries the same step number as the new session's: the database still knows it.
    caller = Caller(app)
    welcome = caller.dial()
    caller.say("when is the library open")
    drain()
    redis.delete(*redis.scan_iter("*session:call:*"))
    _replay_window_passes(redis)
    caller.press("1")  # the session was lost: told so, and the call starts over
    steps = len(session.exec(select(CallStep).where(CallStep.call_sid == caller.sid)).all())
    caller.last = welcome
    again = caller.say("when is the library open")
    assert again.hangup and "library" not in again.text.lower()
    drain()
    assert len(session.exec(select(CallStep).where(CallStep.call_sid == caller.sid)).all()) == steps + 1


def test_a_step_the_call_is_waiting_for_is_handled_without_asking_the_database(app, monkeypatch):
    reads = _processed_delivery_reads(monkeypatch)
    caller = Caller(app)
    caller.dial()
    assert len(reads) == 1  # a new call: the database is asked whether its greeting was handled long ago
    assert "library" in caller.say("when is the library open").text.lower()
    caller.press("1")
    assert len(reads) == 1  # its steps: the session, read with the replay claim, shows each one is new
