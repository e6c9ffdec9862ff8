"""The agent line: a PIN before anyone waiting is named or joined, locked after wrong PINs, STIR/SHAKEN recorded."""

from __future__ import annotations

from urllib.parse import urlencode

from sqlmodel import select

from core.db import in_session
from core.defaults import AGENT_PIN_LOCK_SECONDS
from queueing import agents
from queueing.models import AgentLineAttempt
from tests.helpers import AgentCall, Caller, hear, sign, twilio_post

ANA, BEN = "+15555550101", "+15555550102"
PIN = "246810"
QUERY = urlencode({"lang": "en-US", "queue": "311-english"})


def set_pin(app, agent: str = "Ben", pin: str = PIN) -> None:
    in_session(app.app.state.ctx.engine, agents.set_pin, agent=agent, pin=pin, actor="test")


def someone_waiting(app) -> Caller:
    caller = Caller(app)
    caller.dial()
    caller.say("when is the library open")
    assert "<Enqueue" in caller.press("0").xml
    form = {**caller._form(), "QueuePosition": "1", "QueueTime": "30", "CurrentQueueSize": "1"}
    hear(twilio_post(app, f"/voice/queue/wait?{QUERY}", form))
    return caller


def test_nobody_is_named_or_joined_before_the_pin(app):
    set_pin(app)
    someone_waiting(app)
    ben = AgentCall(app, BEN)
    asked = ben.dial()
    assert "Please enter your PIN, then press the pound key." in asked.text
    assert asked.gather["finishOnKey"] == "#" and asked.gather["input"] == "dtmf"
    assert "Next caller" not in asked.xml and "<Dial" not in asked.xml and "<Queue" not in asked.xml
    through = ben.key(PIN)
    assert "Next caller: English. Topic: Library hours." in through.text and ">311-english</Queue>" in through.xml


def test_someone_spoofing_an_agents_number_without_the_pin_hears_nobody(app):
    set_pin(app)
    someone_waiting(app)
    spoofer = AgentCall(app, BEN, verstat="TN-Validation-Passed-C")
    spoofer.dial()
    wrong = spoofer.key("111111")
    assert "That PIN is not right." in wrong.text and "Please enter your PIN" in wrong.text
    assert "Next caller" not in wrong.xml and "<Dial" not in wrong.xml


def test_three_wrong_pins_lock_the_line_for_that_number(app, redis):
    set_pin(app)
    set_pin(app, "Ana", "135791")
    spoofer = AgentCall(app, BEN)
    spoofer.dial()
    assert "That PIN is not right." in spoofer.key("000000").text
    assert "That PIN is not right." in spoofer.key("999999").text
    locked = spoofer.key("123456")
    assert "That PIN is not right." in locked.text and "locked for your number" in locked.text
    assert locked.hangup and "<Gather" not in locked.xml
    assert AGENT_PIN_LOCK_SECONDS - 5 <= redis.ttl(agents.PinAttempts.key_for(BEN)) <= AGENT_PIN_LOCK_SECONDS
    # Every further call from that number is refused politely, the right PIN never even asked for.
    again = AgentCall(app, BEN).dial()
    assert "this line is locked for your number" in again.text and "15 minutes" in again.text and again.hangup
    assert "<Gather" not in again.xml
    # Another agent's number is not affected.
    assert "Please enter your PIN" in AgentCall(app, ANA).dial().text


def test_a_call_still_at_the_prompt_gets_no_extra_tries_once_the_number_is_locked(app):
    set_pin(app)
    first, second = AgentCall(app, BEN), AgentCall(app, BEN)
    first.dial()
    second.dial()
    first.key("000000")
    first.key("999999")
    assert "locked for your number" in first.key("888888").text
    refused = second.key(PIN)
    assert "locked for your number" in refused.text and "<Dial" not in refused.xml


