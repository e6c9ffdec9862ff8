"""One simulated phone call: plays Twilio's part against the service's real webhooks, from the server side.

A CallDriver is one phone call. It posts correctly signed forms (the same fields Twilio sends) to the service and
plays the TwiML it gets back as Twilio does:

- <Say>, <Play>, <Pause> are heard (Lines); <Redirect> is followed; <Hangup> or the end of a document ends the call,
  and the status callback is posted (CallStatus=completed, CallDuration).
- <Gather> waits for the caller: press() posts Digits (cut at finishOnKey, at most numDigits), say() posts
  SpeechResult and Confidence, silence() is the timeout: with actionOnEmptyResult="true" the action is posted with no
  input, otherwise Twilio carries on with the verbs after the Gather. Keys at a speech-only Gather (or words at a
  keys-only one) count as nothing heard.
- <Record> waits too: say() is a recording (RecordingUrl, RecordingSid, RecordingDuration posted to the action);
  silence() or a key with nothing said records no audio, so Twilio posts nothing and carries on with the next verb.
- <Enqueue> puts the call in a Switchboard queue and fetches the waitUrl with QueuePosition, QueueSid, QueueTime,
  AvgQueueTime, CurrentQueueSize and MaxQueueSize. The wait document is played; when it ends (its Says, Pauses,
  Plays and Gather timeout take their time) tick() fetches it again, as Twilio's hold loop does. A key at the wait
  document's <Gather> posts its action, whose TwiML is played as wait TwiML. <Leave> (or a full queue, or <Hangup>)
  posts the Enqueue action with QueueResult leave / queue-full / hangup; bridged when an agent took the call and the
  conversation ended.
- <Dial><Queue> takes the caller at the front of that queue on the Switchboard: the <Queue url> is posted for the
  caller (QueueSid, QueueTime, DequeingCallSid) and played to them, then both sides are "connected". When either
  hangs up, the other side's next action (tick) posts its own action: the caller's Enqueue action with
  QueueResult=bridged, the agent's Dial action with DialCallStatus=completed. With nobody waiting the Dial ends after
  its timeout (DialCallStatus=no-answer).

The queue verbs are played by simulator.call_queue (part of CallDriver); Twilio's queues and bridges themselves, shared
by the calls of a simulation, are simulator.switchboard.

Time is whatever `now` says (seconds), so tests and scenarios run on the service's injected clock. All state
(simulator.call_state.CallState, simulator.switchboard.Switchboard) is plain JSON, so a web phone can keep it in Redis
between requests. Every request is a POST: the service asks for POST everywhere.
"""

from __future__ import annotations

import time
import xml.etree.ElementTree as ET
from collections.abc import Callable
from urllib.parse import urljoin

import httpx

from simulator.call_queue import QueueSide
from simulator.call_state import CallState, Prompt
from simulator.line import Line
from simulator.switchboard import Switchboard
from simulator.transport import ACCOUNT_SID, DriverError, Transport, new_sid
from simulator.twiml import (
    DEFAULT_GATHER_TIMEOUT,
    MAX_REDIRECTS,
    PLAY_SECONDS,
    WORDS_PER_SECOND,
    as_document,
    number,
)


