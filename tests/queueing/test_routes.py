"""Waiting for a person: honest estimates on every poll, outcomes recorded, agents get the longest waiter."""

from __future__ import annotations

import datetime as dt
import json
import re
from urllib.parse import urlencode

from sqlmodel import select

from queueing.live_queues import POOL_EWT_KEY
from queueing.models import QueueOutcome, Voicemail
from tests.helpers import Caller, hear, twilio_post

QUERY = urlencode({"lang": "en-US", "queue": "311-english"})


def queue_form(caller: Caller, **fields: str) -> dict[str, str]:
    return {**caller._form(), "QueueSid": "QU" + "a" * 32, **fields}


def poll(app, caller: Caller, position: int, waited: int, size: int = 5):
    form = queue_form(caller, QueuePosition=str(position), QueueTime=str(waited), CurrentQueueSize=str(size),
                      AvgQueueTime="60")
    return hear(twilio_post(app, f"/voice/queue/wait?{QUERY}", form))


def ask_for_agent(app) -> Caller:
    caller = Caller(app)
    caller.dial()
    caller.say("when is the library open")
    heard = caller.press("0")
    assert "<Enqueue" in heard.xml
    return caller


def test_speak_to_someone_enqueues_into_the_language_queue(app):
    caller = Caller(app)
    caller.dial()
    caller.press("2")
    heard = caller.press("0")
    assert "Por favor, espere" in heard.text
    assert ">311-spanish</Enqueue>" in heard.xml
    assert 'waitUrl="/voice/queue/wait?lang=es-US&amp;queue=311-spanish"' in heard.xml


def test_wait_document_gives_position_and_a_range_and_the_offers(app):
    caller = ask_for_agent(app)
    heard = poll(app, caller, position=4, waited=20)
    assert "You are number 4 in line." in heard.text
    assert re.search(r"Your wait is (about \d+ to \d+ minutes|up to \d+ minutes|about \d+ minutes)\.", heard.text)
    assert "press 3" in heard.text and "Soon you'll be able to press 1" in heard.text
    assert heard.gather["input"] == "dtmf" and heard.action.startswith("/voice/queue/keys?")


def test_head_of_the_line_is_not_told_a_position(app):
    heard = poll(app, ask_for_agent(app), position=1, waited=5)
    assert "number 1" not in heard.text and "in line" not in heard.text


def test_estimate_follows_reality(app, clock):
    # Callers ahead are being answered only after 20-minute waits: the next poll's estimate grows with them.
    waiting = [ask_for_agent(app) for _ in range(8)]
    late = waiting[-1]
    first = poll(app, late, position=8, waited=0)
    for caller in waiting[:5]:
        poll(app, caller, position=1, waited=0)
    for minute, caller in enumerate(waiting[:5], start=1):
        clock.now = clock.now + dt.timedelta(minutes=20)
        twilio_post(app, "/voice/agent/connect?queue=311-english", queue_form(caller, QueueTime=str(1200 * minute)))
    later = poll(app, late, position=3, waited=6000)

    def minutes(heard):
        found = re.search(r"about (\d+) to (\d+) minutes|up to (\d+) minutes|about (\d+) minutes", heard.text)
        return max(int(g) for g in found.groups() if g)

    assert minutes(later) > minutes(first)


def test_at_the_head_of_a_line_answered_at_once_the_caller_hears_seconds(app):
    # Every caller before them found an agent free: the next one is told seconds, not "up to 3 minutes".
    for _ in range(40):
        earlier = Caller(app)
        poll(app, earlier, position=1, waited=0, size=1)
        twilio_post(app, "/voice/agent/connect?queue=311-english", queue_form(earlier, QueueTime="0"))
    heard = poll(app, ask_for_agent(app), position=1, waited=0, size=1)
    assert "Your wait should be just a few seconds." in heard.text, heard.text
    assert "minute" not in heard.text


def test_a_short_wait_is_told_in_seconds_in_spanish(app):
    for _ in range(40):
        earlier = Caller(app)
        twilio_post(app, "/voice/queue/wait?lang=es-US&queue=311-spanish",
                    queue_form(earlier, QueuePosition="1", QueueTime="0", CurrentQueueSize="1"))
        twilio_post(app, "/voice/agent/connect?queue=311-spanish", queue_form(earlier, QueueTime="0"))
    form = queue_form(Caller(app), QueuePosition="1", QueueTime="0", CurrentQueueSize="1")
    heard = hear(twilio_post(app, "/voice/queue/wait?lang=es-US&queue=311-spanish", form))
    assert "Su espera debe ser de solo unos segundos." in heard.text, heard.text


