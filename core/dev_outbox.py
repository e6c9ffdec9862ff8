"""Development mode's stand-in for Twilio's REST client: outbound texts and calls are kept and printed, not sent.

With no TWILIO_ACCOUNT_SID / TWILIO_AUTH_TOKEN (and no TWILIO_API_BASE_URL), `core.twilio_client.make_client`
returns a DevOutbox. Callers keep using `client.messages.create(...)` and `client.calls.create(...)` and get
objects shaped like Twilio's (with .sid); each message is stored in the dev_outbox table and printed as
"[outbox] SMS to +1312…0147: <body>". `recent()` reads them back, newest first, for a browser simulator.
The table is only ever written in development mode, so it never holds real residents' numbers.
"""

from __future__ import annotations

import datetime as dt
import secrets
import sys
from dataclasses import dataclass

from sqlalchemy import Column, Text
from sqlalchemy.engine import Engine
from sqlmodel import Field, Session, SQLModel, select

from core.db import make_engine
from settings import Settings


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class DevOutboxItem(SQLModel, table=True):
    """One text or call that development mode did not send."""

    __tablename__ = "dev_outbox"
    id: int | None = Field(default=None, primary_key=True)
    sid: str = Field(max_length=34, unique=True)
    kind: str = Field(max_length=8)  # "sms" or "call"
    to_number: str = Field(max_length=32, index=True)
    from_number: str = Field(default="", max_length=32)
    body: str = Field(default="", sa_column=Column(Text, nullable=False))  # the text, or the call's TwiML / URL
    created_at: dt.datetime = Field(default_factory=_utcnow, index=True)


@dataclass(frozen=True)
class OutboxMessage:
    """What `messages.create` returns: the fields callers read from Twilio's MessageInstance."""

    sid: str
    to: str
    from_: str
    body: str
    status: str = "sent"
    account_sid: str = ""
    num_segments: str = "1"


@dataclass(frozen=True)
class OutboxCall:
    """What `calls.create` returns: the fields callers read from Twilio's CallInstance."""

    sid: str
    to: str
    from_: str
    status: str = "queued"
    account_sid: str = ""


def shown(number: str) -> str:
    """A number as the terminal shows it: enough to tell test phones apart, not the whole number."""
    return f"{number[:5]}…{number[-4:]}" if len(number) > 9 else number


class DevOutbox:
    """Looks like twilio.rest.Client to its callers: .messages.create and .calls.create."""

    def __init__(self, settings: Settings, engine: Engine | None = None, echo=None):
        self.settings = settings
        self.account_sid = settings.account_sid
        self._engine = engine
        self._echo = echo or (lambda line: print(line, file=sys.stdout, flush=True))
        self.messages = _Messages(self)
        self.calls = _Calls(self)

    @property
    def engine(self) -> Engine:
        """The database the outbox is kept in (made on first use, as the worker's job context does)."""
        if self._engine is None:
            self._engine = make_engine(self.settings.database_url)
        return self._engine

    def keep(self, kind: str, to: str, sender: str, body: str) -> DevOutboxItem:
        """Store one item, print it, return it."""
        item = DevOutboxItem(sid=("SM" if kind == "sms" else "CA") + secrets.token_hex(16), kind=kind, to_number=to,
                             from_number=sender, body=body)
        with Session(self.engine, expire_on_commit=False) as session:
            session.add(item)
            session.commit()
        label = "SMS" if kind == "sms" else "call"
        self._echo(f"[outbox] {label} to {shown(to)}: {body}")
        return item


class _Messages:
    def __init__(self, outbox: DevOutbox):
        self._outbox = outbox

    def create(self, to: str, from_: str = "", body: str = "", **_twilio_options) -> OutboxMessage:
        """Keep the text instead of sending it."""
        item = self._outbox.keep("sms", to, from_, body)
        return OutboxMessage(item.sid, to, from_, body, account_sid=self._outbox.account_sid)


class _Calls:
    def __init__(self, outbox: DevOutbox):
        self._outbox = outbox

    def create(self, to: str, from_: str = "", url: str | None = None, twiml: str | None = None,
               **_twilio_options) -> OutboxCall:
        """Keep the call (what it would play) instead of placing it."""
        item = self._outbox.keep("call", to, from_, str(twiml or url or ""))
        return OutboxCall(item.sid, to, from_, account_sid=self._outbox.account_sid)


def recent(engine: Engine, *, limit: int = 20, to: str | None = None, after_id: int = 0) -> list[DevOutboxItem]:
    """The latest outbox items, newest first; only those to one number, or newer than after_id, when asked."""
    query = select(DevOutboxItem).where(DevOutboxItem.id > after_id)
    if to:
        query = query.where(DevOutboxItem.to_number == to)
    with Session(engine, expire_on_commit=False) as session:
        return list(session.exec(query.order_by(DevOutboxItem.id.desc()).limit(limit)).all())