def test_the_right_pin_after_a_wrong_one_gets_through_and_the_count_starts_again(app, redis):
    set_pin(app)
    ben = AgentCall(app, BEN)
    ben.dial()
    ben.key("000000")
    assert "No one is waiting right now." in ben.key(PIN).text
    assert redis.get(agents.PinAttempts.key_for(BEN)) is None


def test_twilio_retrying_a_pin_request_counts_it_once(app, redis):
    set_pin(app)
    ben = AgentCall(app, BEN)
    ben.dial()
    action, form = ben.last.action, ben._form(Digits="000000")
    first = hear(twilio_post(app, action, form))
    assert hear(twilio_post(app, action, form)).xml == first.xml
    assert redis.get(agents.PinAttempts.key_for(BEN)) == b"1"


def test_a_wrong_pin_re_sent_after_the_replay_window_is_not_counted_again(app, redis, drain):
    # Someone holding one signed wrong-PIN request re-sends it later, with fresh idempotency tokens, to lock Ben out.
    set_pin(app)
    ben = AgentCall(app, BEN)
    ben.dial()
    action, form = ben.last.action, ben._form(Digits="000000")
    hear(twilio_post(app, action, form))
    for attempt in range(3):
        drain()  # by the time the replay window passed, the records written behind are in the database
        for key in redis.scan_iter("replay:*"):  # the replay window passed (or Redis restarted empty)
            redis.delete(key)
        body = urlencode(form)
        headers = {"Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": sign(action, form),
                   "I-Twilio-Idempotency-Token": f"fresh-{attempt}"}
        again = hear(app.post(action, content=body, headers=headers))
        assert again.hangup and "PIN" not in again.text  # acknowledged, nothing tried again
    assert redis.get(agents.PinAttempts.key_for(BEN)) == b"1"
    assert "No one is waiting right now." in AgentCall(app, BEN).sign_in(PIN).text  # not locked out


def test_an_agent_without_a_pin_is_told_a_supervisor_must_set_one(app):
    someone_waiting(app)
    heard = AgentCall(app, ANA).dial()
    assert "A supervisor must set one before you can take calls." in heard.text
    assert heard.hangup and "<Gather" not in heard.xml and "Next caller" not in heard.xml


def test_strangers_are_refused_before_any_pin(app):
    heard = AgentCall(app, "+13125550000").dial()
    assert "This line is for 311 staff." in heard.text and heard.hangup and "<Gather" not in heard.xml


def test_stir_verstat_is_recorded_with_a_masked_number_and_a_failed_check_is_refused(app, session):
    set_pin(app)
    AgentCall(app, BEN, verstat="TN-Validation-Passed-A").sign_in(PIN)
    refused = AgentCall(app, BEN, verstat="TN-Validation-Failed-A").dial()
    assert "could not confirm the number you are calling from" in refused.text and refused.hangup
    AgentCall(app, "+13125550000", verstat="No-TN-Validation").dial()
    rows = session.exec(select(AgentLineAttempt).order_by(AgentLineAttempt.id)).all()
    assert [(r.outcome, r.stir_verstat) for r in rows] == [
        ("pin_asked", "TN-Validation-Passed-A"),
        ("pin_ok", "TN-Validation-Passed-A"),
        ("unverified", "TN-Validation-Failed-A"),
        ("stranger", "No-TN-Validation"),
    ]
    assert rows[0].caller_masked == "+*******0102" and rows[0].agent == "Ben" and rows[-1].agent is None
    assert all(BEN not in r.caller_masked for r in rows)


def test_pins_are_stored_hashed_and_must_be_digits(app, session):
    from queueing.models import AgentPin

    set_pin(app)
    stored = session.exec(select(AgentPin)).one()
    assert stored.agent == "Ben" and PIN not in stored.pin_hash and stored.pin_hash.startswith("$argon2")
    for bad in ("12345", "12ab56", "1234567890123", "²²²²²²"):
        try:
            set_pin(app, pin=bad)
        except ValueError:
            continue
        raise AssertionError(f"{bad!r} was accepted as a PIN")
