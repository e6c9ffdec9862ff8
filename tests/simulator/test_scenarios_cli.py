"""`run.py scenarios run`: plays scenario files over HTTP against a running server and exits non-zero on a failure."""

from __future__ import annotations

import pytest

import run
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
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    with served(settings, clock) as port:
        yield f"http://127.0.0.1:{port}"


def scenario_dir(tmp_path, **files):
    for name, text in files.items():
        (tmp_path / f"{name}.toml").write_text(text, encoding="utf-8")
    return tmp_path


def test_passing_and_skipped_scenarios_exit_zero(server, tmp_path, capsys):
    folder = scenario_dir(tmp_path, a=PASSING, b=NEEDS_CLOCK)
    assert run.main(["scenarios", "run", "--url", server, str(folder)]) == 0
    out = capsys.readouterr().out
    assert "PASS  Main menu in English" in out and "ok   2. press 1" in out
    assert "SKIP  Sunday" in out and "needs the clock set to sunday 10:00" in out
    assert out.rstrip().endswith("1 passed, 0 failed, 1 skipped")


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
