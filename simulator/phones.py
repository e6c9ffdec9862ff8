"""The browser phone's phones: what each one is doing, what it heard and read, and the actions that drive the service.

A Board is one browser's set of phones and the switchboard their calls share; it is a plain JSON document kept in
Redis between requests (simulator.store). Every call goes through simulator.driver, which posts the
service's real webhooks as Twilio would; this module only keeps the phones' side: transcripts, texts, ringing.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import secrets
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

from core.phones import display
from settings import Settings
from simulator.driver import CallDriver, CallState, DriverError, Line, Switchboard, Transport, send_text

MAX_LINES = 300  # transcript lines a phone keeps (older ones scroll away)
MAX_TEXTS = 100
AGENT_LINE = "/voice/agent"
RING_SECONDS = 60  # Twilio's default: a call nobody answers ends as no-answer after this long


class PhoneError(Exception):
    """Why an action cannot be done now, in words for the person at the phone."""


@dataclass
class Phone:
    """One phone on the page: a resident's (its own fictional number) or an agent's (a number from [[agents]])."""

    id: str
    label: str
    number: str
    agent: str | None = None
    call: dict | None = None  # the CallState of the call in progress (simulator.driver), as JSON
    lines: list[dict] = field(default_factory=list)  # what this phone heard, every call, numbered
    texts: list[dict] = field(default_factory=list)  # its SMS thread, numbered
    ringing: dict | None = None  # an outbound call from the service, not answered yet: {"sid", "url", "from"}
    outbox_after: int = 0  # the last development-mode outbox item already delivered to this phone
    seq: int = 0

    def hear(self, lines: list[Line]) -> None:
        """Add lines to the transcript, numbered so the browser draws (and speaks) only the new ones."""
        for line in lines:
            self.seq += 1
            self.lines.append({"n": self.seq, **line.to_dict()})
        del self.lines[:-MAX_LINES]

    def note(self, text: str) -> None:
        """A line of the phone's own (ringing, missed call), not something the service said."""
        self.hear([Line(speaker="system", text=text, language=None, kind="event")])

    def read(self, sender: str, body: str) -> None:
        """Add a text to the thread: "me" for what this phone sent, "service" for the service's texts."""
        self.seq += 1
        self.texts.append({"n": self.seq, "from": sender, "body": body})
        del self.texts[:-MAX_TEXTS]


@dataclass
class Board:
    """One browser's phones, the switchboard their calls share, and the token its posts must carry."""

    csrf: str
    phones: list[Phone] = field(default_factory=list)
    switchboard: dict | None = None
    made: int = 0

    @classmethod
    def new(cls) -> Board:
        """An empty board for a new browser session."""
        return cls(csrf=secrets.token_urlsafe(24))

    @classmethod
    def from_dict(cls, data: dict) -> Board:
        """The board from its JSON document."""
        phones = [Phone(**p) for p in data.get("phones", [])]
        return cls(
            csrf=data["csrf"],
            phones=phones,
            switchboard=data.get("switchboard"),
            made=data.get("made", 0),
        )

    def to_dict(self) -> dict:
        """The board as a JSON document."""
        return asdict(self)

    def phone(self, phone_id: str) -> Phone:
        """The phone with this id; PhoneError when it was removed."""
        for phone in self.phones:
            if phone.id == phone_id:
                return phone
        raise PhoneError("There is no such phone any more; it may have been removed in another tab.")

    def add(self, number: str, *, agent: str | None = None, outbox_after: int = 0) -> Phone:
        """A new phone on the board."""
        self.made += 1
        label = f"{agent}'s agent phone" if agent else f"Phone {self.made}"
        phone = Phone(id=f"p{self.made}", label=label, number=number, agent=agent, outbox_after=outbox_after)
        self.phones.append(phone)
        return phone


