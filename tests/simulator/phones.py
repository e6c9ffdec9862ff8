"""Phones for the simulator tests: calls and texts against the real app, and canned transports."""

from __future__ import annotations

import asyncio
import datetime as dt

from core.db import in_session
from queueing import agents
from simulator.call import CallDriver
from simulator.switchboard import Switchboard
from simulator.transport import signed_transport
from tests.helpers import AUTH_TOKEN, PUBLIC_BASE_URL

RESIDENT = "+13125550147"
NEIGHBOUR = "+13125550166"
BEN = "+15555550102"  # an agent in config.toml's [[agents]]
PIN = "482913"
VERIFIED = {"StirVerstat": "TN-Validation-Passed-A"}


class Recorder:
    """A transport that keeps every (url, form) it posts, so a test can read what Twilio would have sent."""

    def __init__(self, inner):
        self.inner = inner
        self.posts: list[tuple[str, dict[str, str]]] = []

    async def post(self, url, form):
        self.posts.append((url, dict(form)))
        return await self.inner.post(url, form)

    def to(self, prefix: str) -> list[dict[str, str]]:
        """The forms posted to URLs starting with this path (absolute URLs are read as their path)."""
        return [form for url, form in self.posts if url.removeprefix(PUBLIC_BASE_URL).startswith(prefix)]


class Phones:
    """Calls and texts against the app, sharing one switchboard, on the test's clock."""

    def __init__(self, app, settings, clock):
        self.app, self.settings, self.clock = app, settings, clock
        self.transport = Recorder(signed_transport(app, auth_token=AUTH_TOKEN, public_base_url=PUBLIC_BASE_URL))
        self.board = Switchboard()

    def now(self) -> float:
        return self.clock.now.timestamp()

    def later(self, seconds: float) -> None:
        self.clock.now += dt.timedelta(seconds=seconds)

    def call(self, caller: str = RESIDENT) -> CallDriver:
        return run(
            CallDriver.dial(
                self.transport, caller=caller, to=self.settings.numbers[0], switchboard=self.board, now=self.now
            )
        )

    def agent(self, phone: str = BEN) -> CallDriver:
        return run(
            CallDriver.dial(
                self.transport,
                caller=phone,
                to="+15555550399",
                switchboard=self.board,
                now=self.now,
                path="/voice/agent",
                extra=VERIFIED,
            )
        )


class Canned:
    """A transport answering fixed TwiML per path, for what the app never sends."""

    def __init__(self, documents: dict[str, str]):
        self.documents = documents
        self.posts: list[tuple[str, dict[str, str]]] = []

    async def post(self, url, form):
        self.posts.append((url, dict(form)))
        return (200, self.documents[url]) if url in self.documents else (404, "not found")


def run(coroutine):
    return asyncio.run(coroutine)


def said(lines) -> str:
    return " ".join(line.text for line in lines if line.speaker == "service")


def in_queue(phones: Phones, caller: str = RESIDENT, language_key: str = "1") -> CallDriver:
    call = phones.call(caller)
    run(call.press(language_key))
    run(call.press("0"))
    assert call.waiting_for == "queue"
    return call


def pin_set(phones: Phones) -> None:
    in_session(phones.app.app.state.ctx.engine, agents.set_pin, agent="Ben", pin=PIN, actor="test")


def signed_in_agent(phones: Phones) -> CallDriver:
    pin_set(phones)
    agent = phones.agent()
    run(agent.press(f"{PIN}#"))
    return agent
