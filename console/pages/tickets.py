"""The tickets pages: every request filtered and paged, and one request with its history, its recording, a status
change with a note (closing texts the residents who asked) and marking it a duplicate of another.

Residents' tickets are personal data: reading them needs the "supervisor" scope as well as changing them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from urllib.parse import urlencode

from starlette.authentication import requires
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from console import recordings, tickets
from console.pages.forms import checked_form, text
from console.pages.recording import play
from console.pages.render import page
from console.tickets import PAGE_SIZE, SETTABLE, STATUS_LABELS, TicketChangeError, TicketFilter
from core.phones import mask
from crm_bridge import ticket_numbers
from crm_bridge.models import TicketStatus

HERE = "/console/tickets"
DONE = {
    "status": "The status is changed and kept in the history.",
    "closed": "The ticket is closed. Residents who asked to be told are being texted the note.",
    "duplicate": "The ticket is marked as a duplicate; its reporters hear when the original closes.",
    "opened": "The ticket is opened from the voice message, which is marked handled.",
}


def page_number(raw: str, most: int) -> int:
    """A page number from the address bar: 1 unless it is a plain positive number, and never past `most`."""
    # ASCII digits only, and few of them: int() refuses "²" and numbers of thousands of digits with an error.
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 9 or int(raw) < 1:
        return 1
    return min(int(raw), most)


@dataclass
class ListForm:
    """The list's filters as typed (kept to show again) and what is wrong with them."""

    service_code: str = ""
    status: str = ""
    created_from: str = ""
    created_to: str = ""
    address: str = ""
    overdue: bool = False
    page: int = 1
    errors: dict[str, str] = field(default_factory=dict)

    @classmethod
    def read(cls, query) -> ListForm:
        raw_page = query.get("page", "1")
        return cls(
            service_code=query.get("type", "").strip()[:80],
            status=query.get("status", "").strip()[:20],
            created_from=query.get("from", "").strip()[:40],
            created_to=query.get("to", "").strip()[:40],
            address=query.get("address", "").strip()[: tickets.MAX_ADDRESS_FILTER * 2],
            overdue=query.get("overdue", "") == "1",
            page=page_number(raw_page, tickets.MAX_PAGE),
        )

    def checked(self, *, types: dict[str, str], zone) -> TicketFilter:
        """The filter to apply; a field that is wrong is named in `errors` and left out."""
        if self.service_code and self.service_code not in types:
            self.errors["type"] = "choose a type from the list"
        if self.status and self.status not in STATUS_LABELS:
            self.errors["status"] = "choose a status from the list"
        if len(self.address) > tickets.MAX_ADDRESS_FILTER:
            self.errors["address"] = f"at most {tickets.MAX_ADDRESS_FILTER} characters"
        start, end = self._day("from", self.created_from, zone), self._day("to", self.created_to, zone)
        if start and end and end < start:
            self.errors["to"] = "the last day is before the first day"
        return TicketFilter(
            service_code=self.service_code if "type" not in self.errors else "",
            status=self.status if "status" not in self.errors else "",
            created_from=start if "to" not in self.errors else None,
            created_before=end + dt.timedelta(days=1) if end and "to" not in self.errors else None,
            address=self.address if "address" not in self.errors else "",
            overdue=self.overdue,
        )

    def _day(self, name: str, value: str, zone) -> dt.datetime | None:
        if not value:
            return None
        try:
            day = dt.date.fromisoformat(value)
        except ValueError:
            self.errors[name] = "use a date like 2026-11-17"
            return None
        return dt.datetime.combine(day, dt.time(0), tzinfo=zone)  # the city's midnight

    def query(self, **changes) -> str:
        """The list's address with these filters (and changes), for paging links."""
        values = {
            "type": self.service_code,
            "status": self.status,
            "from": self.created_from,
            "to": self.created_to,
            "address": self.address,
            "overdue": "1" if self.overdue else "",
            "page": str(self.page),
            **changes,
        }
        return f"{HERE}?{urlencode({k: v for k, v in values.items() if v})}"