class Phones:
    """The actions on a board's phones, each driving the service through the transport (signed webhooks)."""

    def __init__(self, board: Board, transport: Transport, settings: Settings, now: Callable[[], dt.datetime]):
        self.board = board
        self.transport = transport
        self.settings = settings
        self._now = now
        self.switchboard = Switchboard.from_dict(board.switchboard or {})

    def seconds(self) -> float:
        """The app's clock in seconds, which the driver measures waits with (tests move it)."""
        return self._now().timestamp()

    def save_switchboard(self) -> None:
        """Keep the switchboard in the board's document."""
        self.board.switchboard = self.switchboard.to_dict()

    def _driver(self, phone: Phone) -> CallDriver:
        if phone.call is None:
            raise PhoneError("This phone is not in a call. Press “Call 311” first.")
        return CallDriver(
            self.transport, CallState.from_dict(phone.call), switchboard=self.switchboard, now=self.seconds
        )

    def _keep(self, phone: Phone, driver: CallDriver, lines: list[Line]) -> None:
        phone.hear(lines)
        # The transcript keeps what was heard; the call state need not carry it again (smaller documents in Redis).
        state = driver.state
        state.heard = []
        phone.call = None if state.waiting_for in (None, "ended") else state.to_dict()
        self.save_switchboard()

    async def _run(self, phone: Phone, driver: CallDriver, action) -> None:
        """One action on a call; a webhook the service answered with an error drops the call, as Twilio would."""
        before = len(driver.heard)
        try:
            lines = await action()
        except DriverError as exc:
            phone.hear(driver.heard[before:])
            self._drop(phone, driver.state.call_sid)
            phone.note(f"The call was dropped: {exc}")
            raise PhoneError(f"The service answered with an error, so the call was dropped ({exc}).") from None
        self._keep(phone, driver, lines)

    def _drop(self, phone: Phone, call_sid: str) -> None:
        phone.call = None
        self.switchboard.leave(call_sid)
        self.switchboard.end_bridge(call_sid, self.seconds())
        self.save_switchboard()

    async def _start(self, phone: Phone, start) -> None:
        try:
            driver = await start()
        except DriverError as exc:
            phone.note(f"The call failed: {exc}")
            raise PhoneError(f"The service answered with an error ({exc}).") from None
        self._keep(phone, driver, list(driver.heard))

    async def dial(self, phone: Phone) -> None:
        """Call the service (an agent phone calls the agent line) and hear it up to its first question."""
        if phone.call is not None:
            raise PhoneError("This phone is already in a call. Hang up first.")
        if phone.ringing is not None:
            raise PhoneError("This phone is ringing: answer or decline first.")
        to = self.settings.numbers[0]
        phone.note(f"Calling {display(to)}" + (" (the agent line)" if phone.agent else "") + "…")
        await self._start(
            phone,
            lambda: CallDriver.dial(
                self.transport,
                caller=phone.number,
                to=to,
                switchboard=self.switchboard,
                now=self.seconds,
                path=AGENT_LINE if phone.agent else "/voice/incoming",
                account_sid=self.settings.account_sid,
            ),
        )

    async def press(self, phone: Phone, digits: str) -> None:
        """Press keys on the keypad."""
        digits = "".join(c for c in digits if c in "0123456789*#")[:32]
        if not digits:
            raise PhoneError("Press keys 0 to 9, * or #.")
        driver = self._driver(phone)
        secret, before = phone.agent is not None and _asks_pin(phone.call), phone.seq
        await self._run(phone, driver, lambda: driver.press(digits))
        if secret:  # an agent's PIN is never kept in the transcript (nor in Redis)
            for line in phone.lines:
                if line["n"] > before and line["speaker"] == "caller" and line["kind"] == "press":
                    line["text"] = "•" * len(digits.rstrip("#")) + ("#" if digits.endswith("#") else "")

    async def say(self, phone: Phone, text: str, confidence: float) -> None:
        """Say something, as Twilio's speech recognition would hear it, with this confidence."""
        text = " ".join(text.split())[:500]
        if not text:
            raise PhoneError("Type what to say first, or press “Stay silent”.")
        driver = self._driver(phone)
        await self._run(phone, driver, lambda: driver.say(text, confidence=min(1.0, max(0.0, confidence))))

    async def silence(self, phone: Phone) -> None:
        """Say nothing until the prompt times out."""
        driver = self._driver(phone)
        await self._run(phone, driver, driver.silence)

    async def hang_up(self, phone: Phone) -> None:
        """Hang up (the service hears the call's final status, and the other side of a bridge is told)."""
        if phone.ringing is not None:
            await self.decline(phone)
            return
        driver = self._driver(phone)
        await self._run(phone, driver, driver.hang_up)
        phone.call = None

    async def tick(self) -> None:
        """Let time pass on every call: prompts time out, queues poll their wait document when Twilio would, an
        agent's Dial takes the next caller, and a bridge the other side hung up is wound up."""
        for phone in self.board.phones:
            if phone.call is not None:
                driver = self._driver(phone)
                with contextlib.suppress(PhoneError):  # noted on the phone; the other phones carry on
                    await self._run(phone, driver, driver.tick)
            elif phone.ringing and self.seconds() >= phone.ringing.get("since", 0) + RING_SECONDS:
                await self.decline(phone)  # nobody answered: Twilio gives up and tells the service "no-answer"

    async def answer(self, phone: Phone) -> None:
        """Answer the service's call ringing on this phone (a call-back) and hear it."""
        ringing = phone.ringing
        if ringing is None:
            raise PhoneError("Nothing is ringing on this phone.")
        if phone.call is not None:
            raise PhoneError("Hang up the call in progress first.")
        phone.ringing = None
        phone.note("You answered.")
        await self._start(
            phone,
            lambda: CallDriver.answer(
                self.transport,
                url=ringing["url"],
                caller=ringing["from"],
                to=phone.number,
                switchboard=self.switchboard,
                now=self.seconds,
                call_sid=ringing["sid"],
                status_url=ringing.get("status_callback") or None,
                account_sid=self.settings.account_sid,
            ),
        )

    async def decline(self, phone: Phone) -> None:
        """Let the service's call ring out (the service hears "no-answer" and tries again later)."""
        ringing = phone.ringing
        if ringing is None:
            raise PhoneError("Nothing is ringing on this phone.")
        phone.ringing = None
        phone.note("The call rang out: nobody answered.")
        if ringing.get("status_callback"):
            await self.transport.post(
                ringing["status_callback"],
                {
                    "CallSid": ringing["sid"],
                    "AccountSid": self.settings.account_sid,
                    "From": ringing["from"],
                    "To": phone.number,
                    "CallStatus": "no-answer",
                    "Direction": "outbound-api",
                    "CallDuration": "0",
                    "ApiVersion": "2010-04-01",
                },
            )

    async def text(self, phone: Phone, body: str) -> None:
        """Text the service and read its replies."""
        body = body.strip()[:1600]
        if not body:
            raise PhoneError("Type a text first.")
        phone.read("me", body)
        try:
            replies = await send_text(
                self.transport,
                sender=phone.number,
                to=self.settings.numbers[0],
                body=body,
                account_sid=self.settings.account_sid,
            )
        except DriverError as exc:
            raise PhoneError(f"The service answered with an error ({exc}).") from None
        for line in replies:
            phone.read("service", line.text)

    def remove(self, phone: Phone) -> None:
        """Take a phone off the board (hang up first)."""
        if phone.call is not None:
            raise PhoneError("Hang up first, then remove the phone.")
        self.board.phones.remove(phone)

    def deliver(self, phone: Phone, item) -> None:
        """A text or call the service sent (development mode's outbox) arrives on this phone."""
        phone.outbox_after = max(phone.outbox_after, item.id)
        if item.kind == "sms":
            phone.read("service", item.body)
            return
        if phone.call is not None or phone.ringing is not None:
            phone.note(f"Missed call from {display(item.from_number)}: this phone was busy.")
            return
        phone.ringing = {
            "since": self.seconds(),
            "sid": item.sid,
            "url": item.body,
            "from": item.from_number,
            "status_callback": status_callback_for(item.body),
        }
        phone.note(f"Ringing: {display(item.from_number)} is calling this phone.")


def _asks_pin(call: dict | None) -> bool:
    """Whether the call waits at the agent line's PIN prompt."""
    pending = (call or {}).get("pending") or {}
    return (
        call is not None
        and call.get("waiting_for") == "gather"
        and "/voice/agent/pin" in str(pending.get("attrs", {}).get("action", ""))
    )


def status_callback_for(url: str) -> str:
    """The status callback the service gave with a call-back's call (the outbox keeps only the answer URL)."""
    return (
        url.replace("/voice/callback/answer?", "/voice/callback/status?", 1) if "/voice/callback/answer?" in url else ""
    )
