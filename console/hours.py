"""The console's hours operations: each stores and audits a change, then moves the hours stamp so every process
applies it on its next request (hours.cache)."""

from __future__ import annotations

from dataclasses import dataclass

from core.calendar import ChangeKind
from core.context import AppContext
from core.db import run_db
from hours import service
from hours.cache import publish
from hours.models import HoursChangeRow
from hours.service import ChangeRequest


@dataclass(frozen=True)
class ChangeView:
    """One change as the hours page and Live show it."""

    id: int
    kind: ChangeKind
    starts_at: str
    ends_at: str | None
    reason: dict[str, str]
    created_by: str
    in_force: bool


@dataclass(frozen=True)
class HoursNow:
    """Whether agents answer now, why not, and the changes in force or to come."""

    is_open: bool
    why: str
    changes: list[ChangeView]


def _view(row: HoursChangeRow, now) -> ChangeView:
    return ChangeView(row.id, row.kind, row.starts_at.isoformat(), row.ends_at.isoformat() if row.ends_at else None,
                      dict(row.reason), row.created_by, row.change().covers(now))


async def change_hours(ctx: AppContext, *, request: ChangeRequest, actor: str) -> ChangeView:
    """Store a change (closure, opening, holiday) and apply it in every process from the next call."""
    now = ctx.now()
    languages = [language.code for language in ctx.settings.languages]
    row = await run_db(ctx.engine, service.create, request=request, languages=languages, now=now, actor=actor)
    await publish(ctx.redis)
    return _view(row, now)


async def cancel_change(ctx: AppContext, *, change_id: int, actor: str) -> ChangeView | None:
    """End a change now (reopen) or drop a scheduled one; None when there is no such change in force."""
    now = ctx.now()
    row = await run_db(ctx.engine, service.cancel, change_id=change_id, now=now, actor=actor)
    if row is not None:
        await publish(ctx.redis)
    return None if row is None else _view(row, now)


async def hours_now(ctx: AppContext) -> HoursNow:
    """What Live and the hours page show: open or closed now (and why), with the changes in force or to come."""
    now = ctx.now()
    rows = await run_db(ctx.engine, service.upcoming, now=now)
    state = ctx.calendar.state(now)
    default = ctx.settings.default_language.code
    if state.is_open:
        why = "Agents are answering."
    elif state.closure is not None:
        why = f"Closed by a supervisor: {state.closure.said(default)}"
    elif state.holiday:
        why = f"Closed for {state.holiday}."
    else:
        why = "Outside agent hours."
    return HoursNow(state.is_open, why, [_view(row, now) for row in rows])
