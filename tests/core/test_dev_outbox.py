"""Development mode (no Twilio credentials): outbound texts and calls go to the local outbox, never to the network."""

from __future__ import annotations

import socket

import pytest
from sqlmodel import select
from twilio.http.http_client import TwilioHttpClient

from core.dev_outbox import DevOutbox, recent
from core.twilio_client import make_client
from core.worker import queue
from messaging.models import SmsOutbound
from messaging.outbound import send_text
from settings import ROOT, load_settings
from tests.conftest import run_jobs


@pytest.fixture
def dev_settings(env):
    """The test servers, but no TWILIO_* at all: what a developer has after a fresh clone."""
    return load_settings(ROOT / "config.toml", {k: v for k, v in env.items() if not k.startswith("TWILIO_")})


@pytest.fixture
def no_network(monkeypatch):
    """Fail any attempt to reach Twilio: its HTTP client, and any TCP connection off this machine."""
    attempts = []

    def refuse_request(self, method, url, *args, **kwargs):
        attempts.append(url)
        raise AssertionError(f"tried to reach {url}")

    real_connect = socket.socket.connect

    def local_only(sock, address):
        if sock.family in (socket.AF_INET, socket.AF_INET6) and address[0] not in ("127.0.0.1", "::1", "localhost"):
            attempts.append(address)
            raise AssertionError(f"tried to connect to {address}")
        return real_connect(sock, address)

    monkeypatch.setattr(TwilioHttpClient, "request", refuse_request)
    monkeypatch.setattr(socket.socket, "connect", local_only)
    return attempts


def test_without_credentials_a_text_job_sends_into_the_outbox(dev_settings, engine, redis, no_network, capsys):
    assert dev_settings.dev_mode and not dev_settings.twilio_api_base_url
    job = queue(redis).enqueue_call(send_text, kwargs={"to": "+13125550147", "body": "Library: 9am-8pm."})
    run_jobs(dev_settings, redis)
    assert job.get_status(refresh=True) == "finished" and job.return_value() == "sent"
    assert no_network == []
    [item] = recent(engine)
    assert (item.kind, item.to_number, item.body) == ("sms", "+13125550147", "Library: 9am-8pm.")
    [record] = [r for r in engine_rows(engine, SmsOutbound)]
    assert record.status == "sent" and record.twilio_sid == item.sid and item.sid.startswith("SM")
    assert "[outbox] SMS to +1312…0147: Library: 9am-8pm." in capsys.readouterr().out


def test_outbox_takes_calls_too_and_recent_reads_newest_first(dev_settings, engine, no_network):
    client = make_client(dev_settings)
    assert isinstance(client, DevOutbox)
    text = client.messages.create(to="+13125550147", from_="+15555550311", body="first")
    call = client.calls.create(to="+13125550188", from_="+15555550311", url="https://311.example.gov/voice/cb")
    assert text.sid.startswith("SM") and call.sid.startswith("CA") and call.status == "queued"
    assert [i.sid for i in recent(engine)] == [call.sid, text.sid]
    assert [i.body for i in recent(engine, to="+13125550147")] == ["first"]
    assert recent(engine, after_id=recent(engine)[0].id) == []
    assert no_network == []


def test_with_credentials_or_a_stand_in_the_real_client_is_used(settings, dev_settings):
    import dataclasses

    assert not isinstance(make_client(settings), DevOutbox)  # credentials and the test stand-in
    stand_in = dataclasses.replace(dev_settings, twilio_api_base_url="http://127.0.0.1:9")
    assert not isinstance(make_client(stand_in), DevOutbox)


def engine_rows(engine, model):
    from sqlmodel import Session

    with Session(engine) as session:
        return session.exec(select(model)).all()
