"""The audit trail: who changed what, when, from what to what. Rows are only ever added, never updated or deleted."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Column, func
from sqlmodel import Field, Session, SQLModel, select

from core import redact
from core.timestamps import stamped

# The key under which an entry keeps what a resident (or someone playing one on the browser phone) said, typed or
# keyed: shown as it is only to supervisors and admins, redacted for everyone else.
RESIDENT_WORDS = "words"
# Every key that holds residents' words: also the question a resident asked (kb.question.add / dismiss).
RESIDENT_WORDS_FIELDS = (RESIDENT_WORDS, "question")


class AuditEntry(SQLModel, table=True):
    """One change, made anywhere (console, API, command line)."""

    __tablename__ = "console_audit"
    id: int | None = Field(default=None, primary_key=True)
    actor: str = Field(max_length=100)
    action: str = Field(max_length=40)
    subject: str = Field(max_length=100)
    before: dict | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    after: dict | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    at: dt.datetime = stamped(index=True)


def record(
    session: Session, *, actor: str, action: str, subject: str, before: dict | None = None, after: dict | None = None
) -> None:
    """Add one entry to the trail, in the caller's transaction (so a change and its audit land together)."""
    session.add(AuditEntry(actor=actor[:100], action=action[:40], subject=subject[:100], before=before, after=after))


def history(session: Session, *, limit: int = 200) -> list[AuditEntry]:
    """The latest changes, newest first."""
    return list(session.exec(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)).all())


def page(session: Session, *, number: int, size: int) -> tuple[list[AuditEntry], int]:
    """One page of the trail, newest first (page 1 is the latest), and how many entries there are in all."""
    total = session.exec(select(func.count()).select_from(AuditEntry)).one()
    rows = session.exec(select(AuditEntry).order_by(AuditEntry.id.desc()).offset((number - 1) * size).limit(size))
    return list(rows.all()), total


def redacted(details: dict | None) -> dict | None:
    """An entry's before/after as readers who may not see residents' words raw see them (core.redact.for_report)."""
    if not details:
        return details
    return {
        key: redact.for_report(str(value)) if key in RESIDENT_WORDS_FIELDS and value else value
        for key, value in details.items()
    }


def as_seen(entry: AuditEntry, *, raw_words: bool) -> AuditEntry:
    """The entry as this reader sees it: residents' words raw only when raw_words (supervisors and admins)."""
    if raw_words:
        return entry
    # A new detached row (never added to a session), so the stored entry is untouched.
    return AuditEntry(
        id=entry.id,
        actor=entry.actor,
        action=entry.action,
        subject=entry.subject,
        before=redacted(entry.before),
        after=redacted(entry.after),
        at=entry.at,
    )
