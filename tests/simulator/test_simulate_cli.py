"""`run.py simulate --url`: signed for the URL it calls, and only this machine unless --allow-remote."""

from __future__ import annotations

import pytest

import run
import simulator.terminal
from tests.helpers import PUBLIC_BASE_URL


@pytest.fixture
def calls(env, monkeypatch) -> list[dict]:
    """What `simulate` was asked to do (a stand-in: nothing is dialled, nothing leaves this machine)."""
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    made: list[dict] = []
    monkeypatch.setattr(simulator.terminal, "simulate", lambda settings, **kwargs: made.append(kwargs) or 0)
    return made


def test_simulate_non_local_url_refused_unless_allowed(calls, capsys):
    for url in ("https://311.example.net", "http://192.0.2.7:8311/", "http://[2001:db8::1]:8311", "ftp://127.0.0.1"):
        assert run.main(["simulate", "--url", url]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and err.startswith(f"simulate: --url {url!r} is not" if "ftp" in url else
                                                       f"simulate: --url {url} is not this machine;")
    assert calls == []
    assert run.main(["simulate", "--url", "https://311.example.net/staging/?x=1", "--allow-remote"]) == 0
    assert run.main(["simulate", "--url", "http://localhost:8311"]) == 0
    assert run.main(["simulate", "--url", "http://127.0.0.2:8311/"]) == 0
    assert run.main(["simulate", "--url", "http://[::1]:8311"]) == 0
    # Each is signed for the URL it calls (scheme, host and path), never for PUBLIC_BASE_URL.
    assert [(c["url"], c["public_base_url"]) for c in calls] == [
        ("https://311.example.net/staging/?x=1", "https://311.example.net/staging"),
        ("http://localhost:8311", "http://localhost:8311"),
        ("http://127.0.0.2:8311/", "http://127.0.0.2:8311"),
        ("http://[::1]:8311", "http://[::1]:8311"),
    ]
    assert all(c["public_base_url"] != PUBLIC_BASE_URL for c in calls)
