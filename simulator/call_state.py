"""Everything about one simulated call, as dataclasses that are plain JSON (to_dict/from_dict).

The browser phone keeps a call in progress in Redis between requests as CallState.to_dict(), and its page reads
that document (waiting_for, pending.attrs, queue.gather.attrs, bridged_with): the keys are kept as they were before
these were dataclasses, so a call stored by an older version still loads.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from simulator.line import Line
from simulator.switchboard import Bridge
from simulator.transport import ACCOUNT_SID


@dataclass
class Prompt:
    """The <Gather> or <Record> the call waits at: its attributes, when it began, and the verbs after it."""

    verb: str  # "Gather" | "Record"
    attributes: dict[str, str]
    since: float
    prompt_seconds: float  # how long the Gather's own Says take: its timeout starts after them
    rest: str  # the verbs after it, as a <Response> document
    url: str  # the document it is in (a Gather with no action posts there)

    def to_dict(self) -> dict:
        """Plain JSON."""
        return {
            "verb": self.verb,
            "attrs": dict(self.attributes),
            "since": self.since,
            "said": self.prompt_seconds,
            "rest": self.rest,
            "url": self.url,
        }

    @classmethod
    def from_dict(cls, data: dict) -> Prompt:
        """Back from to_dict()."""
        return cls(data["verb"], data["attrs"], data["since"], data.get("said", 0), data["rest"], data["url"])


@dataclass
class WaitGather:
    """A <Gather> in the wait document: keys pressed on hold post its action."""

    attributes: dict[str, str]
    url: str

    def to_dict(self) -> dict:
        """Plain JSON."""
        return {"attrs": dict(self.attributes), "url": self.url}

    @classmethod
    def from_dict(cls, data: dict) -> WaitGather:
        """Back from to_dict()."""
        return cls(data["attrs"], data["url"])


@dataclass
class Enqueued:
    """The <Enqueue> the call waits in: the queue, its action and waitUrl, and when the wait document plays again."""

    name: str
    sid: str
    joined_at: float
    next_poll_at: float
    action: str | None
    wait_url: str | None
    gather: WaitGather | None
    rest: str  # the verbs after the <Enqueue>, played when it has no action
    url: str  # the document the <Enqueue> is in

    def to_dict(self) -> dict:
        """Plain JSON."""
        return {
            "name": self.name,
            "sid": self.sid,
            "joined_at": self.joined_at,
            "next_poll_at": self.next_poll_at,
            "action": self.action,
            "wait_url": self.wait_url,
            "gather": self.gather.to_dict() if self.gather else None,
            "rest": self.rest,
            "url": self.url,
        }

    @classmethod
    def from_dict(cls, data: dict) -> Enqueued:
        """Back from to_dict()."""
        gather = data.get("gather")
        return cls(
            name=data["name"],
            sid=data["sid"],
            joined_at=data["joined_at"],
            next_poll_at=data["next_poll_at"],
            action=data.get("action"),
            wait_url=data.get("wait_url"),
            gather=WaitGather.from_dict(gather) if gather else None,
            rest=data["rest"],
            url=data["url"],
        )


@dataclass
class QueueDial:
    """The <Dial><Queue> the call waits in: the queue, its <Queue url>, the Dial's action and timeout."""

    queue: str
    url: str | None
    action: str | None
    timeout: float
    started_at: float
    rest: str  # the verbs after the <Dial>, played when it has no action
    document_url: str  # the document the <Dial> is in

    def to_dict(self) -> dict:
        """Plain JSON."""
        return {
            "queue": self.queue,
            "url": self.url,
            "action": self.action,
            "timeout": self.timeout,
            "started_at": self.started_at,
            "rest": self.rest,
            "doc": self.document_url,
        }

    @classmethod
    def from_dict(cls, data: dict) -> QueueDial:
        """Back from to_dict()."""
        return cls(
            queue=data["queue"],
            url=data.get("url"),
            action=data.get("action"),
            timeout=data["timeout"],
            started_at=data["started_at"],
            rest=data["rest"],
            document_url=data["doc"],
        )


@dataclass
class CallState:
    """Everything about one call, as plain JSON: who, where the TwiML is, what it waits for, what was heard."""

    call_sid: str
    caller: str
    to: str
    direction: str = "inbound"
    account_sid: str = ACCOUNT_SID
    status: str = "ringing"
    started_at: float = 0.0
    status_url: str | None = "/voice/status"
    extra: dict[str, str] = field(default_factory=dict)  # more fields on every request (StirVerstat, AnsweredBy)
    waiting_for: str | None = None  # None | "gather" | "record" | "queue" | "dial" | "bridged" | "ended"
    document_url: str = ""  # the URL of the TwiML being played (relative URLs and default actions use it)
    pending: Prompt | None = None
    queue: Enqueued | None = None
    dial: QueueDial | None = None
    bridged_with: str | None = None
    bridge: Bridge | None = None
    heard: list[Line] = field(default_factory=list)

    def to_dict(self) -> dict:
        """Plain JSON."""
        return {
            "call_sid": self.call_sid,
            "caller": self.caller,
            "to": self.to,
            "direction": self.direction,
            "account_sid": self.account_sid,
            "status": self.status,
            "started_at": self.started_at,
            "status_url": self.status_url,
            "extra": dict(self.extra),
            "waiting_for": self.waiting_for,
            "document_url": self.document_url,
            "pending": _dict_or_none(self.pending),
            "queue": _dict_or_none(self.queue),
            "dial": _dict_or_none(self.dial),
            "bridged_with": self.bridged_with,
            "bridge": _dict_or_none(self.bridge),
            "heard": [line.to_dict() for line in self.heard],
        }

    @classmethod
    def from_dict(cls, data: dict) -> CallState:
        """Back from to_dict()."""
        data = dict(data)
        for key, kind in (("pending", Prompt), ("queue", Enqueued), ("dial", QueueDial), ("bridge", Bridge)):
            data[key] = kind.from_dict(data[key]) if data.get(key) else None
        data["heard"] = [Line.from_dict(line) for line in data.get("heard", [])]
        return cls(**data)


def _dict_or_none(part) -> dict | None:
    return part.to_dict() if part is not None else None
