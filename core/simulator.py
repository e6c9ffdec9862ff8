"""A phone call in the terminal: signed Twilio-shaped webhooks to a running server, and what the caller would hear.

    python run.py simulate [--url http://127.0.0.1:8311] [--from +13125550147] [--poll SECONDS]

It plays the TwiML the way Twilio does: <Say> is printed, <Gather> and <Record> wait for you, <Redirect> is
followed, and in an <Enqueue> the wait URL is polled like Twilio's hold loop until you press a key or hang up.
Errors (server down, an HTTP error, something that is not TwiML) are one line, never a traceback.
"""

from __future__ import annotations

import os
import secrets
import select
import sys
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable
from urllib.parse import urlencode

import httpx
from twilio.request_validator import RequestValidator

from settings import Settings

INTRO = """\
A test call from {caller} to {url}. Lines starting with [language] are what the caller hears. Then:
  digits and Enter (1, or 123456789#)   press those keys on the keypad
  words and Enter                       say them (as Twilio's speech recognition would hear them)
  Enter alone                           stay silent
  q and Enter (or Ctrl-D)               hang up
In the queue for a person, the wait message is fetched again every {poll:g} s as Twilio does; press a key
when it offers one, Enter to hear it again now, q to hang up.
"""
HANGUP = None  # what a prompt returns when the caller hangs up
TIMEOUT = ""  # ... and when nobody typed anything before it timed out (same as silence)


class SimulatorError(Exception):
    """Why the call cannot go on, in one line."""


class LineReader:
    """Lines from standard input, with an optional timeout (unbuffered, so a wait sees lines already typed)."""

    def __init__(self, fd: int = 0):
        self.fd = fd
        self.buffer = b""
        self.closed = False

    def __call__(self, prompt: str, timeout: float | None = None) -> str | None:
        """The next line without its newline; TIMEOUT if none came in time; HANGUP for q or end of input."""
        print(prompt, end="", flush=True)
        deadline = None if timeout is None else time.monotonic() + timeout
        while b"\n" not in self.buffer and not self.closed:
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            if not select.select([self.fd], [], [], left)[0]:
                print()
                return TIMEOUT  # a half-typed line stays in the buffer for the next prompt
            chunk = os.read(self.fd, 4096)
            self.buffer += chunk
            self.closed = not chunk
        if b"\n" in self.buffer:
            raw, self.buffer = self.buffer.split(b"\n", 1)
        else:
            raw, self.buffer = self.buffer, b""
            if not raw:
                print()
                return HANGUP
        line = raw.decode(errors="replace").strip()
        if self.closed or not sys.stdin.isatty():
            print(line)  # echo piped input so a transcript reads like the conversation it was
        return HANGUP if line.lower() == "q" else line


class Call:
    """One simulated call: posts signed forms and returns the TwiML documents."""

    def __init__(self, client: httpx.Client, settings: Settings, public_base_url: str, caller: str):
        self.client = client
        self.url = str(client.base_url).rstrip("/")
        self.validator = RequestValidator(settings.auth_token)
        self.public = public_base_url.rstrip("/")
        self.started = time.monotonic()
        self.form = {"CallSid": "CA" + secrets.token_hex(16), "AccountSid": settings.account_sid, "From": caller,
                     "To": settings.numbers[0], "CallStatus": "in-progress", "Direction": "inbound"}

    def post(self, path: str, extra: dict[str, str] | None = None) -> ET.Element:
        """POST the call's form plus extra to path, signed as Twilio signs; the TwiML answer."""
        form = {**self.form, **(extra or {})}
        signature = self.validator.compute_signature(f"{self.public}{path}", form)
        headers = {"Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": signature}
        try:
            response = self.client.post(path, content=urlencode(form), headers=headers)
        except httpx.ConnectError:
            raise SimulatorError(f"cannot reach {self.url}: is the server running? (`make run` starts it)") from None
        except httpx.TimeoutException:
            raise SimulatorError(f"{self.url}{path} did not answer in time") from None
        except httpx.HTTPError as exc:
            raise SimulatorError(f"{self.url}{path}: {exc}") from None
        if response.status_code >= 400:
            detail = (response.text.strip().splitlines() or [""])[0][:200]
            hint = ""
            if response.status_code == 403:
                hint = (f" (this terminal signs for {self.public} with the token in TWILIO_AUTH_TOKEN or var/; "
                        "the server must use the same, or pass --url / set PUBLIC_BASE_URL)")
            raise SimulatorError(f"the server answered {response.status_code} to {path}: {detail}{hint}")
        if not response.text.strip():
            return ET.Element("Response")
        try:
            return ET.fromstring(response.text)
        except ET.ParseError:
            raise SimulatorError(f"{path} did not answer with TwiML: {response.text[:120]!r}") from None

    def seconds(self) -> int:
        """How long the call has lasted."""
        return int(time.monotonic() - self.started)


