"""`run.py scenarios run`: plays scenario files over HTTP against a running server and exits non-zero on a failure."""

from __future__ import annotations

import dataclasses
from urllib.parse import parse_qsl

import httpx
import pytest
from twilio.request_validator import RequestValidator

import run
from tests.crm_bridge.open311_servers import free_port
from tests.helpers import AUTH_TOKEN
from tests.served import served

PASSING = """
name = "Main menu in English"
[[step]]
hears = ["greeting"]
[[step]]
press = "1"
hears = ["Main menu."]
"""
FAILING = """
name = "Expects a word never said"
[[step]]
press = "1"
hears = ["Welcome to Shelbyville"]
"""
NEEDS_CLOCK = """
name = "Sunday"
at = "sunday 10:00"
[[step]]
hears = ["greeting"]
"""


@pytest.fixture
def server(settings, engine, redis, clock, env, monkeypatch):
    """A server on this machine that checks signatures against its own address (no PUBLIC_BASE_URL of its own),
    while this terminal's environment names another PUBLIC_BASE_URL (env's)."""
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with served(dataclasses.replace(settings, public_base_url=url), clock, port=port):
        yield url


def scenario_dir(tmp_path, **files):
    for name, text in files.items():
        (tmp_path / f"{name}.toml").write_text(text, encoding="utf-8")
    return tmp_path


def test_passing_scenarios_exit_zero_whatever_time_they_need(server, tmp_path, capsys):
    folder = scenario_dir(tmp_path, a=PASSING, b=NEEDS_CLOCK)
    assert run.main(["scenarios", "run", "--url", server, str(folder)]) == 0
    out = capsys.readouterr().out
    assert "PASS  Main menu in English" in out and "ok   2. press 1" in out
    assert "PASS  Sunday" in out  # played at its own time, whatever the server's clock says
    assert out.rstrip().endswith("2 passed, 0 failed, 0 skipped")


def test_a_failing_step_is_printed_and_the_exit_status_is_one(server, tmp_path, capsys):
    folder = scenario_dir(tmp_path, a=PASSING, c=FAILING)
    assert run.main(["scenarios", "run", "--url", server, str(folder)]) == 1
    out = capsys.readouterr().out
    assert "FAIL  Expects a word never said" in out
    assert "FAIL 1. press 1" in out and 'did not hear "Welcome to Shelbyville"' in out
    assert "heard: Thank you for calling Springfield 3 1 1." in out


def test_a_server_that_is_not_running_fails_the_step_in_one_line(settings, env, monkeypatch, tmp_path, capsys):
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    folder = scenario_dir(tmp_path, a=PASSING)
    assert run.main(["scenarios", "run", "--url", "http://127.0.0.1:9", str(folder)]) == 1
    assert "cannot reach http://127.0.0.1:9: is the server running?" in capsys.readouterr().out


def test_a_mistake_in_a_file_is_one_line_and_exit_two(env, monkeypatch, tmp_path, capsys):
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    folder = scenario_dir(tmp_path, bad='name = "x"\n[[step]]\npress = 1\n')
    assert run.main(["scenarios", "run", str(folder)]) == 2
    err = capsys.readouterr().err.strip()
    assert (
        err == f"scenarios: {folder / 'bad.toml'}: scenario 'x', step 1: press takes keys as text, like "
        'press = "1" or press = "123456789#"'
    )


def test_scenarios_url_signed_for_the_url_sent_to(server, settings, tmp_path, capsys):
    # The terminal's PUBLIC_BASE_URL is another service's: a signature for it, sent to --url, could be replayed there.
    assert settings.public_base_url != server
    folder = scenario_dir(tmp_path, a=PASSING)
    assert run.main(["scenarios", "run", "--url", server + "/", str(folder)]) == 0, capsys.readouterr()
    assert "PASS  Main menu in English" in capsys.readouterr().out


def test_scenarios_non_local_url_refused_unless_allowed(env, monkeypatch, tmp_path, capsys):
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    folder = scenario_dir(tmp_path, a=PASSING)
    sent = []

    def post(self, url, **kwargs):  # nothing leaves this machine: the remote server is a stand-in that checks
        sent.append(str(self.base_url).rstrip("/") + url)
        form = dict(parse_qsl(kwargs["content"]))
        signature = RequestValidator(AUTH_TOKEN).compute_signature(f"https://311.example.net/staging{url}", form)
        assert kwargs["headers"]["X-Twilio-Signature"] == signature  # signed for where it went, not PUBLIC_BASE_URL
        raise httpx.ConnectError("stand-in")

    monkeypatch.setattr(httpx.AsyncClient, "post", post)
    for url in ("https://311.example.net/staging", "http://10.0.0.5:8311", "http://127.0.0.1.example.com"):
        assert run.main(["scenarios", "run", "--url", url, str(folder)]) == 2
        err = capsys.readouterr().err.strip()
        assert err == (
            f"scenarios: --url {url} is not this machine; signed webhooks go elsewhere only with --allow-remote "
            "(they are signed for that URL)"
        )
    assert sent == []
    remote = ["scenarios", "run", "--url", "https://311.example.net/staging", "--allow-remote", str(folder)]
    assert run.main(remote) == 1
    assert sent and sent[0].startswith("https://311.example.net/staging/voice/incoming")
