"""Test traffic: scenario runs and the browser phone mark their webhooks, so they never count as residents.

The runner sets one header on every webhook it posts: the run's name, the scenario's simulated time (optional) and
an HMAC of both with the Twilio auth token, bound to that request's X-Twilio-Signature. A resident cannot forge it
(no token) nor lift it onto another request (another signature). `signed_form` reads it; for the rest of the
request `current_run()` names the run, every record made meanwhile carries it (`test_run_column`), and the clock
reads the simulated time. Reports, the live figures, the unanswered queue and the CRM leave marked records out.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from sqlmodel import Field

from core import clock

HEADER = "X-OneCall-Test-Run"
BROWSER_PHONE_RUN = "browser-phone"  # the browser phone's calls and texts, when they are test traffic
END_OF_RUN_PATH = "/test-traffic/end"  # a run's last webhook: the service removes what the run left (app/test_runs.py)
RUN_NAME = re.compile(r"[a-z0-9][a-z0-9-]{0,39}")

_run: ContextVar[str | None] = ContextVar("test_run", default=None)


@dataclass(frozen=True)
class TrafficMark:
    """A webhook's test-traffic mark: the run it belongs to and the time it plays at (None: the real time)."""

    run: str
    at: dt.datetime | None = None


def _mac(auth_token: str, signature: str, run: str, at: str) -> str:
    message = f"onecall-test|{run}|{at}|{signature}".encode()
    return hmac.new(auth_token.encode(), message, hashlib.sha256).hexdigest()


def header_value(auth_token: str, signature: str, mark: TrafficMark) -> str:
    """The header for a webhook signed with `signature` (its X-Twilio-Signature) belonging to this run."""
    at = mark.at.astimezone(dt.UTC).isoformat() if mark.at else "-"
    return f"run={mark.run};at={at};mac={_mac(auth_token, signature, mark.run, at)}"


def read(auth_token: str, signature: str, value: str) -> TrafficMark | None:
    """The mark this header carries, or None when it is missing or not made with our token for this request."""
    fields = dict(part.split("=", 1) for part in value.split(";") if "=" in part)
    run, at, mac = fields.get("run", ""), fields.get("at", ""), fields.get("mac", "")
    if not RUN_NAME.fullmatch(run) or not at or not signature:
        return None
    if not hmac.compare_digest(mac, _mac(auth_token, signature, run, at)):
        return None
    if at == "-":
        return TrafficMark(run)
    try:
        moment = dt.datetime.fromisoformat(at)
    except ValueError:
        return None
    return TrafficMark(run, moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC))


def enter(mark: TrafficMark | None) -> None:
    """This request is (or is not) test traffic: mark what it records, and play it at its simulated time."""
    _run.set(mark.run if mark else None)
    clock.simulate(mark.at if mark else None)


@contextmanager
def isolated() -> Iterator[None]:
    """Webhooks posted in-process (ASGI in the same task) mark the caller's context too: what was marked before is
    restored after, so the page that posted them records nothing as test traffic nor at a simulated time."""
    run, at = _run.get(), clock.simulated()
    try:
        yield
    finally:
        _run.set(run)
        clock.simulate(at)


@contextmanager
def as_run(run: str | None) -> Iterator[None]:
    """Records made inside belong to this test run (None: a resident's): a record written behind keeps the run of the
    request that made it, whoever drains it."""
    token = _run.set(run)
    try:
        yield
    finally:
        _run.reset(token)


def current_run() -> str | None:
    """The test run the current request belongs to; None for a resident's."""
    return _run.get()


def scoped(key: str) -> str:
    """A Redis counter's key, kept apart for a test run: its limits count its own traffic only, and it never spends a
    resident's allowance nor the service's (runs replay the same simulated day)."""
    run = _run.get()
    return f"test:{run}:{key}" if run else key


def test_run_column() -> Any:
    """A record's test run (None for residents' records), taken from the request that made it."""
    return Field(default_factory=current_run, max_length=40, index=True)
