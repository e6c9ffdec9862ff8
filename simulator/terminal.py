"""A phone call in the terminal: signed Twilio-shaped webhooks to a running server, and what the caller would hear.

    python run.py simulate [--url http://127.0.0.1:8311] [--from +13125550147] [--poll SECONDS]

The TwiML is played by simulator.call, the way Twilio plays it: <Say> is printed, <Gather> and <Record> wait for
you, <Redirect> is followed, and in an <Enqueue> the wait URL is polled like Twilio's hold loop until you press a key
or hang up.
Errors (server down, an HTTP error, something that is not TwiML) are one line, never a traceback.
"""

from __future__ import annotations

import asyncio
import os
import select
import sys
import time
from collections.abc import Callable

import httpx

from settings import Settings
from simulator.call import CallDriver
from simulator.line import Line
from simulator.transport import DriverError, signed_transport

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


def simulate(
    settings: Settings,
    *,
    url: str,
    caller: str,
    public_base_url: str | None = None,
    poll_seconds: float | None = None,
    client: httpx.Client | None = None,
    read_line: Callable[..., str | None] | None = None,
) -> int:
    """Run one interactive call against the server at url; 0 when it ends normally, 1 (one line said why) if not."""
    poll = poll_seconds or min(settings.queue.offer_every, 15)
    print(INTRO.format(caller=caller, url=url, poll=poll))
    read = read_line or LineReader()
    own_client = client is None
    client = client or httpx.Client(base_url=url, timeout=15)
    public = (public_base_url or settings.public_base_url).rstrip("/")
    transport = signed_transport(client, auth_token=settings.auth_token, public_base_url=public)
    try:
        call = asyncio.run(
            CallDriver.dial(
                transport, caller=caller, to=settings.numbers[0], account_sid=settings.account_sid, now=time.monotonic
            )
        )
        _show(call.heard)
        try:
            while call.waiting_for not in (None, "ended"):
                _show(_answer(call, read, poll))
        except KeyboardInterrupt:
            print("\n(you hung up)")
            asyncio.run(call.hang_up())
    except DriverError as exc:
        hint = ""
        if exc.status == 403:
            hint = (
                f" (this terminal signs for {public} with the token in TWILIO_AUTH_TOKEN or var/; "
                "the server must use the same, or pass --url / set PUBLIC_BASE_URL)"
            )
        print(f"simulate: {exc}{hint}", file=sys.stderr)
        return 1
    finally:
        if own_client:
            client.close()
    print("(call ended)")
    return 0


def _answer(call: CallDriver, read, poll: float) -> list[Line]:
    """Read what the caller does next and do it on the call (the driver plays the TwiML as Twilio would)."""
    holding = call.waiting_for in ("queue", "dial", "bridged")
    if call.waiting_for == "record":
        print("  (recording: type what you'd say and Enter, or Enter alone to say nothing)")
    line = read("you (waiting)> " if holding else "you> ", timeout=poll if holding else None)
    if line is HANGUP:
        return asyncio.run(call.hang_up())
    if not line:
        # Silence: a prompt times out; in the queue the wait message plays out and is fetched again, as Twilio does.
        return asyncio.run(call.silence())
    if all(c in "0123456789*#" for c in line):
        return asyncio.run(call.press(line))
    return asyncio.run(call.say(line))


def _show(lines: list[Line]) -> None:
    for line in lines:
        if line.speaker == "caller" or line.text == "call ended":
            continue
        if line.kind == "say":
            print(f"  [{line.language or ''}] {line.text}")
        elif line.kind == "play":
            print("  (music)" if "music" in line.text.lower() else f"  (plays {line.text})")
        elif line.kind == "pause":
            print(f"  (silence, {line.text})")
        elif line.text.startswith("waiting in the queue"):
            print(
                f"  (you are {line.text}; in this simulation no agent answers: agents take callers by dialling "
                "the agent line)"
            )
        else:
            print(f"  ({line.text})")
