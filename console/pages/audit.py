"""The audit page: every change made anywhere (console, API, command line), newest first, read-only, paged."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.authentication import requires
from starlette.requests import Request
from starlette.responses import Response

from console import service
from console.pages.render import page
from core import audit
from core.defaults import CONSOLE_AUDIT_PAGE_SIZE

MAX_PAGE = 100_000  # keeps the database's OFFSET bounded whatever the address bar says


@dataclass(frozen=True)
class Change:
    """One field of an audited record: what it was and what it became (None: absent on that side)."""

    field: str
    before: object
    after: object


def changes(before: dict | None, after: dict | None) -> list[Change]:
    """The fields that differ between before and after, in the order the record lists them."""
    before, after = before or {}, after or {}
    keys = [*before, *(k for k in after if k not in before)]
    return [Change(k, before.get(k), after.get(k)) for k in keys if before.get(k) != after.get(k)]


def _page_number(raw: str) -> int:
    return min(int(raw), MAX_PAGE) if raw.isdigit() and int(raw) > 0 else 1


@requires("read")
async def audit_page(request: Request) -> Response:
    """A page of the trail: when, who, what, and each field's before → after."""
    number = _page_number(request.query_params.get("page", "1"))
    rows, total = await service.audit_page(request.app.state.ctx, number=number, size=CONSOLE_AUDIT_PAGE_SIZE)
    pages = max(1, -(-total // CONSOLE_AUDIT_PAGE_SIZE))
    # Residents' words (what was said, typed or keyed) raw only for supervisors and admins; redacted for the rest.
    raw_words = "supervisor" in request.auth.scopes
    rows = [audit.as_seen(row, raw_words=raw_words) for row in rows]
    entries = [(row, changes(row.before, row.after)) for row in rows]
    return page(
        request, "audit.html", entries=entries, number=number, pages=pages, total=total, size=CONSOLE_AUDIT_PAGE_SIZE
    )
