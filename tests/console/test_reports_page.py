"""The reports page: a week of built contacts adds up to the expected figures on the page and in every CSV, with an
empty state, checked days, roles, no personal data and hostile text escaped."""

from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET

from sqlmodel import select

from console.models import Role
from core.db import in_session
from knowledge.models import Article
from tests.console.browser_session import signed_in
from tests.console.report_builders import a_week, at, call, ticket, unanswered
from tests.console.test_messages_page import ATTRIBUTE_BREAKOUT

SCRIPT = "<script>alert('x')</script>"
WEEK = "from=2026-11-11&to=2026-11-17"


def _csv(app, table: str, query: str = WEEK) -> list[dict[str, str]]:
    response = app.get(f"/console/reports/{table}.csv?{query}")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    assert f'filename="onecall311-{table}-' in response.headers["content-disposition"]
    return list(csv.DictReader(io.StringIO(response.text)))


def _figure(html: str, name: str) -> str:
    return html.split(f'data-figure="{name}">')[1].split("</dd>")[0]


def _page(app, query: str = "") -> str:
    response = app.get(f"/console/reports{'?' + query if query else ''}")
    assert response.status_code == 200, response.text
    return response.text


def test_a_known_week_adds_up_to_the_figures_at_a_glance(app):
    signed_in(app, Role.SUPERVISOR)
    a_week(app.app.state.ctx.engine)
    page = _page(app)  # the last 7 days to today, by the app's clock, in Chicago
    assert "Tue 2026-11-17" in page and "Wed 2026-11-11" in page
    assert _figure(page, "contacts") == "7"  # 4 calls and 3 texts; the call late on the 10th is outside
    assert _figure(page, "self_service_rate") == "43 %"  # 1 call and 2 texts of 7
    assert _figure(page, "abandonment_rate") == "29 %"  # 2 of 7 who joined a queue
    assert _figure(page, "asa") == "0:42"  # (10 + 30 + 31 + 95) / 4
    assert _figure(page, "service_level") == "50 %"  # 10 s and 30 s of 4 answered
    assert _figure(page, "sla_compliance") == "50 %"  # 2 met of 4 met or missed
    assert "resolved without an agent or a ticket" in page  # the definition is on the page


def test_contacts_by_channel_hour_and_day(app):
    signed_in(app, Role.SUPERVISOR)
    a_week(app.app.state.ctx.engine)
    assert _csv(app, "channels") == [
        {"channel": "voice", "contacts": "4", "resolved_by_self_service": "1", "self_service_rate": "0.25"},
        {"channel": "text", "contacts": "3", "resolved_by_self_service": "2", "self_service_rate": "0.667"},
        {"channel": "all", "contacts": "7", "resolved_by_self_service": "3", "self_service_rate": "0.429"},
    ]
    hours = {row["hour"]: (row["voice"], row["text"], row["total"]) for row in _csv(app, "hours")}
    assert len(hours) == 24 and hours["08:00"] == ("1", "2", "3") and hours["09:00"] == ("3", "1", "4")
    assert sum(int(total) for _, _, total in hours.values()) == 7
    days = _csv(app, "days")
    assert [row["date"] for row in days] == [f"2026-11-{d}" for d in range(11, 18)]  # ISO dates, every day
    assert (days[5]["voice"], days[5]["text"], days[6]["total"], days[0]["total"]) == ("2", "1", "4", "0")


def test_a_day_is_the_citys_day(app):
    signed_in(app, Role.SUPERVISOR)
    a_week(app.app.state.ctx.engine)
    [row] = [r for r in _csv(app, "channels", "from=2026-11-10&to=2026-11-10") if r["channel"] == "voice"]
    assert row["contacts"] == "1"  # 23:30 on the 10th in Chicago, though the 11th in UTC


def test_top_questions_and_service_types(app):
    signed_in(app, Role.SUPERVISOR)
    a_week(app.app.state.ctx.engine)
    questions = _csv(app, "questions")
    assert [(q["article_id"], q["voice"], q["text"], q["total"]) for q in questions] == [
        ("library-hours", "1", "2", "3"),
        ("missed-trash-pickup", "1", "0", "1"),
    ]
    assert questions[0]["title"]  # the article's title from the knowledge base
    services = _csv(app, "services")
    assert [(s["service_code"], s["reported"], s["duplicates"]) for s in services] == [
        ("missed-trash", "5", "1"),
        ("bulky-item", "1", "0"),
    ]
    assert services[0]["service"] != "missed-trash"  # named from the catalogue


def test_queue_performance_and_what_callers_were_told(app):
    signed_in(app, Role.SUPERVISOR)
    a_week(app.app.state.ctx.engine)
    queues = {row["queue"]: row for row in _csv(app, "queues")}
    everything = queues["all"]
    assert (everything["offered"], everything["answered"], everything["abandoned"]) == ("7", "4", "2")
    assert everything["abandonment_rate"] == "0.286" and everything["average_speed_of_answer_seconds"] == "42"
    assert everything["answered_within_30_seconds"] == "0.5"
    assert (everything["told_and_answered"], everything["told_average_seconds"]) == ("2", "30")
    assert (everything["waited_average_seconds"], everything["waited_within_told"]) == ("63", "0.5")
    assert (queues["311-english"]["offered"], queues["311-english"]["abandonment_rate"]) == ("6", "0.167")
    assert queues["311-spanish"]["abandonment_rate"] == "1.0"
    assert queues["311-spanish"]["average_speed_of_answer_seconds"] == ""  # nobody answered: no figure