def test_far_back_in_a_new_line_the_caller_hears_a_range_around_the_median(app):
    # No history: 4 planned agents x 240 s, so place 12 waits about 12 minutes, give or take.
    heard = poll(app, ask_for_agent(app), position=12, waited=0, size=12)
    found = re.search(r"Your wait is about (\d+) to (\d+) minutes\.", heard.text)
    assert found, heard.text
    low, high = int(found[1]), int(found[2])
    assert low < 12 < high and abs((low + high) / 2 - 11.5) <= 1


def said_minutes(heard) -> float:
    """The middle of the wait the caller was told, in minutes."""
    if found := re.search(r"about (\d+) to (\d+) minutes", heard.text):
        return (int(found[1]) + int(found[2])) / 2
    if found := re.search(r"up to (\d+) minutes", heard.text):
        return int(found[1]) / 2
    if found := re.search(r"about (\d+) minutes", heard.text):
        return int(found[1])
    assert "about a minute" in heard.text, heard.text
    return 1


def test_agents_seen_on_the_agent_line_change_the_estimate(app):
    caller = ask_for_agent(app)
    planned = poll(app, caller, position=6, waited=10, size=6)  # nobody seen yet: the 4 agents planned
    twilio_post(app, "/voice/agent", {"CallSid": "CA" + "9" * 32, "From": "+15555550101"})
    alone = poll(app, caller, position=6, waited=20, size=6)  # Ana is the only one taking calls
    assert said_minutes(alone) > 3 * said_minutes(planned)
    twilio_post(app, "/voice/agent", {"CallSid": "CA" + "8" * 32, "From": "+15555550102"})
    two = poll(app, caller, position=6, waited=30, size=6)  # and now Ben too
    assert said_minutes(planned) < said_minutes(two) < said_minutes(alone)


def test_agents_seen_long_ago_no_longer_count(app, clock):
    caller = ask_for_agent(app)
    twilio_post(app, "/voice/agent", {"CallSid": "CA" + "9" * 32, "From": "+15555550101"})
    alone = poll(app, caller, position=6, waited=10, size=6)
    clock.now = clock.now + dt.timedelta(minutes=16)
    planned = poll(app, caller, position=6, waited=970, size=6)
    assert said_minutes(planned) < said_minutes(alone)


def test_every_queue_shares_one_pool_of_agents(app):
    english = ask_for_agent(app)
    alone = poll(app, english, position=1, waited=30, size=1)
    # Spanish callers who joined before this caller, and call-backs (always taken first), are served by the same
    # agents before them.
    for _ in range(3):
        form = queue_form(Caller(app), QueuePosition="1", QueueTime="60", CurrentQueueSize="1")
        twilio_post(app, "/voice/queue/wait?lang=es-US&queue=311-spanish", form)
    for _ in range(3):
        form = queue_form(Caller(app), QueuePosition="1", QueueTime="0", CurrentQueueSize="1")
        twilio_post(app, "/voice/queue/wait?lang=en-US&queue=311-callbacks", form)
    shared = poll(app, english, position=1, waited=35, size=1)
    assert said_minutes(shared) >= said_minutes(alone) + 3
    assert "number 1" not in shared.text  # the place said is still the place in their own line


def test_key_3_leaves_the_queue_for_a_voice_message(app, session):
    caller = ask_for_agent(app)
    poll(app, caller, position=2, waited=30)
    left = hear(twilio_post(app, f"/voice/queue/keys?{QUERY}", queue_form(caller, Digits="3")))
    assert "<Leave" in left.xml
    result = hear(twilio_post(app, f"/voice/queue/result?{QUERY}", queue_form(caller, QueueResult="leave",
                                                                               QueueTime="40")))
    assert "After the tone, please say your name" in result.text and "<Record" in result.xml
    caller.last = result
    done = caller._step(RecordingUrl="https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE9")
    assert "we'll call you back" in done.text and done.hangup
    voicemail = session.exec(select(Voicemail)).one()
    assert voicemail.caller == "+13125550147" and voicemail.recording_url.endswith("RE9")
    assert session.exec(select(QueueOutcome)).one().result == "left"


