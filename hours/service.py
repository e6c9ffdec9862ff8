"""Hours changes: checked, stored, cancelled, every step audited; the calendar reads the ones still to come."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlmodel import Session, or_, select

from core import audit, text_rules
from core.calendar import ChangeKind, HoursChange
from hours.models import HoursChangeRow

MAX_REASON = 300  # about 20 seconds of speech
MAX_AHEAD = dt.timedelta(days=366)


class HoursChangeError(ValueError):
    """A change that cannot be made; `field` names the form field at fault."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class ChangeRequest:
    """What a supervisor asks for: a kind, a window (ends_at None: a closure until reopened), reasons by language."""

    kind: ChangeKind
    starts_at: dt.datetime
    ends_at: dt.datetime | None
    reason: dict[str, str]


def check(request: ChangeRequest, *, languages: list[str], now: dt.datetime) -> ChangeRequest:
    """A change callers can hear: reasons in configured languages, plain words, a window that makes sense."""
    reasons = {}
    for code, text in request.reason.items():
        if code not in languages:
            raise HoursChangeError(f"reason.{code}", f"{code!r} is not a configured language ({', '.join(languages)})")
        problem = text_rules.refusal(str(text))
        if problem:
            raise HoursChangeError(f"reason.{code}", f"the reason {problem}")
        text = " ".join(str(text).split())
        if len(text) > MAX_REASON:
            raise HoursChangeError(f"reason.{code}", f"the reason is {len(text)} characters; at most {MAX_REASON}")
        if any(mark in text for mark in "<>{}"):
            raise HoursChangeError(f"reason.{code}", "markup (<, >, braces) is not allowed; write plain words")
        if text:
            reasons[code] = text
    if request.kind is not ChangeKind.OPEN and not reasons:
        what = "holiday's name" if request.kind is ChangeKind.HOLIDAY else "reason callers hear"
        raise HoursChangeError(f"reason.{languages[0]}", f"give the {what} in at least one language")
    if request.ends_at is None and request.kind is not ChangeKind.CLOSE:
        raise HoursChangeError("ends_at", "give the time it ends")
    if request.ends_at is not None and request.ends_at <= max(request.starts_at, now):
        raise HoursChangeError("ends_at", "the end must be later than the start and than now")
    if request.starts_at > now + MAX_AHEAD:
        raise HoursChangeError("starts_at", "schedule changes at most a year ahead")
    return ChangeRequest(request.kind, request.starts_at, request.ends_at, reasons)


def create(session: Session, *, request: ChangeRequest, languages: list[str], now: dt.datetime,
           actor: str) -> HoursChangeRow:
    """Store a checked change and audit it (the caller publishes it to every process)."""
    request = check(request, languages=languages, now=now)
    row = HoursChangeRow(kind=request.kind, starts_at=request.starts_at, ends_at=request.ends_at,
                         reason=request.reason, created_by=actor[:100], created_at=now)
    session.add(row)
    session.flush()
    audit.record(session, actor=actor, action=f"hours.{request.kind}", subject=f"hours:{row.id}", after=_dump(row))
    return row


def cancel(session: Session, *, change_id: int, now: dt.datetime, actor: str) -> HoursChangeRow | None:
    """End a change now (reopen after a closure) or drop a scheduled one; audited. None: no such change in force."""
    row = session.get(HoursChangeRow, change_id)
    if row is None or row.cancelled_at is not None or (row.ends_at is not None and row.ends_at <= now):
        return None
    before = _dump(row)
    row.cancelled_at, row.cancelled_by = now, actor[:100]
    session.add(row)
    audit.record(session, actor=actor, action="hours.cancel", subject=f"hours:{row.id}", before=before,
                 after=_dump(row))
    return row


def upcoming(session: Session, *, now: dt.datetime) -> list[HoursChangeRow]:
    """Every change in force now or still to come, soonest first."""
    return list(session.exec(
        select(HoursChangeRow)
        .where(HoursChangeRow.cancelled_at.is_(None),
               or_(HoursChangeRow.ends_at.is_(None), HoursChangeRow.ends_at > now))
        .order_by(HoursChangeRow.starts_at, HoursChangeRow.id)
    ).all())


def in_force(session: Session, *, now: dt.datetime) -> list[HoursChange]:
    """What every process's calendar applies: the changes not cancelled and not over."""
    return [row.change() for row in upcoming(session, now=now)]


def _dump(row: HoursChangeRow) -> dict:
    return {
        "kind": str(row.kind),
        "starts_at": row.starts_at.isoformat(),
        "ends_at": row.ends_at.isoformat() if row.ends_at else None,
        "reason": dict(row.reason),
        "cancelled_at": row.cancelled_at.isoformat() if row.cancelled_at else None,
    }