def test_sla_compliance_per_service_type(app):
    signed_in(app, Role.SUPERVISOR)
    a_week(app.app.state.ctx.engine)
    sla = {row["service_code"]: row for row in _csv(app, "sla")}
    trash = sla["missed-trash"]  # the duplicate is not counted
    assert (trash["due"], trash["met"], trash["missed"], trash["open_not_yet_due"]) == ("4", "1", "2", "1")
    assert trash["compliance"] == "0.333"
    assert (sla["bulky-item"]["met"], sla["bulky-item"]["compliance"]) == ("1", "1.0")


def test_no_csv_holds_a_phone_number_or_a_residents_own_words(app):
    signed_in(app, Role.SUPERVISOR)
    a_week(app.app.state.ctx.engine)
    for table in ("channels", "hours", "days", "questions", "services", "queues", "sla", "unanswered"):
        body = app.get(f"/console/reports/{table}.csv?{WEEK}").text
        assert body.splitlines()[0].replace(",", "").replace("_", "").isalnum()  # a plain header row
        assert "555" not in body and "0147" not in body and "+1312" not in body, table
        assert "Ana Ruiz" not in body, table
    questions = [row["question"] for row in _csv(app, "unanswered")]
    assert any("penguins" in q and "[removed]" in q for q in questions)  # the question kept, the details removed


def test_a_cell_a_spreadsheet_would_run_is_escaped(app):
    signed_in(app, Role.SUPERVISOR)
    a_week(app.app.state.ctx.engine)
    questions = [row["question"] for row in _csv(app, "unanswered")]
    assert '\'=HYPERLINK("http://evil.example","click")' in questions
    assert not any(q.startswith(("=", "+", "-", "@")) for q in questions)


def test_charts_are_well_formed_svg_with_a_title_and_a_bar_per_hour(app):
    signed_in(app, Role.SUPERVISOR)
    a_week(app.app.state.ctx.engine)
    page = _page(app, WEEK)
    charts = {}
    for piece in page.split("<svg")[1:]:
        svg = ET.fromstring("<svg" + piece.split("</svg>")[0] + "</svg>")
        charts[svg.get("id")] = svg
    assert set(charts) == {"chart-channels", "chart-hours", "chart-days"}
    ns = "{http://www.w3.org/2000/svg}"
    hours = charts["chart-hours"]
    assert hours.find(f"{ns}title").text.startswith("Contacts by hour of day")
    bars = hours.findall(f"{ns}rect")
    assert len(bars) == 24
    assert float(bars[9].get("height")) == 4 / 3 * float(bars[8].get("height"))  # 4 contacts at 09, 3 at 08
    assert len(charts["chart-days"].findall(f"{ns}rect")) == 7


def test_a_range_with_nothing_in_it_says_so(app):
    signed_in(app, Role.SUPERVISOR)
    a_week(app.app.state.ctx.engine)
    page = _page(app, "from=2026-10-01&to=2026-10-07")
    assert "Nothing was recorded on these days" in page
    assert "<svg" not in page and "No calls or texts in this range." in page
    assert _csv(app, "hours", "from=2026-10-01&to=2026-10-07") == []  # the header alone
    assert app.get("/console/reports/hours.csv?from=2026-10-01&to=2026-10-07").text == "hour,voice,text,total\r\n"


def test_wrong_days_are_named_beside_their_field_and_kept(app):
    signed_in(app, Role.SUPERVISOR)
    wrong = app.get("/console/reports?from=yesterday&to=2026-11-17")
    assert wrong.status_code == 422
    assert 'id="from-error">Enter a day as year-month-day' in wrong.text
    assert 'value="yesterday"' in wrong.text and 'aria-invalid="true"' in wrong.text
    backwards = app.get("/console/reports?from=2026-11-17&to=2026-11-01")
    assert backwards.status_code == 422 and "on or before the last day" in backwards.text
    too_long = app.get("/console/reports?from=2020-01-01&to=2026-11-17")
    assert too_long.status_code == 422 and 'id="to-error">Choose at most 366 days' in too_long.text
    assert app.get("/console/reports/hours.csv?from=nope").status_code == 422
    assert app.get(f"/console/reports/nothing.csv?{WEEK}").status_code == 404


def test_who_may_read_the_reports(app):
    signed_in(app, Role.WALLBOARD, name="screen")
    assert app.get("/console/reports").status_code == 403
    assert app.get(f"/console/reports/days.csv?{WEEK}").status_code == 403
    assert 'href="/console/reports"' not in app.get("/console/live").text
    app.cookies.clear()
    assert app.get("/console/reports", follow_redirects=False).headers["location"].startswith("/console/login")
    signed_in(app, Role.CONTENT_EDITOR, name="editor")
    assert 'href="/console/reports"' in _page(app)
    app.cookies.clear()
    signed_in(app, Role.ADMIN, name="chief")
    assert app.get(f"/console/reports/days.csv?{WEEK}").status_code == 200


def test_hostile_titles_service_names_and_questions_are_escaped(app):
    signed_in(app, Role.SUPERVISOR)
    engine = app.app.state.ctx.engine

    def retitle(session):
        wanted = (Article.article_id == "library-hours") & (Article.language == "en-US")
        article = session.exec(select(Article).where(wanted)).one()
        article.title = ATTRIBUTE_BREAKOUT + SCRIPT
        session.add(article)

    in_session(engine, retitle)
    call(engine, at(16, 9), self_service=True, answered="library-hours")
    ticket(engine, service=SCRIPT, opened=at(16, 9), expected=at(16, 17), closed=at(16, 10))
    unanswered(engine, at(16, 9), SCRIPT + ATTRIBUTE_BREAKOUT)
    page = _page(app, WEEK)
    assert SCRIPT not in page and ATTRIBUTE_BREAKOUT not in page and 'onfocus="alert(1)"' not in page
    assert "&lt;script&gt;alert(" in page
    assert page.count("&lt;script&gt;") >= 4  # the question's title, the service twice (opened, SLA), the question
