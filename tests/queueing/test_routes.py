"""Waiting for a person: honest estimates on every poll, outcomes recorded, agents get the longest waiter."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import re
from urllib.parse import urlencode

import pytest
from sqlmodel import select

from core.db import in_session
from core.defaults import QUEUE_POLL_SLACK_SECONDS, QUEUE_STALE_POLLS
from queueing.agents import find_agent, set_pin
from queueing.live_queues import POOL_EWT_KEY
from queueing.models import QueueOutcome, Voicemail
from tests.console.test_routes import api_token
from tests.helpers import AgentCall, Caller, hear, twilio_post

QUERY = urlencode({"lang": "en-US", "queue": "311-english"})
_tokens = itertools.count()


def queue_form(caller: Caller, **fields: str) -> dict[str, str]:
    return {**caller._form(), "QueueSid": "QU" + "a" * 32, **fields}


def poll(app, caller: Caller, position: int, waited: int, size: int = 5):
    form = queue_form(
        caller, QueuePosition=str(position), QueueTime=str(waited), CurrentQueueSize=str(size), AvgQueueTime="60"
    )
    return hear(twilio_post(app, f"/voice/queue/wait?{QUERY}", form))


def ask_for_agent(app) -> Caller:
    caller = Caller(app)
    caller.dial()
    caller.say("when is the library open")
    heard = caller.press("0")
    assert "<Enqueue" in heard.xml
    return caller


def agent_hears(app, phone: str = "+15555550102"):
    """What an agent hears on the agent line once they have keyed their PIN."""
    agent = find_agent(app.app.state.ctx.settings, phone)
    in_session(app.app.state.ctx.engine, set_pin, agent=agent.name, pin="975310", actor="test")
    return AgentCall(app, phone).sign_in("975310")


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
    assert "To keep your place and have us call you back when it's your turn, press 1." in heard.text
    assert "To choose a time for our call, press 2." in heard.text and "press 3" in heard.text
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
    agent_hears(app, "+15555550101")  # Ana keys her PIN on the agent line
    alone = poll(app, caller, position=6, waited=20, size=6)  # Ana is the only one taking calls
    assert said_minutes(alone) > 3 * said_minutes(planned)
    agent_hears(app, "+15555550102")  # and Ben
    two = poll(app, caller, position=6, waited=30, size=6)  # and now Ben too
    assert said_minutes(planned) < said_minutes(two) < said_minutes(alone)


def test_agents_seen_long_ago_no_longer_count(app, clock):
    caller = ask_for_agent(app)
    agent_hears(app, "+15555550101")  # Ana keys her PIN on the agent line
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
    result = hear(
        twilio_post(app, f"/voice/queue/result?{QUERY}", queue_form(caller, QueueResult="leave", QueueTime="40"))
    )
    assert "After the tone, please say your name" in result.text and "<Record" in result.xml
    caller.last = result
    done = caller._step(RecordingUrl="https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE9")
    assert "we'll call you back" in done.text and done.hangup
    voicemail = session.exec(select(Voicemail)).one()
    assert voicemail.caller == "+13125550147" and voicemail.recording_url.endswith("RE9")
    assert session.exec(select(QueueOutcome)).one().result == "left"


def test_a_caller_who_leaves_for_a_voice_message_is_not_an_abandonment(app, redis):
    caller = ask_for_agent(app)
    poll(app, caller, position=2, waited=30)
    twilio_post(app, f"/voice/queue/keys?{QUERY}", queue_form(caller, Digits="3"))
    twilio_post(app, f"/voice/queue/result?{QUERY}", queue_form(caller, QueueResult="leave", QueueTime="40"))
    figures = app.get("/api/queues", headers={"Authorization": f"Bearer {api_token(app)}"}).json()
    english = next(f for f in figures if f["queue"] == "311-english")
    assert english["abandoned_today"] == 0 and english["waiting"] == 0
    # Nor to the estimator: it expects no more hang-ups than before.
    assert json.loads(redis.get(POOL_EWT_KEY))["abn"] == 0


def test_other_keys_keep_the_caller_waiting(app):
    caller = ask_for_agent(app)
    heard = hear(twilio_post(app, f"/voice/queue/keys?{QUERY}", queue_form(caller, Digits="7")))
    assert "<Redirect" in heard.xml and "<Leave" not in heard.xml


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
    ana = agent_hears(app, "+15555550101")
    assert ">311-spanish</Queue>" in ana.xml and "Next caller: Español." in ana.text
    ben = agent_hears(app, "+15555550102")
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


def test_a_full_queue_offers_a_message_instead_of_holding(app, settings):
    for i in range(settings.queue.max_size):
        form = {"CallSid": f"CA{i:032d}", "From": "+13125550147", "QueuePosition": str(i + 1), "QueueTime": "5"}
        twilio_post(app, f"/voice/queue/wait?{QUERY}", form)
    caller = Caller(app)
    caller.dial()
    caller.press("1")
    heard = caller.press("0")
    assert "<Enqueue" not in heard.xml and "wait is longer than usual" in heard.text


# Phantom callers: a caller who left stays gone, entries without polls expire, the call's end clears it.


def figures(app) -> dict:
    from tests.console.test_routes import api_token

    token = api_token(app, f"figures{next(_tokens)}")
    queues = app.get("/api/queues", headers={"Authorization": f"Bearer {token}"}).json()
    return next(f for f in queues if f["queue"] == "311-english")


def test_a_late_poll_after_the_caller_left_does_not_bring_them_back(app):
    caller = ask_for_agent(app)
    poll(app, caller, position=1, waited=10)
    twilio_post(app, f"/voice/queue/result?{QUERY}", queue_form(caller, QueueResult="hangup", QueueTime="40"))
    poll(app, caller, position=1, waited=10)  # Twilio's retry of a poll sent before the hang-up, arriving after it
    poll(app, caller, position=1, waited=35)
    assert figures(app)["waiting"] == 0
    assert "No one is waiting right now." in agent_hears(app).text


def test_an_answered_caller_polled_again_is_not_offered_to_the_next_agent(app):
    caller = ask_for_agent(app)
    poll(app, caller, position=1, waited=10)
    twilio_post(app, "/voice/agent/connect?queue=311-english", queue_form(caller, QueueTime="12"))
    poll(app, caller, position=1, waited=10)
    assert figures(app)["waiting"] == 0
    assert "No one is waiting right now." in agent_hears(app).text


def test_the_calls_final_status_removes_the_caller_from_every_queue(app):
    caller = ask_for_agent(app)
    poll(app, caller, position=1, waited=10)
    assert figures(app)["waiting"] == 1
    assert caller.hang_up().status_code == 204  # the queue's result request never arrived
    assert figures(app)["waiting"] == 0 and figures(app)["abandoned_today"] == 1
    poll(app, caller, position=1, waited=10)
    assert figures(app)["waiting"] == 0
    assert "No one is waiting right now." in agent_hears(app).text


def test_a_caller_whose_polls_stopped_is_dropped_before_an_agent_is_offered_them(app, clock, settings):
    gone, still_here = ask_for_agent(app), ask_for_agent(app)
    poll(app, gone, position=1, waited=5)
    interval = settings.queue.offer_every + QUEUE_POLL_SLACK_SECONDS
    clock.now += dt.timedelta(seconds=QUEUE_STALE_POLLS * interval + 1)
    assert "No one is waiting right now." in agent_hears(app).text
    poll(app, still_here, position=1, waited=5)
    assert figures(app)["waiting"] == 1
    assert "Next caller: English." in agent_hears(app).text


def test_a_caller_dropped_as_stale_who_polls_again_is_back_in_line_and_counted_once(app, clock, settings):
    caller = ask_for_agent(app)
    poll(app, caller, position=1, waited=5)
    clock.now += dt.timedelta(seconds=QUEUE_STALE_POLLS * (settings.queue.offer_every + QUEUE_POLL_SLACK_SECONDS) + 1)
    assert figures(app)["waiting"] == 0
    poll(app, caller, position=1, waited=300)
    assert figures(app)["waiting"] == 1
    caller.hang_up()  # offered counts a wait once it ended, as Reports does: once, though the caller came back
    now = figures(app)
    assert now["waiting"] == 0 and now["offered_today"] == 1 and now["abandoned_today"] == 1


def test_a_caller_on_hold_music_longer_than_the_poll_interval_is_kept(app, clock, settings):
    caller = ask_for_agent(app)
    poll(app, caller, position=1, waited=5)
    clock.now += dt.timedelta(seconds=(QUEUE_STALE_POLLS - 1) * (settings.queue.offer_every + QUEUE_POLL_SLACK_SECONDS))
    assert figures(app)["waiting"] == 1


def test_a_caller_who_left_for_the_menu_and_asks_again_waits_again(app):
    caller = ask_for_agent(app)
    poll(app, caller, position=1, waited=10)
    caller.last = hear(
        twilio_post(app, f"/voice/queue/result?{QUERY}", queue_form(caller, QueueResult="leave", QueueTime="20"))
    )
    assert "main menu" in caller.last.text
    caller.press("2")
    assert "<Enqueue" in caller.press("0").xml
    poll(app, caller, position=1, waited=3)
    assert figures(app)["waiting"] == 1


@pytest.mark.parametrize(
    "figures",
    [
        {"QueueTime": "abc", "QueuePosition": str(2**64), "CurrentQueueSize": "٣"},
        {"QueueTime": "²", "QueuePosition": "-3", "CurrentQueueSize": str(2**63)},
        {"QueueTime": "9" * 40, "QueuePosition": "", "CurrentQueueSize": "1e3"},
    ],
)
def test_unbelievable_queue_figures_are_read_as_absent(app, session, figures):
    caller = ask_for_agent(app)
    heard = hear(twilio_post(app, f"/voice/queue/wait?{QUERY}", queue_form(caller, **figures)))
    assert "in line" not in heard.text and "wait" in heard.text and heard.action.startswith("/voice/queue/keys?")
    connected = hear(twilio_post(app, "/voice/agent/connect?queue=311-english", queue_form(caller, **figures)))
    assert connected.says
    result = twilio_post(app, f"/voice/queue/result?{QUERY}", queue_form(caller, QueueResult="bridged", **figures))
    assert hear(result).hangup
    assert [o.wait_seconds for o in session.exec(select(QueueOutcome)).all()] == [0]
