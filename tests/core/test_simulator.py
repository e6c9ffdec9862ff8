"""`run.py simulate`: explains itself, carries on into the queue like Twilio, and fails in one line, not a traceback."""

from __future__ import annotations

from sqlmodel import select

from queueing.models import QueueOutcome, Voicemail
from simulator.terminal import HANGUP, simulate
from tests.helpers import PUBLIC_BASE_URL


def scripted(*lines):
    """Typed lines, then a hang-up; records each prompt's timeout so a test sees the queue was polled."""
    pending = list(lines)
    prompts = []

    def read(prompt, timeout=None):
        prompts.append((prompt, timeout))
        return pending.pop(0) if pending else HANGUP

    read.prompts = prompts
    return read


def test_the_call_carries_on_into_the_queue_and_out_to_a_voice_message(app, settings, session, capsys):
    read = scripted("1", "0", "", "3", "this is my message for the crew")
    assert simulate(settings, url="http://testserver", public_base_url=PUBLIC_BASE_URL, caller="+13125550147",
                    client=app, read_line=read, poll_seconds=0.01) == 0
    out = capsys.readouterr().out
    assert "digits and Enter" in out and "say them" in out and "q and Enter" in out  # how keys and speech work
    assert out.count("To leave a voice message instead of waiting, press 3.") == 2  # polled again, like Twilio
    assert "(music)" in out and "Your message has been saved" in out and "(call ended)" in out
    assert [timeout for prompt, timeout in read.prompts if "waiting" in prompt] == [0.01, 0.01]
    assert session.exec(select(QueueOutcome)).one().result == "left"
    assert len(session.exec(select(Voicemail)).all()) == 1


def test_hanging_up_in_the_queue_is_reported_like_twilio_does(app, settings, session, capsys):
    read = scripted("1", "0")  # then q
    assert simulate(settings, url="http://testserver", public_base_url=PUBLIC_BASE_URL, caller="+13125550147",
                    client=app, read_line=read, poll_seconds=0.01) == 0
    assert session.exec(select(QueueOutcome)).one().result == "abandoned"


def test_server_down_is_one_line(settings, capsys):
    assert simulate(settings, url="http://127.0.0.1:9", caller="+13125550147", read_line=scripted()) == 1
    err = capsys.readouterr().err
    assert err.strip() == "simulate: cannot reach http://127.0.0.1:9: is the server running? (`make run` starts it)"


def test_an_http_error_is_one_line(app, settings, capsys):
    assert simulate(settings, url="http://testserver", public_base_url="https://elsewhere.example", client=app,
                    caller="+13125550147", read_line=scripted("1")) == 1
    [line] = capsys.readouterr().err.strip().splitlines()
    assert line.startswith("simulate: the server answered 403 to /voice/incoming: invalid Twilio signature")
