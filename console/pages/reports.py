"""The reports page: a range of days (the last 7 by default, in the city's time zone), its figures as bar charts and
tables, and every table as an open-data CSV at /console/reports/{table}.csv for the same range."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field

from starlette.authentication import requires
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from console import service
from console.charts import bar_chart
from console.csv_export import to_csv
from console.pages.render import duration, page, percent
from console.report_figures import Report, Table

DEFAULT_DAYS = 7
MAX_DAYS = 366
# The tables shown with a bar chart: (table, the column charted, chart title, x axis, y axis).
CHARTS = {
    "channels": ("contacts", "Contacts by channel", "Channel", "Contacts"),
    "hours": ("total", "Contacts by hour of day", "Hour of day (city time)", "Contacts"),
    "days": ("total", "Contacts by day", "Day", "Contacts"),
}


@dataclass
class RangeForm:
    """The range as typed (kept when it is wrong), the days it means, and a problem per field."""

    typed: dict[str, str]
    start: dt.date | None = None
    end: dt.date | None = None
    errors: dict[str, str] = field(default_factory=dict)


def read_range(params, today: dt.date) -> RangeForm:
    """The days asked for in ?from=YYYY-MM-DD&to=YYYY-MM-DD, the last 7 days to today when left out."""
    typed = {"from": params.get("from", "").strip()[:40], "to": params.get("to", "").strip()[:40]}
    form = RangeForm(typed)
    defaults = {"from": today - dt.timedelta(days=DEFAULT_DAYS - 1), "to": today}
    days = {}
    for name in ("from", "to"):
        if not typed[name]:
            days[name] = defaults[name]
            continue
        try:
            days[name] = dt.date.fromisoformat(typed[name])
        except ValueError:
            form.errors[name] = "Enter a day as year-month-day, like 2026-11-23."
    if form.errors:
        return form
    if days["from"] > days["to"]:
        form.errors["from"] = "The first day must be on or before the last day."
    elif (days["to"] - days["from"]).days + 1 > MAX_DAYS:
        form.errors["to"] = f"Choose at most {MAX_DAYS} days."
    form.start, form.end = days["from"], days["to"]
    return form


def show(value, kind: str) -> str:
    """A value as the page shows it: 1,234; 86 %; 3:40; Tue 2026-11-17; a dash for no figure."""
    if value is None:
        return "–"
    if kind == "rate":
        return percent(value)
    if kind == "seconds":
        return duration(value)
    if kind == "date":
        return f"{value:%a} {value.isoformat()}"
    if kind == "int":
        return f"{value:,}"
    return str(value)


def charts(report: Report) -> dict[str, object]:
    """The bar charts of the tables that have one (none for an empty table)."""
    drawn = {}
    for name, (column, title, x_label, y_label) in CHARTS.items():
        table: Table = report.tables[name]
        if not table.rows:
            continue
        labels = [_label(name, row[0]) for row in table.rows]
        bars = list(zip(labels, table.column(column), strict=True))
        if name == "channels":
            bars = bars[:-1]  # the channels, not their sum
        drawn[name] = bar_chart(
            chart_id=f"chart-{name}",
            title=f"{title}, {report.start.isoformat()} to {report.end.isoformat()}",
            description=f"A bar per {x_label.split(' (')[0].lower()}; the table below has every figure.",
            bars=bars,
            x_label=x_label,
            y_label=y_label,
            label_every=3 if name == "hours" else max(1, math.ceil(len(bars) / 14)),
        )
    return drawn


def _label(table: str, first: object) -> str:
    if table == "hours":
        return str(first)[:2]
    if table == "days":
        return f"{first:%m-%d}"
    return {"voice": "Calls", "text": "Texts"}.get(str(first), str(first))


def _today(request: Request) -> dt.date:
    ctx = request.app.state.ctx
    return ctx.now().astimezone(ctx.settings.timezone).date()


@requires("read")
async def reports_page(request: Request) -> Response:
    """The figures for the range, each chart with its table, and each table's CSV."""
    form = read_range(request.query_params, _today(request))
    if form.errors:
        return page(request, "reports.html", status_code=422, form=form, report=None, charts={}, show=show, query="")
    report = await service.range_report(request.app.state.ctx, form.start, form.end)
    query = f"from={form.start.isoformat()}&to={form.end.isoformat()}"
    return page(request, "reports.html", form=form, report=report, charts=charts(report), show=show, query=query)


@requires("read")
async def report_csv(request: Request) -> Response:
    """One table of the range as CSV, downloaded as onecall311-<table>-<from>-to-<to>.csv."""
    form = read_range(request.query_params, _today(request))
    if form.errors:
        return PlainTextResponse(" ".join(f"{k}: {v}" for k, v in form.errors.items()), status_code=422)
    report = await service.range_report(request.app.state.ctx, form.start, form.end)
    table = report.tables.get(request.path_params["table"])
    if table is None:
        raise HTTPException(404, "no such table")
    body = to_csv([c.key for c in table.columns], table.rows)
    filename = f"onecall311-{table.name}-{form.start.isoformat()}-to-{form.end.isoformat()}.csv"
    return Response(
        body,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"},
    )
