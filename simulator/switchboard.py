"""Twilio's side of queues and bridges, shared by the calls of one simulation.

A call's <Enqueue> makes it a QueueMember; an agent's <Dial><Queue> a Dialer. connect() dequeues the front caller
for a dialer as Twilio does (the <Queue url> TwiML is played to the caller, then both are connected) and records a
Bridge on each side. When one side hangs up, end_bridge() leaves the other side a Bridge in `ended` and a line in its
mailbox; that side learns both on its next action.

The whole switchboard is one plain JSON document (to_dict/from_dict), which the browser phone keeps in Redis between
requests: the keys of that document are kept as they were, so a session stored by an older version still loads.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass, field, replace

from core.phones import mask
from simulator.line import Line
from simulator.transport import DriverError, Transport

MAX_QUEUE_SIZE = 1000  # Twilio's default queue size


@dataclass
class QueueMember:
    """A call waiting in a queue: the resident's number, since when, and the form its requests carry (for the
    <Queue url> post)."""

    call_sid: str
    caller: str
    joined_at: float
    form: dict[str, str]
    action: str | None = None  # the Enqueue action

    def to_dict(self) -> dict:
        """Plain JSON."""
        return {
            "call_sid": self.call_sid,
            "caller": self.caller,
            "joined_at": self.joined_at,
            "form": dict(self.form),
            "action": self.action,
        }

    @classmethod
    def from_dict(cls, data: dict) -> QueueMember:
        """Back from to_dict()."""
        return cls(data["call_sid"], data["caller"], data["joined_at"], data["form"], data.get("action"))


@dataclass
class Dialer:
    """A call in a <Dial><Queue>, waiting for a caller to be put through."""

    call_sid: str
    caller: str
    url: str | None = None  # the <Queue url> posted for the caller when they are taken

    def to_dict(self) -> dict:
        """Plain JSON."""
        return {"call_sid": self.call_sid, "caller": self.caller, "url": self.url}

    @classmethod
    def from_dict(cls, data: dict) -> Dialer:
        """Back from to_dict()."""
        return cls(data["call_sid"], data["caller"], data.get("url"))


@dataclass
class Bridge:
    """One side's view of two calls connected: the other side, when, from which queue, and this side's role."""

    other_call_sid: str
    since: float
    queue: str
    queue_time: int  # how long the caller waited in the queue before being taken
    role: str  # "caller" (was in the queue) | "agent" (dialled the queue)
    ended_at: float | None = None  # set when the other side hung up

    def to_dict(self) -> dict:
        """Plain JSON (the other side under "with", as stored before these were dataclasses)."""
        data = {
            "with": self.other_call_sid,
            "since": self.since,
            "queue": self.queue,
            "queue_time": self.queue_time,
            "role": self.role,
        }
        if self.ended_at is not None:
            data["ended_at"] = self.ended_at
        return data

    @classmethod
    def from_dict(cls, data: dict) -> Bridge:
        """Back from to_dict()."""
        return cls(
            other_call_sid=data["with"],
            since=data["since"],
            queue=data["queue"],
            queue_time=data.get("queue_time", 0),
            role=data["role"],
            ended_at=data.get("ended_at"),
        )


@dataclass
class QueueWaits:
    """The callers taken from one queue so far and the seconds they waited in all, for AvgQueueTime."""

    answered: int = 0
    seconds: float = 0

    def to_list(self) -> list:
        """Plain JSON: [answered, seconds]."""
        return [self.answered, self.seconds]

    @classmethod
    def from_list(cls, data: list) -> QueueWaits:
        """Back from to_list()."""
        return cls(*data)


@dataclass
class Switchboard:
    """Twilio's side of queues and bridges, shared by the calls of one simulation (plain JSON via to_dict)."""

    queues: dict[str, list[QueueMember]] = field(default_factory=dict)  # queue name -> members in join order
    dialers: dict[str, list[Dialer]] = field(default_factory=dict)  # queue name -> calls dialling it
    bridges: dict[str, Bridge] = field(default_factory=dict)  # call_sid -> its side of the bridge
    mailbox: dict[str, list[Line]] = field(default_factory=dict)  # call_sid -> lines another call's request produced
    ended: dict[str, Bridge] = field(default_factory=dict)  # call_sid -> its bridge, which the other side ended
    waits: dict[str, QueueWaits] = field(default_factory=dict)  # queue name -> callers taken and their waits
    max_size: int = MAX_QUEUE_SIZE

    def to_dict(self) -> dict:
        """Plain JSON."""
        return {
            "queues": {name: [m.to_dict() for m in members] for name, members in self.queues.items()},
            "dialers": {name: [d.to_dict() for d in dialers] for name, dialers in self.dialers.items()},
            "bridges": {sid: bridge.to_dict() for sid, bridge in self.bridges.items()},
            "mailbox": {sid: [line.to_dict() for line in lines] for sid, lines in self.mailbox.items()},
            "ended": {sid: bridge.to_dict() for sid, bridge in self.ended.items()},
            "waits": {name: waits.to_list() for name, waits in self.waits.items()},
            "max_size": self.max_size,
        }

    @classmethod
    def from_dict(cls, data: dict) -> Switchboard:
        """Back from to_dict()."""
        return cls(
            queues={n: [QueueMember.from_dict(m) for m in ms] for n, ms in data.get("queues", {}).items()},
            dialers={n: [Dialer.from_dict(d) for d in ds] for n, ds in data.get("dialers", {}).items()},
            bridges={sid: Bridge.from_dict(b) for sid, b in data.get("bridges", {}).items()},
            mailbox={sid: [Line.from_dict(line) for line in ls] for sid, ls in data.get("mailbox", {}).items()},
            ended={sid: Bridge.from_dict(b) for sid, b in data.get("ended", {}).items()},
            waits={n: QueueWaits.from_list(w) for n, w in data.get("waits", {}).items()},
            max_size=data.get("max_size", MAX_QUEUE_SIZE),
        )

    @staticmethod
    def queue_sid(name: str) -> str:
        """A stable QueueSid for a queue name."""
        return "QU" + f"{abs(hash_name(name)):032x}"[-32:]

    def waiting(self, queue: str) -> list[str]:
        """The CallSids waiting in a queue, front first."""
        return [member.call_sid for member in self.queues.get(queue, [])]

    def position(self, queue: str, call_sid: str) -> int:
        """1 at the front; 0 when not in that queue."""
        waiting = self.waiting(queue)
        return waiting.index(call_sid) + 1 if call_sid in waiting else 0

    def average_wait(self, queue: str) -> int:
        """AvgQueueTime: the mean wait of callers taken from this queue so far."""
        waits = self.waits.get(queue, QueueWaits())
        return int(waits.seconds / waits.answered) if waits.answered else 0

    def post(self, call_sid: str, line: Line) -> None:
        """Leave a line for another call to hear on its next action."""
        self.mailbox.setdefault(call_sid, []).append(line)

    def collect(self, call_sid: str) -> list[Line]:
        """The lines left for this call, once."""
        return self.mailbox.pop(call_sid, [])

    def leave(self, call_sid: str) -> None:
        """The call is no longer in any queue, nor dialling one."""
        for group in (self.queues, self.dialers):
            for name in list(group):
                group[name] = [m for m in group[name] if m.call_sid != call_sid]

    def end_bridge(self, call_sid: str, now: float) -> str | None:
        """Hang up one side of a bridge: the other side learns it on its next action. The other side's SID."""
        bridge = self.bridges.pop(call_sid, None)
        if bridge is None:
            return None
        other = bridge.other_call_sid
        theirs = self.bridges.pop(other, None) or replace(bridge, other_call_sid=call_sid)
        self.ended[other] = replace(theirs, ended_at=now)
        self.post(other, Line("system", "the other side hung up", kind="event"))
        return other

    async def connect(self, transport: Transport, queue: str, dialer: Dialer, now: float) -> None:
        """Twilio dequeues the front caller for a <Dial><Queue>: their <Queue url> TwiML, then both are connected."""
        member = self.queues[queue].pop(0)
        self.dialers[queue] = [d for d in self.dialers.get(queue, []) if d.call_sid != dialer.call_sid]
        waited = max(0, int(now - member.joined_at))
        waits = self.waits.get(queue, QueueWaits())
        self.waits[queue] = QueueWaits(waits.answered + 1, waits.seconds + waited)
        if dialer.url:
            await self._play_queue_url(transport, queue, dialer, member, waited)
        self.post(member.call_sid, Line("system", f"connected to {dialer.caller}", kind="event"))
        # The agent's side shows the resident's number masked, as every staff page does (core.phones.mask).
        self.post(dialer.call_sid, Line("system", f"connected to {mask(member.caller)}", kind="event"))
        self.bridges[member.call_sid] = Bridge(dialer.call_sid, now, queue, waited, "caller")
        self.bridges[dialer.call_sid] = Bridge(member.call_sid, now, queue, waited, "agent")

    async def _play_queue_url(
        self, transport: Transport, queue: str, dialer: Dialer, member: QueueMember, waited: int
    ) -> None:
        """Post the dialer's <Queue url> for the caller taken; its Says are what the caller hears first."""
        form = {
            **member.form,
            "CallStatus": "in-progress",
            "QueueSid": Switchboard.queue_sid(queue),
            "QueueTime": str(waited),
            "DequeingCallSid": dialer.call_sid,
        }
        status, text = await transport.post(dialer.url, form)
        if status >= 400:
            raise DriverError(f"the server answered {status} to {dialer.url}", status)
        for verb in ET.fromstring(text) if text.strip() else []:
            if verb.tag == "Say":
                words = " ".join((verb.text or "").split())
                self.post(member.call_sid, Line("service", words, verb.get("language"), "say"))


def hash_name(name: str) -> int:
    """A hash of a string that is the same in every process (Python's hash() is salted)."""
    value = 0
    for char in name.encode():
        value = (value * 131 + char) % (1 << 127)
    return value
