"""The vocabulary of a conversation, shared by every channel: inputs, turns, steps and effects."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass, field
from enum import StrEnum

from core.memo import keep_short_answers
from flows.session import CallbackDraft, ReportDraft

Line = tuple[str, str]  # (language, sentence)


class InputKind(StrEnum):
    NONE = "none"
    KEY = "key"
    SPEECH = "speech"
    TEXT = "text"
    RECORDING = "recording"


class Outcome(StrEnum):
    MENU = "menu"
    ANSWERED = "answered"
    CONFIRM = "confirm"
    UNSURE = "unsure"
    NO_INPUT = "no_input"
    INVALID = "invalid"
    AGENT = "agent_requested"
    TEXT_ME = "text_me"
    GOODBYE = "goodbye"
    LANGUAGE = "language"
    TICKET_OPENED = "ticket_opened"
    TICKET_CHECKED = "ticket_checked"
    VOICEMAIL = "voicemail"
    EMERGENCY = "emergency"
    LOST = "lost_place"  # the conversation's session was gone mid-flow (Redis restarted, or it expired)


@dataclass(frozen=True)
class Input:
    kind: InputKind
    value: str = ""
    confidence: float = 1.0  # the speech recognizer's confidence; 1.0 for keys and typed text

    @classmethod
    def none(cls) -> Input:
        """No input: silence, or a step started directly."""
        return cls(InputKind.NONE)

    @property
    def is_language_free(self) -> bool:
        return self.kind in (InputKind.SPEECH, InputKind.TEXT)


@dataclass(frozen=True)
class Action:
    """What choosing an option does: a registered action by name, with its argument (a node, an article...)."""

    name: str
    arg: str = ""


def goto(node: str) -> Action:
    """The action that moves to a node."""
    return Action("goto", node)


@dataclass(frozen=True)
class Option:
    key: str
    action: Action
    label: str
    words: tuple[str, ...] = ()
    style: str | None = None  # how it is read, when not as the menu's others ("To go back, press star." in a list)


@dataclass(frozen=True)
class Step:
    """What one turn did, for the call record and the metrics."""

    node: str
    outcome: Outcome
    input_kind: InputKind
    input_value: str = ""
    article_id: str | None = None
    confidence: float | None = None


@dataclass
class Turn:
    """What to tell the resident next and what input to wait for."""

    language: str
    node: str
    lines: list[Line] = field(default_factory=list)
    prompt: list[Line] = field(default_factory=list)
    options: list[Option] = field(default_factory=list)
    free_text: bool = False
    hints: list[str] = field(default_factory=list)
    end: bool = False
    steps: list[Step] = field(default_factory=list)
    transfer: str | None = None
    list_options: bool = True  # False when the prompt already names the choices (a text's "did you mean")
    option_style: str = "press_option"  # wording key for reading an option: "To {label}, press {key}."
    expect: str = "menu"  # "menu" (a key or words), "speech" (words only), "digits", "record"
    num_digits: int = 1
    effect: Effect | None = None  # carried out by flows.effects, then Conversation.resume()


_PUNCTUATION = re.compile(r"[^\w\s]")


@keep_short_answers(longest=40, most=4096)  # the menus' and keywords' own words are folded on every turn
def fold(text: str) -> str:
    """Lower-case, accent-free, punctuation-free text for comparing what people say."""
    text = unicodedata.normalize("NFKD", text.lower())
    text = "".join(c for c in text if not unicodedata.combining(c))
    return " ".join(_PUNCTUATION.sub(" ", text).split())


@dataclass(frozen=True)
class OpenTicket:
    """Effect: open a ticket from the draft the resident gave."""

    draft: ReportDraft


@dataclass(frozen=True)
class LookupTicket:
    """Effect: look up a ticket by its number."""

    number: str


@dataclass(frozen=True)
class EnterQueue:
    """Effect: decide whether the caller can wait for a person now (open, queue not full, wait not too long)."""

    language: str




@dataclass(frozen=True)
class SaveVoicemail:
    """Effect: keep a voice message for staff to return the call."""

    recording_url: str


@dataclass(frozen=True)
class SendText:
    """Effect: text the resident's own number; the conversation then says whether it went, and if not, why."""

    body: str
    kind: str  # "answer", "ticket": for the outbound record
    then: str  # the step shown afterwards
    sent_line: str  # the wording key said when it goes
    ticket_number: str | None = None
    to: str | None = None  # another number than the resident's own (a call-back number they keyed in)


class TextResult(StrEnum):
    """What became of a text the conversation asked for (SendText): sent, or why not. Each value names its wording."""

    SENT = "sent"
    NO_NUMBER = "no_number"  # no number to text (caller ID withheld)
    NOT_ALLOWED = "not_allowed"  # not a line we text (premium-rate, foreign, short code)
    OPTED_OUT = "opted_out"  # the number texted STOP
    CALL_LIMIT = "call_limit"  # this call already had its texts
    NUMBER_LIMIT = "number_limit"  # the number had its texts today
    SERVICE_LIMIT = "service_limit"  # the service's hourly cap


@dataclass(frozen=True)
class TextOutcome:
    """The answer to SendText."""

    status: TextResult
    effect: SendText


@dataclass(frozen=True)
class FindSlots:
    """Effect: the next free call-back times, and whether the request a call-back is about exists."""

    ticket_number: str | None = None


@dataclass(frozen=True)
class SlotOffer:
    """The answer to FindSlots."""

    slots: list[dt.datetime]
    ticket_found: bool | None = None  # None: the call-back is about no request


@dataclass(frozen=True)
class BookCallback:
    """Effect: book the call-back the resident asked for, or update their number's active one."""

    draft: CallbackDraft


class BookingResult(StrEnum):
    """What became of a call-back the conversation asked to book (BookCallback): booked, or why not."""

    BOOKED = "booked"
    UPDATED = "updated"  # the number's active call-back was changed instead
    OWNER_ASKED = "owner_asked"  # another line's number: its owner confirms by text (one neutral sentence)
    NOT_ALLOWED = "not_allowed"  # not a line we call
    NUMBER_LIMIT = "number_limit"
    REQUESTER_LIMIT = "requester_limit"
    SERVICE_LIMIT = "service_limit"
    IN_PROGRESS = "in_progress"  # the number's call-back is being placed right now
    SLOT_TAKEN = "slot_taken"


@dataclass(frozen=True)
class CallbackBooking:
    """The answer to BookCallback."""

    status: BookingResult
    due_at: dt.datetime | None = None


@dataclass(frozen=True)
class CancelCallback:
    """Effect: cancel the call-back booked for this number."""

    phone: str


class CancelResult(StrEnum):
    """What became of a cancellation the conversation asked for (CancelCallback)."""

    CANCELLED = "cancelled"
    NONE = "none"  # nothing booked
    IN_PROGRESS = "in_progress"  # we are calling now


@dataclass(frozen=True)
class CallbackCancelled:
    """The answer to CancelCallback."""

    status: CancelResult
    due_at: dt.datetime | None = None
    kind: str | None = None


@dataclass(frozen=True)
class RecallAddress:
    """Effect: the address this number chose to have remembered (places.remembered), if any."""


@dataclass(frozen=True)
class KeepAddress:
    """Effect: remember this point for the number's next call or text (label None: they said no, asked once)."""

    label: str | None


@dataclass(frozen=True)
class ForgetAddress:
    """Effect: forget the address remembered for this number."""


Effect = (RecallAddress | KeepAddress | ForgetAddress | OpenTicket | LookupTicket | EnterQueue | SaveVoicemail
          | SendText | FindSlots | BookCallback | CancelCallback)