class CallDriver(QueueSide):
    """One call played the way Twilio plays it. Each action returns the Lines it produced (also kept in heard)."""

    def __init__(
        self,
        transport: Transport,
        state: CallState,
        *,
        switchboard: Switchboard | None = None,
        now: Callable[[], float] = time.time,
    ):
        self.transport = transport
        self.state = state
        self.switchboard = switchboard if switchboard is not None else Switchboard()
        self.now = now
        self._new: list[Line] = []

    # ----- starting a call

    @classmethod
    async def dial(
        cls,
        transport: Transport,
        *,
        caller: str,
        to: str,
        switchboard: Switchboard | None = None,
        now: Callable[[], float] = time.time,
        call_sid: str | None = None,
        path: str = "/voice/incoming",
        status_url: str | None = "/voice/status",
        account_sid: str = ACCOUNT_SID,
        extra: dict[str, str] | None = None,
    ) -> CallDriver:
        """A call from caller to the service's number `to`: POST path and play the TwiML until it waits."""
        state = CallState(
            call_sid=call_sid or new_sid(),
            caller=caller,
            to=to,
            direction="inbound",
            account_sid=account_sid,
            started_at=now(),
            status_url=status_url,
            extra=dict(extra or {}),
        )
        driver = cls(transport, state, switchboard=switchboard, now=now)
        await driver._start(path)
        return driver

    @classmethod
    async def answer(
        cls,
        transport: Transport,
        *,
        url: str,
        caller: str,
        to: str,
        switchboard: Switchboard | None = None,
        now: Callable[[], float] = time.time,
        call_sid: str | None = None,
        status_url: str | None = None,
        answered_by: str = "human",
        account_sid: str = ACCOUNT_SID,
    ) -> CallDriver:
        """An outbound call the service placed (calls.create(url=...)) from `caller` to `to`, answered by a person
        (answered_by="human") or a machine ("machine_start"): POST url and play its TwiML."""
        extra = {"AnsweredBy": answered_by} if answered_by else {}
        state = CallState(
            call_sid=call_sid or new_sid(),
            caller=caller,
            to=to,
            direction="outbound-api",
            account_sid=account_sid,
            started_at=now(),
            status_url=status_url,
            extra=extra,
        )
        driver = cls(transport, state, switchboard=switchboard, now=now)
        await driver._start(url)
        return driver

    async def _start(self, url: str) -> None:
        self._new = []
        first = "ringing" if self.state.direction == "inbound" else "in-progress"
        document = await self._fetch(url, {"CallStatus": first})
        self.state.status = "in-progress"
        await self._run(document, url)

    # ----- what the caller does

    @property
    def heard(self) -> list[Line]:
        """Every line of the call so far."""
        return self.state.heard

    @property
    def waiting_for(self) -> str | None:
        """None | "gather" | "record" | "queue" | "dial" | "bridged" | "ended"."""
        return self.state.waiting_for

    def said(self) -> str:
        """Everything the service said on this call, as one text."""
        return " ".join(line.text for line in self.heard if line.speaker == "service" and line.kind == "say")

    async def press(self, digits: str) -> list[Line]:
        """Press keys on the keypad."""
        return await self._act(Line("caller", digits, kind="press"), self._press, digits)

    async def say(self, text: str, confidence: float = 0.9) -> list[Line]:
        """Speak: Twilio's speech recognition hears `text` with this confidence."""
        return await self._act(Line("caller", text), self._say, text, confidence)

    async def silence(self) -> list[Line]:
        """Say and press nothing until the prompt times out."""
        return await self._act(Line("caller", "(silence)", kind="event"), self._silence)

    async def tick(self) -> list[Line]:
        """Time passes: a prompt past its timeout times out, the wait document is fetched again when it has played,
        an agent's Dial takes the next caller (or gives up), and a bridge the other side ended is wound up."""
        return await self._act(None, self._tick)

    async def hang_up(self) -> list[Line]:
        """Hang up: leave any queue or bridge (posting the Enqueue or Dial action), then the status callback."""
        return await self._act(Line("caller", "(hangs up)", kind="event"), self._hang_up)

    async def _act(self, line: Line | None, action, *args) -> list[Line]:
        self._new = []
        if line is not None:
            self._hear(line)
        await self._sync()
        if self.state.waiting_for not in (None, "ended"):
            await action(*args)
        return self._new

    # ----- playing TwiML

    def _hear(self, line: Line) -> None:
        self.state.heard.append(line)
        self._new.append(line)

    def _form(self, **extra: str) -> dict[str, str]:
        s = self.state
        form = {
            "CallSid": s.call_sid,
            "AccountSid": s.account_sid,
            "From": s.caller,
            "To": s.to,
            "CallStatus": s.status,
            "Direction": s.direction,
            "ApiVersion": "2010-04-01",
            **s.extra,
        }
        form.update(extra)
        return form

    async def _post(self, url: str, form: dict[str, str]) -> str:
        try:
            status, text = await self.transport.post(url, form)
        except httpx.HTTPError as exc:
            raise DriverError(f"{url}: {exc}") from None
        if status >= 400:
            detail = (text.strip().splitlines() or [""])[0][:200]
            raise DriverError(f"the server answered {status} to {url}: {detail}", status)
        return text

    async def _fetch(self, url: str, extra: dict[str, str] | None = None) -> ET.Element:
        text = await self._post(url, self._form(**(extra or {})))
        if not text.strip():
            return ET.Element("Response")
        try:
            root = ET.fromstring(text)
        except ET.ParseError:
            raise DriverError(f"{url} did not answer with TwiML: {text[:120]!r}") from None
        if root.tag != "Response":
            raise DriverError(f"{url} answered <{root.tag}>, not a TwiML <Response>")
        return root

    def _resolve(self, ref: str | None) -> str:
        ref = (ref or "").strip()
        return urljoin(self.state.document_url, ref) if ref else self.state.document_url

    def _sound(self, verb: ET.Element) -> float:
        """Hear a Say, Play or Pause; how long it takes to play."""
        if verb.tag == "Say":
            text = " ".join((verb.text or "").split())
            self._hear(Line("service", text, verb.get("language"), "say"))
            return len(text.split()) / WORDS_PER_SECOND
        if verb.tag == "Play":
            self._hear(Line("service", (verb.text or "").strip(), None, "play"))
            return PLAY_SECONDS
        if verb.tag == "Pause":
            length = number(verb.get("length"), 1)
            self._hear(Line("service", f"{length:g} s", None, "pause"))
            return length
        return 0.0

    async def _run(self, document: ET.Element, url: str) -> None:
        """Play a document from its first verb until the call waits for something or ends."""
        self.state.document_url = url
        verbs, redirects = list(document), 0
        while verbs:
            verb, verbs = verbs[0], verbs[1:]
            if verb.tag in ("Say", "Play", "Pause"):
                self._sound(verb)
            elif verb.tag in ("Gather", "Record"):
                said = sum(self._sound(inner) for inner in verb) if verb.tag == "Gather" else 0.0
                self.state.pending = Prompt(verb.tag, dict(verb.attrib), self.now(), said, as_document(verbs), url)
                self.state.waiting_for = verb.tag.lower()
                return
            elif verb.tag == "Redirect":
                redirects += 1
                if redirects > MAX_REDIRECTS:
                    raise DriverError(f"more than {MAX_REDIRECTS} redirects in a row from {url}")
                url = self._resolve(verb.text)
                document = await self._fetch(url)
                self.state.document_url = url
                verbs = list(document)
            elif verb.tag == "Enqueue":
                await self._enqueue(verb, verbs)
                return
            elif verb.tag == "Dial":
                await self._dial(verb, verbs)
                return
            elif verb.tag in ("Hangup", "Reject"):
                await self._end("completed" if verb.tag == "Hangup" else "busy")
                return
            # <Leave> outside a queue, <Sms>, ... do nothing here; Twilio moves on.
        await self._end("completed")  # Twilio hangs up at the end of a document

    async def _continue(self, rest: str, url: str) -> None:
        await self._run(ET.fromstring(rest), url)

    async def _end(self, status: str = "completed") -> None:
        s = self.state
        self.switchboard.leave(s.call_sid)
        s.status, s.waiting_for, s.pending, s.queue, s.dial = status, "ended", None, None, None
        if s.status_url:
            duration = str(max(0, int(self.now() - s.started_at)))
            await self._post(s.status_url, self._form(CallStatus=status, CallDuration=duration))
        self._hear(Line("system", "call ended", kind="event"))

    # ----- Gather and Record

    async def _press(self, digits: str) -> None:
        s = self.state
        if s.waiting_for == "queue":
            await self._queue_key(digits)
            return
        if s.waiting_for == "bridged":
            self.switchboard.post(s.bridged_with, Line("caller", digits, kind="press"))
            return
        if s.waiting_for == "record":
            await self._silence()  # a key with nothing said: no audio, Twilio moves on
            return
        if s.waiting_for != "gather":
            return
        attrs = s.pending.attributes
        if "dtmf" not in attrs.get("input", "dtmf"):
            await self._silence()
            return
        finish = attrs.get("finishOnKey", "#")
        if finish and finish in digits:
            digits = digits[: digits.index(finish)]
        if attrs.get("numDigits", "").isdigit():
            digits = digits[: int(attrs["numDigits"])]
        if not digits:
            await self._silence()
            return
        await self._answer({"Digits": digits})

    async def _say(self, text: str, confidence: float) -> None:
        s = self.state
        if s.waiting_for == "bridged":
            self.switchboard.post(s.bridged_with, Line("caller", text))
            return
        if s.waiting_for == "record" and text.strip():
            duration = max(1, round(len(text.split()) / WORDS_PER_SECOND))
            recording = new_sid("RE")
            await self._answer(
                {
                    "RecordingUrl": f"https://api.twilio.com/2010-04-01/Accounts/{s.account_sid}/"
                    f"Recordings/{recording}",
                    "RecordingSid": recording,
                    "RecordingDuration": str(duration),
                }
            )
            return
        if s.waiting_for != "gather" or "speech" not in s.pending.attributes.get("input", "dtmf") or not text.strip():
            await self._silence()
            return
        await self._answer({"SpeechResult": text, "Confidence": f"{confidence:.2f}"})

    async def _answer(self, fields: dict[str, str]) -> None:
        pending = self.state.pending
        self.state.pending, self.state.waiting_for = None, None
        self.state.document_url = pending.url
        url = self._resolve(pending.attributes.get("action"))
        await self._run(await self._fetch(url, fields), url)

    async def _silence(self) -> None:
        s = self.state
        if s.waiting_for == "queue":
            await self._poll_wait()  # nothing pressed: the wait document plays out and is fetched again
            return
        if s.waiting_for not in ("gather", "record"):
            return
        pending = s.pending
        if pending.verb == "Gather" and pending.attributes.get("actionOnEmptyResult") == "true":
            await self._answer({})
            return
        s.pending, s.waiting_for = None, None
        await self._continue(pending.rest, pending.url)

    # ----- time passing

    async def _tick(self) -> None:
        s = self.state
        if s.waiting_for in ("gather", "record"):
            timeout = number(s.pending.attributes.get("timeout"), DEFAULT_GATHER_TIMEOUT)
            if self.now() >= s.pending.since + s.pending.prompt_seconds + timeout:
                await self._silence()
        elif s.waiting_for == "queue" and self.now() >= s.queue.next_poll_at:
            await self._poll_wait()
        elif s.waiting_for == "dial":
            await self._dial_next()

    async def _sync(self) -> None:
        """Take in what other calls did to this one: lines left for it, a bridge made or ended."""
        s, board = self.state, self.switchboard
        for line in board.collect(s.call_sid):
            self._hear(line)
        bridge = board.bridges.get(s.call_sid)
        if bridge and s.waiting_for in ("queue", "dial"):
            s.waiting_for, s.bridged_with, s.bridge = "bridged", bridge.other_call_sid, bridge
        ended = board.ended.pop(s.call_sid, None)
        if ended and s.waiting_for in ("queue", "dial", "bridged"):  # bridged and ended since this call last acted
            s.waiting_for, s.bridged_with = "bridged", ended.other_call_sid
            await self._after_bridge(ended)

    # ----- hanging up

    async def _hang_up(self) -> None:
        s, board = self.state, self.switchboard
        if s.waiting_for == "queue":
            await self._leave_queue("hangup", play=False)
        elif s.waiting_for == "bridged":
            bridge = board.bridges.get(s.call_sid) or s.bridge
            board.end_bridge(s.call_sid, self.now())
            await self._after_bridge_hung_up(bridge)
        elif s.waiting_for == "dial":
            board.leave(s.call_sid)
        await self._end("completed")
