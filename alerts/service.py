"""Alert episodes: one per rule or spike from the evaluation it first fired to the one it stopped, every change
recorded in the audit trail; what is started and ended is what on-call supervisors are texted about (once each)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlmodel import Session, select

from alerts.models import AlertEpisode, AlertKind
from alerts.rules import Firing
from core import audit

# An episode ends only after its rule or spike stayed quiet this long, so one that flickers is one episode, one text.
QUIET_MINUTES = 5
ACTOR = "alerts"


@dataclass
class Changes:
    """The episodes this evaluation started and ended."""

    started: list[AlertEpisode] = field(default_factory=list)
    ended: list[AlertEpisode] = field(default_factory=list)


def open_episodes(session: Session) -> list[AlertEpisode]:
    """Every episode not ended, surges first, newest first."""
    rows = session.exec(select(AlertEpisode).where(AlertEpisode.ended_at.is_(None))
                        .order_by(AlertEpisode.started_at.desc(), AlertEpisode.id.desc())).all()
    return sorted(rows, key=lambda row: row.kind is not AlertKind.SURGE)


def reconcile(session: Session, *, firings: list[Firing], now: dt.datetime) -> Changes:
    """Start an episode for each new firing, keep open ones current, end those quiet for QUIET_MINUTES."""
    changes = Changes()
    current = {row.key: row for row in open_episodes(session)}
    for fired in firings:
        row = current.pop(fired.key, None)
        if row is None:
            row = AlertEpisode(kind=fired.kind, key=fired.key[:200], title=fired.title[:200],
                               detail=fired.detail[:1000], count=fired.count, addresses=list(fired.addresses),
                               started_at=now, last_fired_at=now)
            session.add(row)
            session.flush()
            changes.started.append(row)
            audit.record(session, actor=ACTOR, action="alert.start", subject=f"alert:{row.id}", after=_dump(row))
            continue
        row.last_fired_at = now
        if fired.count >= row.count:  # the banner names the spike at its largest
            row.title, row.detail, row.count = fired.title[:200], fired.detail[:1000], fired.count
            row.addresses = list(dict.fromkeys([*row.addresses, *fired.addresses]))[:10]
        session.add(row)
    for row in current.values():
        if now - row.last_fired_at >= dt.timedelta(minutes=QUIET_MINUTES):
            row.ended_at = now
            session.add(row)
            changes.ended.append(row)
            audit.record(session, actor=ACTOR, action="alert.end", subject=f"alert:{row.id}", after=_dump(row))
    return changes


def acted(session: Session, *, episode_id: int, actor: str, now: dt.datetime, what: str) -> AlertEpisode | None:
    """Record that a supervisor acted on an episode (a message put on the air); None when there is no such one."""
    row = session.get(AlertEpisode, episode_id)
    if row is None:
        return None
    row.acted_by, row.acted_at = actor[:100], now
    session.add(row)
    audit.record(session, actor=actor, action="alert.act", subject=f"alert:{row.id}", after={**_dump(row), "did": what})
    return row


def _dump(row: AlertEpisode) -> dict:
    return {"kind": str(row.kind), "key": row.key, "title": row.title, "count": row.count,
            "addresses": list(row.addresses)}