@requires("supervisor")
async def tickets_page(request: Request) -> Response:
    """Tickets, newest first, filtered by type, status, creation dates, address and overdue; paged, with counts."""
    ctx = request.app.state.ctx
    types = tickets.type_names(ctx)
    form = ListForm.read(request.query_params)
    wanted = form.checked(types=types, zone=ctx.settings.timezone)
    now = ctx.now()
    found = await tickets.find(ctx, wanted=wanted, now=now, number=form.page)
    pages = max(1, -(-found.total // PAGE_SIZE))
    return page(
        request,
        "tickets.html",
        status_code=422 if form.errors else 200,
        form=form,
        found=found,
        pages=pages,
        size=PAGE_SIZE,
        types=types,
        labels=STATUS_LABELS,
        now=now,
        overdue=tickets.is_overdue,
        filtered=wanted != TicketFilter(),
        printed=ticket_numbers.printed,
        by_status=[f"{found.by_status[v]} {label}" for v, label in STATUS_LABELS.items() if found.by_status.get(v)],
    )


@dataclass
class ChangeForm:
    """The detail page's two forms as typed, and what is wrong with them."""

    status: str = ""
    note: str = ""
    original: str = ""
    duplicate_note: str = ""
    errors: dict[str, str] = field(default_factory=dict)


async def _detail(request: Request, number: str, form: ChangeForm, *, status_code: int = 200) -> Response:
    ctx = request.app.state.ctx
    found = await tickets.one(ctx, number=number)
    if found is None:
        raise HTTPException(404, "There is no ticket with this number.")
    ticket = found.ticket
    return page(
        request,
        "ticket.html",
        status_code=status_code,
        found=found,
        ticket=ticket,
        form=form,
        type_name=tickets.type_names(ctx).get(ticket.service_code, ticket.service_code),
        labels=STATUS_LABELS,
        overdue=tickets.is_overdue(ticket, ctx.now()),
        phone=mask(ticket.phone or ""),
        printed=ticket_numbers.printed,
        settable=[(s, STATUS_LABELS[s]) for s in SETTABLE],
        note_max=tickets.MAX_NOTE,
        playable=recordings.playable(ctx.settings, ticket.recording_url),
        linkable=recordings.linkable(ticket.recording_url),
        done=DONE.get(request.query_params.get("done", ""), ""),
    )


@requires("supervisor")
async def ticket_page(request: Request) -> Response:
    """One ticket: its details, its whole history, the caller's recording, and the forms to move it on."""
    return await _detail(request, request.path_params["number"], ChangeForm())


@requires("supervisor")
async def change_status(request: Request) -> Response:
    """A new status with a note; a mistake shows the page again with what was typed and what is wrong."""
    posted, number = await checked_form(request), request.path_params["number"]
    form = ChangeForm(status=text(posted, "status"), note=text(posted, "note"))
    try:
        ticket = await tickets.set_status(
            request.app.state.ctx, number=number, status=form.status, note=form.note, actor=request.user.actor
        )
    except LookupError:
        raise HTTPException(404, "There is no ticket with this number.") from None
    except TicketChangeError as exc:
        form.errors[exc.field] = str(exc)
        return await _detail(request, number, form, status_code=422)
    return _back(number, "closed" if ticket.status == TicketStatus.CLOSED else "status")


@requires("supervisor")
async def mark_duplicate(request: Request) -> Response:
    """Mark the ticket a duplicate of another ticket number."""
    posted, number = await checked_form(request), request.path_params["number"]
    form = ChangeForm(original=text(posted, "original"), duplicate_note=text(posted, "duplicate_note"))
    try:
        await tickets.set_duplicate(
            request.app.state.ctx,
            number=number,
            original=form.original,
            note=form.duplicate_note,
            actor=request.user.actor,
        )
    except LookupError:
        raise HTTPException(404, "There is no ticket with this number.") from None
    except TicketChangeError as exc:
        form.errors[exc.field] = str(exc)
        return await _detail(request, number, form, status_code=422)
    return _back(number, "duplicate")


@requires("supervisor")
async def recording(request: Request) -> Response:
    """The caller's recording, fetched from Twilio with the account's credentials (never the browser's)."""
    ctx = request.app.state.ctx
    found = await tickets.one(ctx, number=request.path_params["number"])
    if found is None or not found.ticket.recording_url:
        raise HTTPException(404, "This ticket has no recording.")
    return await play(ctx.settings, found.ticket.recording_url)


def _back(number: str, done: str) -> Response:
    # Post/redirect/get: reloading the page never repeats the change.
    return RedirectResponse(f"{HERE}/{number}?{urlencode({'done': done})}#done", status_code=303)
