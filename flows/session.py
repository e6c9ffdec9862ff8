"""A conversation's state between turns, typed: what the resident chose, what they are reporting, what we owe them.

Stored as JSON in Redis (flows.sessions); unknown fields from an older release are ignored when it is read back.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Awaiting = Literal["ticket", "lookup", "queue", "voicemail", "text", "callback_slots", "callback", "callback_cancel",
                   "recall", "keep_address", "forget_address"]


class PlaceNote(BaseModel):
    """A point on the city's map the resident's words matched (places.matching.Candidate, as the session keeps it)."""

    model_config = ConfigDict(extra="ignore")
    label: str  # as the map writes it: "1205 N Main St"
    spoken: str  # as it is read back: "1205 North Main Street"
    latitude: float
    longitude: float
    confidence: float = 1.0
    areas: dict[str, str] = Field(default_factory=dict)  # "trash.day": "Thursday", once confirmed


class Locating(BaseModel):
    """Where the resident is, being asked (flows.steps.reporting's address step): for a report or an answer."""

    model_config = ConfigDict(extra="ignore")
    address: str | None = None
    point: PlaceNote | None = None  # the matched point, read back and then confirmed
    choices: list[PlaceNote] = Field(default_factory=list)  # two or three close matches offered
    location_tries: int = 0  # addresses not found on the map so far
    flagged: bool = False  # not found twice: the words are kept for an agent to place


class AddressQuestion(Locating):
    """A question whose answer depends on where the resident is (an article with a place_answer)."""

    article: str
    recalled: bool = False  # the point is the one remembered from last time
    offer_to_remember: bool = False  # this number was never asked whether to remember its address


class ReportDraft(Locating):
    """A problem report being taken, step by step."""

    service: str | None = None
    attrs: dict[str, str] = Field(default_factory=dict)
    attr_i: int = 0
    details: str | None = None
    recording: str | None = None
    phone: str | None = None
    notify: bool = False


class CallbackDraft(BaseModel):
    """A call-back being asked for, step by step: which kind, the number, the time chosen among those offered."""

    model_config = ConfigDict(extra="ignore")
    kind: str = "scheduled"  # "keep_place" or "scheduled" (callbacks.models.CallbackKind)
    source: str = "menu"  # callbacks.models.CallbackSource
    joined_at: dt.datetime | None = None  # keep my place: when the caller first joined the line
    due_at: dt.datetime | None = None
    slots: list[dt.datetime] = Field(default_factory=list)  # the times offered, in the order read
    phone: str | None = None
    topic: str | None = None
    ticket_number: str | None = None
    text_updates: bool = False


class TicketNote(BaseModel):
    """The ticket this conversation opened, to read back."""

    number: str
    expected: dt.datetime
    duplicate_of: str | None = None
    service: str = ""


class Session(BaseModel):
    """Everything a conversation remembers between two inputs."""

    model_config = ConfigDict(extra="ignore")
    lang: str
    channel: str = "voice"  # for records only: steps never branch on it (they read Capabilities)
    phone: str | None = None  # the resident's own number, E.164, when it is a real one
    can_text: bool = False
    call_sid: str = ""
    seq: int = 0  # voice: the turn number, part of each action URL so Twilio's retries are told apart
    from_greeting: bool = False  # voice: begun at the call's greeting, never lost and re-made (ivr.calls.unhandled)
    article: str | None = None  # the article last answered
    pending: str | None = None  # the article we asked the resident to confirm
    retries: dict[str, int] = Field(default_factory=dict)  # silences per node
    awaiting: Awaiting | None = None  # the effect being carried out, to resume after it
    report: ReportDraft | None = None
    asking: AddressQuestion | None = None  # an answer waiting for the resident's address
    to_remember: str | None = None  # the point just answered for, while they are asked whether to remember it
    place_line: str | None = None  # the answer for their address last given: heard again or texted, never re-asked
    ticket: TicketNote | None = None
    checking: str | None = None  # the ticket number being looked up
    node: str | None = None  # text: the question we are waiting for an answer to
    choices: list[str] = Field(default_factory=list)  # text: the articles offered as "did you mean" choices
    texts_sent: int = 0  # texts sent to the resident in this conversation (capped per call)
    after_queue: str | None = None  # voice: what the caller chose while waiting ("voicemail", "callback_keep"...)
    callback: CallbackDraft | None = None  # a call-back being asked for
    checked: str | None = None  # the ticket number last found by a status check (a call-back may be about it)

    def draft(self) -> ReportDraft:
        """The report being taken, started if there is none."""
        if self.report is None:
            self.report = ReportDraft()
        return self.report
