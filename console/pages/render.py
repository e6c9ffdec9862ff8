"""Pages from Jinja2 templates, autoescaped, with the signed-in account, its CSRF token and the navigation."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import jinja2
from starlette.requests import Request
from starlette.responses import Response
from starlette.templating import Jinja2Templates

HERE = Path(__file__).resolve().parent
STATIC = HERE / "static"

# Every page the menu may offer, with the scope it needs.
NAV = (
    ("/console/desk", "My calls", "desk"),
    ("/console/live", "Live", "live"),
    ("/console/messages", "Messages", "read"),
    ("/console/hours", "Hours", "read"),
    ("/console/knowledge", "Knowledge base", "kb"),
    ("/console/tickets", "Tickets", "supervisor"),
    ("/console/voicemails", "Voicemail", "supervisor"),
    ("/console/agents", "Agents", "supervisor"),
    ("/console/contacts", "Contacts", "supervisor"),
    ("/console/callbacks", "Call-backs", "read"),
    ("/console/menus", "Menus", "read"),
    ("/console/reports", "Reports", "read"),
    ("/console/scenarios", "Scenarios", "messages"),
    ("/console/simulator", "Browser phone", "messages"),
    ("/console/audit", "Audit", "read"),
    ("/console/accounts", "Accounts", "admin"),
)


def local_time(value: dt.datetime | str | None, zone) -> str:
    """A moment as the city's clock shows it, to the minute."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(zone).strftime("%Y-%m-%d %H:%M")


def duration(seconds: float | int | None) -> str:
    """Seconds as m:ss (h:mm:ss past an hour); a dash when there is no figure."""
    if seconds is None:
        return "–"
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


def minutes(seconds: float | int) -> str:
    """A wait as people say it: "45 s", "4 min", "3 min 40 s"."""
    seconds = int(round(seconds))
    whole, rest = divmod(seconds, 60)
    if not whole:
        return f"{rest} s"
    return f"{whole} min {rest} s" if rest else f"{whole} min"


def percent(share: float | None) -> str:
    """A share as a whole percentage; a dash when there is none."""
    return "–" if share is None else f"{round(share * 100)} %"


_MOMENT = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})")


def _in_city_time(value, zone):
    # The trail stores moments as UTC ISO strings; the page is in the city's time, so every moment in a value is too.
    if isinstance(value, str) and _MOMENT.fullmatch(value):
        try:
            return local_time(value.replace("Z", "+00:00"), zone)
        except ValueError:
            return value
    if isinstance(value, dict):
        return {k: _in_city_time(v, zone) for k, v in value.items()}
    if isinstance(value, list):
        return [_in_city_time(v, zone) for v in value]
    return value


def compact(value, zone=None) -> str:
    """A value from the audit trail as one short line of text, its moments in the city's time when a zone is given
    (the template escapes it)."""
    if value is None:
        return "—"
    if zone is not None:
        value = _in_city_time(value, zone)
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


_env = jinja2.Environment(
    loader=jinja2.FileSystemLoader(HERE / "templates"),
    autoescape=True,  # everything residents, supervisors and accounts typed is escaped, whatever the file's name
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
_env.filters.update(local=local_time, duration=duration, percent=percent, compact=compact)
templates = Jinja2Templates(env=_env)


def page(request: Request, template: str, status_code: int = 200, **context) -> Response:
    """A console page: the template with the account, its CSRF token, the menu it may see and the city's name."""
    user = request.scope.get("user")
    signed_in = bool(user and user.is_authenticated)
    scopes = request.auth.scopes if signed_in else []
    settings = request.app.state.ctx.settings
    base = {
        "user": user if signed_in else None,
        "csrf": user.csrf if signed_in else context.pop("csrf", ""),
        "nav": [(href, label) for href, label, scope in NAV if scope in scopes],
        "here": request.url.path,
        "city": settings.city_name,
        "zone": settings.timezone,
    }
    response = templates.TemplateResponse(request, template, {**base, **context}, status_code=status_code)
    response.headers["Cache-Control"] = "no-store"
    return response
