"""Scenario runs against a live server are test traffic: both starter sets pass twice in a row, on a Sunday night,
and leave Reports, the live figures, the unanswered queue, the tickets and the CRM outbox as they found them."""

from __future__ import annotations

import dataclasses
import datetime as dt

import httpx
import pytest
from sqlmodel import select

import run
from console import report_figures
from console.models import TokenScope
from console.tokens import create_token
from core.db import in_session
from crm_bridge.models import CrmDelivery, Ticket
from knowledge.models import Unanswered
from settings import ROOT
from simulator.scenarios import BASE_DATE
from tests.crm_bridge.open311_servers import free_port
from tests.served import served

# Sunday 6 December 2026, 11:40 p.m. in Chicago: no agent on duty, and not the week the scenarios are set in.
SUNDAY_NIGHT = dt.datetime(2026, 12, 7, 5, 40, tzinfo=dt.UTC)


@pytest.fixture
def server(settings, engine, redis, clock, env, monkeypatch):
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    clock.now = SUNDAY_NIGHT
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with served(dataclasses.replace(settings, public_base_url=url), clock, port=port):
        yield url


def everything_shown(engine, settings, url: str, token: str) -> dict:
    """What supervisors see: Reports for today and for the scenarios' week, /api/queues, the unanswered queue, the
    residents' tickets and the CRM outbox."""
    zone, language = settings.timezone, settings.default_language.code
    today = SUNDAY_NIGHT.astimezone(zone).date()
    week = BASE_DATE - dt.timedelta(days=BASE_DATE.weekday())

    def figures(session, start, end):
        report = report_figures.report(
            session, start=start, end=end, zone=zone, now=SUNDAY_NIGHT, language=language, service_names={}
        )
        return report.summary, {name: table.rows for name, table in report.tables.items()}

    queues = httpx.get(f"{url}/api/queues", headers={"Authorization": f"Bearer {token}"}).json()
    return {
        "today": in_session(engine, figures, start=today, end=today),
        "scenario week": in_session(engine, figures, start=week, end=week + dt.timedelta(days=6)),
        "queues": [{k: v for k, v in q.items() if k != "estimated_wait_seconds"} for q in queues],
        "unanswered": in_session(engine, lambda s: len(s.exec(select(Unanswered)).all())),
        "tickets": in_session(engine, lambda s: len(s.exec(select(Ticket)).all())),
        "crm outbox": in_session(engine, lambda s: len(s.exec(select(CrmDelivery)).all())),
    }


def test_both_starter_sets_pass_twice_on_a_live_server_and_reports_are_unchanged(server, engine, settings, capsys):
    token = in_session(engine, create_token, name="wall", now=SUNDAY_NIGHT, scope=TokenScope.SUPERVISOR, days=1)
    before = everything_shown(engine, settings, server, token)
    for attempt in (1, 2):
        for folder in ("en-US", "es-US"):
            code = run.main(["scenarios", "run", "--url", server, str(ROOT / "scenarios" / folder)])
            out = capsys.readouterr().out
            assert code == 0, f"run {attempt}, {folder}:\n{out}"
            assert " 0 failed" in out
        assert everything_shown(engine, settings, server, token) == before, f"after run {attempt}"