def test_a_caller_who_leaves_for_a_voice_message_is_not_an_abandonment(app, redis):
    from tests.console.test_routes import api_token

    caller = ask_for_agent(app)
    poll(app, caller, position=2, waited=30)
    twilio_post(app, f"/voice/queue/keys?{QUERY}", queue_form(caller, Digits="3"))
    twilio_post(app, f"/voice/queue/result?{QUERY}", queue_form(caller, QueueResult="leave", QueueTime="40"))
    figures = app.get("/api/queues", headers={"Authorization": f"Bearer {api_token(app)}"}).json()
    english = next(f for f in figures if f["queue"] == "311-english")
    assert english["abandoned_today"] == 0 and english["waiting"] == 0
    # Nor to the estimator: it expects no more hang-ups than before.
    assert json.loads(redis.get(POOL_EWT_KEY))["abn"] == 0


def test_callback_keys_are_announced_as_coming_and_keep_the_place(app):
    caller = ask_for_agent(app)
    heard = hear(twilio_post(app, f"/voice/queue/keys?{QUERY}", queue_form(caller, Digits="1")))
    assert "Call-backs are coming soon" in heard.text and "<Redirect" in heard.xml and "<Leave" not in heard.xml


def test_outcomes_and_live_figures(app, session):
    from tests.console.test_routes import api_token

    answered, abandoned = ask_for_agent(app), ask_for_agent(app)
    poll(app, answered, position=1, waited=10)
    poll(app, abandoned, position=2, waited=10)
    twilio_post(app, "/voice/agent/connect?queue=311-english", queue_form(answered, QueueTime="25"))
    twilio_post(app, f"/voice/queue/result?{QUERY}", queue_form(answered, QueueResult="bridged", QueueTime="25"))
    twilio_post(app, f"/voice/queue/result?{QUERY}", queue_form(abandoned, QueueResult="hangup", QueueTime="95"))
    twilio_post(app, f"/voice/queue/result?{QUERY}", queue_form(abandoned, QueueResult="hangup", QueueTime="95"))
    results = sorted(o.result for o in session.exec(select(QueueOutcome)).all())
    assert results == ["abandoned", "answered"]
    figures = app.get("/api/queues", headers={"Authorization": f"Bearer {api_token(app)}"}).json()
    english = next(f for f in figures if f["queue"] == "311-english")
    assert (english["offered_today"], english["answered_today"], english["abandoned_today"]) == (2, 1, 1)
    assert english["waiting"] == 0 and english["service_level"] == 1.0
    assert english["average_speed_of_answer_seconds"] == 25


def test_agent_gets_the_longest_waiting_caller_in_their_languages(app):
    english = ask_for_agent(app)
    poll(app, english, position=1, waited=30)
    spanish = Caller(app)
    spanish.dial()
    spanish.press("2")
    spanish.press("0")
    form = queue_form(spanish, QueuePosition="1", QueueTime="300")
    twilio_post(app, "/voice/queue/wait?lang=es-US&queue=311-spanish", form)
    ana = hear(twilio_post(app, "/voice/agent", {"CallSid": "CA" + "9" * 32, "From": "+15555550101"}))
    assert ">311-spanish</Queue>" in ana.xml and "Next caller: Español." in ana.text
    ben = hear(twilio_post(app, "/voice/agent", {"CallSid": "CA" + "8" * 32, "From": "+15555550102"}))
    assert ">311-english</Queue>" in ben.xml
    assert "Next caller: English. Topic: Library hours." in ben.text


def test_agent_line_refuses_strangers(app):
    heard = hear(twilio_post(app, "/voice/agent", {"CallSid": "CA" + "7" * 32, "From": "+13125550000"}))
    assert "This line is for 311 staff." in heard.text and heard.hangup


def test_after_hours_a_person_is_not_promised_but_a_message_is_offered(app, clock):
    clock.now = dt.datetime(2026, 11, 22, 18, 0, tzinfo=dt.UTC)  # Sunday
    caller = Caller(app)
    caller.dial()
    caller.press("1")
    heard = caller.press("0")
    assert "<Enqueue" not in heard.xml
    assert "Our agents are not available right now." in heard.text
    assert "To leave a voice message, and we'll call you back, press 1." in heard.text


def test_a_full_queue_offers_a_message_instead_of_holding(app, redis, settings):
    for i in range(settings.queue.max_size):
        redis.zadd("q:311-english:waiting", {f"CA{i:032d}": 1})
    caller = Caller(app)
    caller.dial()
    caller.press("1")
    heard = caller.press("0")
    assert "<Enqueue" not in heard.xml and "wait is longer than usual" in heard.text
