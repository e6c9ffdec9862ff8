"""Helpers for tests: Twilio-signed posts and a simulated caller that reads back the TwiML."""

from __future__ import annotations

import itertools
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from urllib.parse import parse_qs, urlencode, urlsplit

from starlette.testclient import TestClient
from twilio.request_validator import RequestValidator

AUTH_TOKEN = "test-auth-token-0123456789abcdef"
PUBLIC_BASE_URL = "https://311.example.gov"
TEST_CLIENT_HOST = "testserver"  # Starlette's TestClient's Host: the tests' ALLOWED_HOSTS
_sids = itertools.count(1)


def sign(path: str, params: dict[str, str], token: str = AUTH_TOKEN) -> str:
    """The X-Twilio-Signature Twilio would send for this form posted to PUBLIC_BASE_URL + path."""
    return RequestValidator(token).compute_signature(f"{PUBLIC_BASE_URL}{path}", params)


def twilio_post(client: TestClient, path: str, params: dict[str, str], *, signature: str | None = None):
    """Post a Twilio-shaped, correctly signed form to the app."""
    body = urlencode(params)
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Twilio-Signature": sign(path, params) if signature is None else signature,
    }
    return client.post(path, content=body, headers=headers)


@dataclass
class Heard:
    """What a caller hears from one TwiML document, and what it waits for."""

    status: int
    xml: str
    says: list[tuple[str, str]]
    node: str | None
    action: str | None
    gather: dict[str, str] | None
    hangup: bool

    @property
    def text(self) -> str:
        return " ".join(text for _, text in self.says)


def hear(response) -> Heard:
    """Parse a TwiML response into what the caller hears."""
    assert response.status_code == 200, response.text
    root = ET.fromstring(response.text)
    says = [(el.get("language", ""), (el.text or "").strip()) for el in root.iter("Say")]
    gather = root.find("Gather")
    node = action = None
    prompt = gather if gather is not None else root.find("Record")
    if prompt is not None:
        action = prompt.get("action", "")
        node = parse_qs(urlsplit(action).query).get("node", [None])[0]
    attrs = dict(gather.attrib) if gather is not None else None
    return Heard(response.status_code, response.text, says, node, action, attrs, root.find("Hangup") is not None)


class Caller:
    """A simulated resident on a call: each method posts what Twilio would and returns what they hear."""

    def __init__(self, client: TestClient, phone: str = "+13125550147") -> None:
        self.client = client
        self.sid = f"CA{next(_sids):032x}"
        self.phone = phone
        self.last: Heard | None = None

    def _form(self, **extra: str) -> dict[str, str]:
        return {
            "CallSid": self.sid,
            "AccountSid": "AC" + "1" * 32,
            "From": self.phone,
            "To": "+15555550311",
            "CallStatus": "in-progress",
            "Direction": "inbound",
            **extra,
        }

    def dial(self) -> Heard:
        self.last = hear(twilio_post(self.client, "/voice/incoming", self._form(CallStatus="ringing")))
        return self.last

    def _step(self, **fields: str) -> Heard:
        assert self.last is not None and self.last.action, "the caller is not at a prompt"
        self.last = hear(twilio_post(self.client, self.last.action, self._form(**fields)))
        return self.last

    def press(self, digits: str) -> Heard:
        return self._step(Digits=digits)

    def say(self, speech: str, confidence: str = "0.92") -> Heard:
        return self._step(SpeechResult=speech, Confidence=confidence)

    def silence(self) -> Heard:
        return self._step()

    def hang_up(self, duration: int = 75):
        return twilio_post(self.client, "/voice/status", self._form(CallStatus="completed", CallDuration=str(duration)))


class Texter:
    """A simulated resident texting the 311 number: each method posts what Twilio would and returns our reply."""

    def __init__(self, client: TestClient, phone: str = "+13125550188") -> None:
        self.client = client
        self.phone = phone
        self.last_sid: str | None = None

    def form(self, body: str, **extra: str) -> dict[str, str]:
        self.last_sid = f"SM{next(_sids):032x}"
        return {"MessageSid": self.last_sid, "AccountSid": "AC" + "1" * 32, "From": self.phone,
                "To": "+15555550311", "Body": body, "NumMedia": "0", **extra}

    def send(self, body: str, **extra: str) -> str | None:
        """Text the body; return the reply text, or None when we send no reply."""
        return reply_text(twilio_post(self.client, "/sms/incoming", self.form(body, **extra)))


def reply_text(response) -> str | None:
    """The <Message> body of a messaging TwiML response."""
    assert response.status_code == 200, response.text
    messages = [el.text or "" for el in ET.fromstring(response.text).iter("Message")]
    assert len(messages) <= 1
    return messages[0] if messages else None


class AgentCall:
    """A simulated agent on the agent line: dial in, key the PIN, hear who is next."""

    def __init__(self, client: TestClient, phone: str = "+15555550102", verstat: str = "TN-Validation-Passed-A"):
        self.client = client
        self.sid = f"CA{next(_sids):032x}"
        self.phone = phone
        self.verstat = verstat
        self.last: Heard | None = None

    def _form(self, **extra: str) -> dict[str, str]:
        return {"CallSid": self.sid, "AccountSid": "AC" + "1" * 32, "From": self.phone, "To": "+15555550399",
                "CallStatus": "in-progress", "Direction": "inbound", "StirVerstat": self.verstat, **extra}

    def dial(self) -> Heard:
        self.last = hear(twilio_post(self.client, "/voice/agent", self._form(CallStatus="ringing")))
        return self.last

    def key(self, digits: str) -> Heard:
        assert self.last is not None and self.last.action, "the agent is not at the PIN prompt"
        self.last = hear(twilio_post(self.client, self.last.action, self._form(Digits=digits)))
        return self.last

    def sign_in(self, pin: str) -> Heard:
        """Dial and key the PIN: what the agent hears once through (who is next, and the Dial)."""
        self.dial()
        return self.key(pin)


def from_address(running: TestClient, host: str) -> TestClient:
    """A second client of the same running app (its event loop, so its Redis connections) seen from another address."""
    other = TestClient(running.app, client=(host, 40000))
    other.portal = running.portal  # the started app's loop: its async Redis client belongs to it
    return other


def drain_records(client: TestClient) -> int:
    """Write what this app's webhooks wrote behind (core.write_behind), as the drain job does every second."""
    from core import write_behind
    from core.redis import sync_client

    ctx = client.app.state.ctx
    connection = sync_client(ctx.settings.redis_url)
    try:
        return write_behind.drain(ctx.engine, connection, consumer="tests")
    finally:
        connection.close()