def simulate(settings: Settings, *, url: str, caller: str, public_base_url: str | None = None,
             poll_seconds: float | None = None, client: httpx.Client | None = None,
             read_line: Callable[..., str | None] | None = None) -> int:
    """Run one interactive call against the server at url; 0 when it ends normally, 1 (one line said why) if not."""
    poll = poll_seconds or min(settings.queue.offer_every, 15)
    print(INTRO.format(caller=caller, url=url, poll=poll))
    read = read_line or LineReader()
    own_client = client is None
    client = client or httpx.Client(base_url=url, timeout=15)
    call = Call(client, settings, public_base_url or settings.public_base_url, caller)
    try:
        try:
            document = call.post("/voice/incoming", {"CallStatus": "ringing"})
            while document is not None:
                document = _play(call, document, read, poll)
        except KeyboardInterrupt:
            print("\n(you hung up)")
        call.post("/voice/status", {"CallStatus": "completed", "CallDuration": str(call.seconds())})
    except SimulatorError as exc:
        print(f"simulate: {exc}", file=sys.stderr)
        return 1
    finally:
        if own_client:
            client.close()
    print("(call ended)")
    return 0


def _play(call: Call, document: ET.Element, read, poll: float) -> ET.Element | None:
    """Play one TwiML document as Twilio would; the next document, or None when the call is over."""
    for verb in document:
        if verb.tag in ("Say", "Play", "Pause"):
            _hear(verb)
        elif verb.tag in ("Gather", "Record"):
            for inner in verb:
                _hear(inner)
            if verb.tag == "Record":
                print("  (recording: type what you'd say and Enter, or Enter alone to say nothing)")
            line = read("you> ")
            if line is HANGUP:
                return None
            if line or verb.get("actionOnEmptyResult") == "true":
                return call.post(verb.get("action") or "", _input(line, verb.tag))
            # No input: Twilio carries on with the next verb (often a <Redirect>).
        elif verb.tag == "Redirect":
            return call.post((verb.text or "").strip())
        elif verb.tag == "Enqueue":
            return _wait_in_queue(call, verb, read, poll)
        elif verb.tag == "Hangup":
            return None
        elif verb.tag == "Dial":
            print(f"  (the call is connected to {(verb.text or 'another phone').strip()}; the simulation ends here)")
            return None
    return None  # Twilio hangs up at the end of a document


def _wait_in_queue(call: Call, enqueue: ET.Element, read, poll: float) -> ET.Element | None:
    """Hold in the queue: poll the wait URL, offer keys, until an outcome; then the action URL's document."""
    name = (enqueue.text or "").strip()
    print(f"  (you are waiting in the queue {name!r}; in this simulation no agent answers: agents take callers by "
          "dialling the agent line)")
    queue = {"QueueSid": "QU" + secrets.token_hex(16), "QueuePosition": "1", "CurrentQueueSize": "1",
             "AvgQueueTime": "0"}
    joined, outcome = time.monotonic(), None
    wait_url = enqueue.get("waitUrl") or ""
    document = call.post(wait_url, {**queue, "QueueTime": "0"})
    while outcome is None:
        redirect = None
        for verb in document:
            if verb.tag == "Leave":
                outcome = "leave"
            elif verb.tag == "Redirect":
                redirect = (verb.text or "").strip()
            elif verb.tag == "Hangup":
                outcome = "hangup"
            elif verb.tag in ("Say", "Play", "Pause", "Gather"):
                for sound in [verb, *verb] if verb.tag == "Gather" else [verb]:
                    _hear(sound)
        if outcome:
            break
        waited = {**queue, "QueueTime": str(int(time.monotonic() - joined))}
        gather = document.find("Gather")
        if redirect:
            document = call.post(redirect, waited)
            continue
        line = read("you (waiting)> ", timeout=poll)
        if line is HANGUP:
            outcome = "hangup"
        elif line and gather is not None and gather.get("action"):
            document = call.post(gather.get("action"), {**waited, "Digits": line[:1]})
        else:
            document = call.post(wait_url, waited)  # the hold music ended: Twilio fetches the wait URL again
    result = {**queue, "QueueResult": outcome, "QueueTime": str(int(time.monotonic() - joined))}
    after = call.post(enqueue.get("action"), result) if enqueue.get("action") else None
    return None if outcome == "hangup" else after


def _hear(verb: ET.Element) -> None:
    if verb.tag == "Say":
        print(f"  [{verb.get('language', '')}] {(verb.text or '').strip()}")
    elif verb.tag == "Play":
        print("  (music)" if "music" in (verb.text or "").lower() else f"  (plays {verb.text})")
    elif verb.tag == "Pause":
        print(f"  (silence, {verb.get('length', '1')} s)")


def _input(line: str, verb: str) -> dict[str, str]:
    if not line:
        return {}
    if verb == "Record":
        return {"RecordingUrl": "https://api.twilio.com/2010-04-01/Accounts/AC/Recordings/RE" + secrets.token_hex(16),
                "RecordingDuration": str(max(1, len(line.split()) // 2))}
    if all(c in "0123456789*#" for c in line):
        return {"Digits": line.rstrip("#")}
    return {"SpeechResult": line, "Confidence": "0.9"}
