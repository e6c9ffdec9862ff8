"""The hours page: close now with a reason, open late, add a holiday, at once or scheduled; reopen or cancel.

Every change goes through console.hours, which stores and audits it and moves the hours stamp in Redis, so every web
process and worker applies it to the next call or text.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from urllib.parse import urlencode

from starlette.authentication import requires
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from console import hours
from console.pages.forms import checked_form, text
from console.pages.render import page
from core.calendar import ChangeKind
from hours.service import MAX_REASON, ChangeRequest, HoursChangeError

HERE = "/console/hours"
KINDS = {
    ChangeKind.CLOSE: "Closed",
    ChangeKind.OPEN: "Open",
    ChangeKind.HOLIDAY: "Holiday",
}
DONE = {
    "close": "Closed: the next caller hears the reason, and nobody joins the queue.",
    "open": "Opened: agents' calls go through in the window you gave.",
    "holiday": "The holiday is added: the line is closed to agents all that day.",
    "cancel": "Cancelled: the regular hours apply again from the next call.",
}


@dataclass
class HoursForm:
    """One of the page's three forms as typed, and an error per field name."""

    kind: str = ""
    reason: dict[str, str] = field(default_factory=dict)
    starts_at: str = ""
    ends_at: str = ""
    until: str = ""  # "open late until 22:00": a time today
    day: str = ""
    errors: dict[str, str] = field(default_factory=dict)

    @classmethod
    def read(cls, form: FormData, languages: list[str]) -> HoursForm:
        return cls(kind=text(form, "kind"),
                   reason={code: str(form.get(f"reason-{code}", ""))[: MAX_REASON * 4] for code in languages},
                   starts_at=text(form, "starts_at"), ends_at=text(form, "ends_at"), until=text(form, "until"),
                   day=text(form, "day"))

    def request(self, *, zone, now: dt.datetime) -> ChangeRequest | None:
        """The change asked for, or None with `errors` filled."""
        self.errors = {}
        try:
            kind = ChangeKind(self.kind)
        except ValueError:
            self.errors["kind"] = "choose close, open or holiday"
            return None
        reason = {code: value for code, value in self.reason.items() if value.strip()}
        if kind is ChangeKind.HOLIDAY:
            try:
                day = dt.date.fromisoformat(self.day)
            except ValueError:
                self.errors["day"] = "give the date, like 2026-12-26"
                return None
            starts = dt.datetime.combine(day, dt.time(0), tzinfo=zone)
            ends = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), tzinfo=zone)
            return ChangeRequest(kind, starts.astimezone(dt.UTC), ends.astimezone(dt.UTC), reason)
        starts = self._moment("starts_at", self.starts_at, zone) or now
        ends = self._moment("ends_at", self.ends_at, zone)
        if kind is ChangeKind.OPEN and self.until:
            try:
                until = dt.time.fromisoformat(self.until)
            except ValueError:
                self.errors["until"] = "give a time like 22:00"
                return None
            ends = dt.datetime.combine(starts.astimezone(zone).date(), until, tzinfo=zone)
        if self.errors:
            return None
        return ChangeRequest(kind, starts.astimezone(dt.UTC), ends.astimezone(dt.UTC) if ends else None, reason)

    def _moment(self, name: str, value: str, zone) -> dt.datetime | None:
        if not value:
            return None
        try:
            moment = dt.datetime.fromisoformat(value)
        except ValueError:
            self.errors[name] = "use a date and time like 2026-11-17 14:30"
            return None
        return moment.replace(tzinfo=zone) if moment.tzinfo is None else moment


def _languages(request: Request) -> list[str]:
    return [language.code for language in request.app.state.ctx.settings.languages]


async def _render(request: Request, form: HoursForm, *, status_code: int = 200) -> Response:
    ctx = request.app.state.ctx
    return page(request, "hours.html", status_code=status_code, form=form, now=await hours.hours_now(ctx),
                kinds=KINDS, languages=ctx.settings.languages, max_reason=MAX_REASON,
                done=DONE.get(request.query_params.get("done", ""), ""),
                may_change="messages" in request.auth.scopes)


@requires("read")
async def hours_page(request: Request) -> Response:
    """Open or closed now and why, the changes in force or to come, and (for supervisors) the three forms."""
    return await _render(request, HoursForm())


@requires("messages")
async def change(request: Request) -> Response:
    """Close, open late or add a holiday; a mistake shows the page again with what is wrong."""
    ctx = request.app.state.ctx
    form = HoursForm.read(await checked_form(request), _languages(request))
    wanted = form.request(zone=ctx.settings.timezone, now=ctx.now())
    if wanted is None:
        return await _render(request, form, status_code=422)
    try:
        await hours.change_hours(ctx, request=wanted, actor=request.user.actor)
    except HoursChangeError as exc:
        form.errors[exc.field.replace("reason.", "reason-")] = str(exc)
        return await _render(request, form, status_code=422)
    return _back({"done": str(wanted.kind)})


@requires("messages")
async def cancel(request: Request) -> Response:
    """Reopen after a closure, or cancel a scheduled change."""
    await checked_form(request)
    ended = await hours.cancel_change(request.app.state.ctx, change_id=request.path_params["id"],
                                      actor=request.user.actor)
    if ended is None:
        raise HTTPException(404, "There is no such change in force; it may have ended already.")
    return _back({"done": "cancel"})


def _back(query: dict) -> Response:
    return RedirectResponse(f"{HERE}?{urlencode(query)}#done", status_code=303)
