"""A call's side of Twilio's queues: waiting on hold in an <Enqueue>, and an agent's <Dial><Queue> and bridge.

QueueSide is part of simulator.call.CallDriver (mixed in): it plays the wait document on Twilio's schedule, takes
keys at its <Gather>, posts the Enqueue and Dial actions with QueueResult and DialCallStatus, and winds up a bridge
either side ended. It uses the driver's TwiML playing (_fetch, _run, _continue, _end, _hear, _sound, _resolve,
_form, _sync) and shares the calls' simulator.switchboard.Switchboard.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import replace
from urllib.parse import urljoin

from simulator.call_state import CallState, Enqueued, QueueDial, WaitGather
from simulator.line import Line
from simulator.switchboard import Bridge, Dialer, QueueMember, Switchboard
from simulator.transport import DriverError, Transport
from simulator.twiml import (
    AGENT_DIAL_TIMEOUT,
    DEFAULT_GATHER_TIMEOUT,
    MAX_REDIRECTS,
    PLAY_SECONDS,
    as_document,
    number,
)


class QueueSide:
    """The queue and bridge verbs of a CallDriver."""

    transport: Transport
    state: CallState
    switchboard: Switchboard
    now: Callable[[], float]

    # ----- <Enqueue> and the wait document

    def _queue_fields(self) -> dict[str, str]:
        q, board = self.state.queue, self.switchboard
        return {
            "QueueSid": q.sid,
            "QueuePosition": str(board.position(q.name, self.state.call_sid) or 1),
            "QueueTime": str(max(0, int(self.now() - q.joined_at))),
            "AvgQueueTime": str(board.average_wait(q.name)),
            "CurrentQueueSize": str(len(board.waiting(q.name))),
            "MaxQueueSize": str(board.max_size),
        }

    async def _enqueue(self, verb: ET.Element, rest: list[ET.Element]) -> None:
        s, board = self.state, self.switchboard
        name = (verb.text or "").strip()
        s.queue = Enqueued(
            name=name,
            sid=board.queue_sid(name),
            joined_at=self.now(),
            next_poll_at=self.now(),
            action=self._resolve(verb.get("action")) if verb.get("action") else None,
            wait_url=self._resolve(verb.get("waitUrl")) if verb.get("waitUrl") else None,
            gather=None,
            rest=as_document(rest),
            url=s.document_url,
        )
        members = board.queues.setdefault(name, [])
        if len(members) >= board.max_size:
            await self._leave_queue("queue-full")
            return
        # Who waits is the resident: the caller of a call to the service, the called number of one it placed.
        resident = s.caller if s.direction == "inbound" else s.to
        members.append(QueueMember(s.call_sid, resident, self.now(), self._form(), s.queue.action))
        s.waiting_for = "queue"
        self._hear(Line("system", f"waiting in the queue {name}", kind="event"))
        dialers = board.dialers.get(name, [])
        if dialers:  # an agent was already dialling this queue: Twilio puts the caller straight through
            await board.connect(self.transport, name, dialers[0], self.now())
            await self._sync()
            return
        await self._poll_wait()

    async def _poll_wait(self) -> None:
        q = self.state.queue
        q.gather = None
        if not q.wait_url:  # Twilio's own hold music
            q.next_poll_at = self.now() + PLAY_SECONDS
            self._hear(Line("service", "hold music", None, "play"))
            return
        await self._play_wait(await self._fetch(q.wait_url, self._queue_fields()), q.wait_url)

    async def _play_wait(self, document: ET.Element, url: str) -> None:
        """Play a wait document: sounds, a Gather for keys, Redirect, Leave or Hangup."""
        q, length, redirects = self.state.queue, 0.0, 0
        verbs = list(document)
        while verbs:
            verb, verbs = verbs[0], verbs[1:]
            if verb.tag in ("Say", "Play", "Pause"):
                length += self._sound(verb)
            elif verb.tag == "Gather":
                length += sum(self._sound(inner) for inner in verb)
                length += number(verb.get("timeout"), DEFAULT_GATHER_TIMEOUT)
                q.gather = WaitGather(dict(verb.attrib), url)
            elif verb.tag == "Redirect":
                redirects += 1
                if redirects > MAX_REDIRECTS:
                    raise DriverError(f"more than {MAX_REDIRECTS} redirects in a row from {url}")
                url = urljoin(url, (verb.text or "").strip())
                verbs = list(await self._fetch(url, self._queue_fields()))
            elif verb.tag == "Leave":
                await self._leave_queue("leave")
                return
            elif verb.tag == "Hangup":
                await self._leave_queue("hangup")
                await self._end("completed")
                return
        q.next_poll_at = self.now() + length

    async def _queue_key(self, digits: str) -> None:
        gather = self.state.queue.gather
        if gather is None or "dtmf" not in gather.attributes.get("input", "dtmf"):
            return  # the wait document takes no keys: Twilio ignores them
        if gather.attributes.get("numDigits", "").isdigit():
            digits = digits[: int(gather.attributes["numDigits"])]
        url = urljoin(gather.url, gather.attributes.get("action") or "") or gather.url
        self.state.queue.gather = None
        await self._play_wait(await self._fetch(url, {**self._queue_fields(), "Digits": digits}), url)

    async def _leave_queue(self, result: str, *, play: bool = True) -> None:
        """Out of the queue by result (leave, queue-full, hangup, bridged): post the Enqueue action, play it."""
        s = self.state
        q = s.queue
        fields = {
            "QueueResult": result,
            "QueueSid": q.sid,
            "QueueTime": str(max(0, int(self.now() - q.joined_at))),
        }
        if s.bridge:
            fields["QueueTime"] = str(s.bridge.queue_time)
            fields["DequeingCallSid"] = s.bridge.other_call_sid
        self.switchboard.leave(s.call_sid)
        s.queue, s.waiting_for = None, None
        if not q.action:
            if play:  # no action: Twilio carries on after the <Enqueue>
                await self._continue(q.rest, q.url)
            return
        document = await self._fetch(q.action, fields)
        if play:
            await self._run(document, q.action)

    # ----- <Dial><Queue> and bridges

    async def _dial(self, verb: ET.Element, rest: list[ET.Element]) -> None:
        s = self.state
        queue = verb.find("Queue")
        if queue is None:  # a number, a client, a conference: not simulated
            target = (verb.text or "").strip() or "another phone"
            self._hear(Line("system", f"dialling {target} (not simulated)", kind="event"))
            await self._end("completed")
            return
        name = (queue.text or "").strip()
        s.dial = QueueDial(
            queue=name,
            url=self._resolve(queue.get("url")) if queue.get("url") else None,
            action=self._resolve(verb.get("action")) if verb.get("action") else None,
            timeout=number(verb.get("timeout"), AGENT_DIAL_TIMEOUT),
            started_at=self.now(),
            rest=as_document(rest),
            document_url=s.document_url,
        )
        s.waiting_for = "dial"
        self.switchboard.dialers.setdefault(name, []).append(Dialer(s.call_sid, s.caller, s.dial.url))
        await self._dial_next()

    async def _dial_next(self) -> None:
        """The Dial takes the front caller; with nobody there past its timeout, it ends with no-answer."""
        s, board = self.state, self.switchboard
        name = s.dial.queue
        if board.queues.get(name):
            me = next(d for d in board.dialers.get(name, []) if d.call_sid == s.call_sid)
            await board.connect(self.transport, name, me, self.now())
            await self._sync()
        elif self.now() >= s.dial.started_at + s.dial.timeout:
            await self._dial_done("no-answer", {})

    async def _dial_done(self, status: str, more: dict[str, str], *, play: bool = True) -> None:
        s = self.state
        dial = s.dial
        self.switchboard.leave(s.call_sid)
        s.dial, s.waiting_for, s.bridged_with, s.bridge = None, None, None, None
        if not dial.action:
            if play:
                await self._continue(dial.rest, dial.document_url)
            return
        document = await self._fetch(dial.action, {"DialCallStatus": status, **more})
        if play:
            await self._run(document, dial.action)

    async def _after_bridge(self, bridge: Bridge) -> None:
        """The bridge ended (either side hung up): the caller's Enqueue action says bridged, the agent's Dial
        action says completed; what they answer is played."""
        s = self.state
        s.bridge = bridge
        if bridge.role == "caller":
            await self._leave_queue("bridged")
        else:
            ended_at = bridge.ended_at if bridge.ended_at is not None else self.now()
            talked = str(max(0, int(ended_at - bridge.since)))
            await self._dial_done(
                "completed",
                {
                    "DialCallSid": bridge.other_call_sid,
                    "DialCallDuration": talked,
                    "QueueSid": Switchboard.queue_sid(bridge.queue),
                    "DequeuedCallSid": bridge.other_call_sid,
                    "DequeuedCallQueueTime": str(bridge.queue_time),
                },
            )
        s.bridge = None

    async def _after_bridge_hung_up(self, bridge: Bridge | None) -> None:
        # Twilio still requests this side's action after a hang-up; what it answers is not played.
        if bridge is None:
            return
        s = self.state
        s.bridge = replace(bridge, ended_at=self.now())
        if bridge.role == "caller":
            await self._leave_queue("bridged", play=False)
        else:
            talked = str(max(0, int(self.now() - bridge.since)))
            fields = {"DialCallSid": bridge.other_call_sid, "DialCallDuration": talked}
            await self._dial_done("completed", fields, play=False)
