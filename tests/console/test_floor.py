"""Live's floor panel: hours now, alert banners, and a surge's ready message put on the air from Live (supervisors,
with CSRF), heard by the next caller; a wallboard sees the banner only."""

from __future__ import annotations

import datetime as dt
import re

from sqlmodel import select

from alerts.models import AlertEpisode, AlertKind
from console.models import Role
from core.audit import AuditEntry
from core.db import in_session
from tests.console.browser_session import csrf_of, signed_in
from tests.helpers import Caller

PRESET = "We know about the water main break and the loss of water pressure in the area."


def surge(app, clock, key: str = "topic:water-main-break", label: str = "Water main break or leak") -> int:
    def add(session):
        row = AlertEpisode(kind=AlertKind.SURGE, key=key, title=f"Surge: {label}: 14 contacts in 10 min",
                           detail="Near 100 Main St", count=14, addresses=["100 Main St"], started_at=clock.now,
                           last_fired_at=clock.now)
        session.add(row)
        session.flush()
        return row.id

    return in_session(app.app.state.ctx.engine, add)


def test_a_supervisor_puts_the_preset_message_on_the_air_from_live(app, clock, session):
    episode = surge(app, clock)
    signed_in(app, Role.SUPERVISOR)
    live = app.get("/console/live").text
    assert "Surge: Water main break or leak: 14 contacts in 10 min" in live and "Near 100 Main St" in live
    assert PRESET in live and "from the preset water" in live
    form = {"csrf": csrf_of(live), "do": "air",
            **{f"text-{code}": text for code, text in re.findall(r'name="text-([a-zA-Z-]+)"[^>]*>([^<]*)</textarea>',
                                                                   live)}}
    done = app.post(f"/console/live/alerts/{episode}/air", data=form, follow_redirects=False)
    assert done.status_code == 303
    assert PRESET in Caller(app).dial().text
    assert session.get(AlertEpisode, episode).acted_by == "supervisor-user (console)"
    actions = [e.action for e in session.exec(select(AuditEntry).order_by(AuditEntry.id)).all()]
    assert actions[-2:] == ["announcement.create", "alert.act"]
    assert "message put on the air by supervisor-user (console)" in app.get("/console/live/floor").text


def test_an_article_topic_gets_a_message_naming_it_and_a_preview_first(app, clock):
    episode = surge(app, clock, key="topic:streetlight-out", label="Streetlight out")
    signed_in(app, Role.SUPERVISOR)
    live = app.get("/console/live").text
    assert "Many residents are contacting us about streetlight out near 100 Main St." in live
    token = csrf_of(live)
    edited = "Many streetlights are out on Main Street; crews are on the way."
    shown = app.post(f"/console/live/alerts/{episode}/air", data={"csrf": token, "do": "preview", "text-en-US": edited})
    assert shown.status_code == 200 and "Preview: as a caller will hear it" in shown.text and edited in shown.text
    assert edited not in Caller(app).dial().text  # a preview puts nothing on the air
    bad = app.post(f"/console/live/alerts/{episode}/air", data={"csrf": token, "do": "air", "text-en-US": "<b>x</b>"})
    assert bad.status_code == 422 and "&lt;b&gt;" in bad.text and "markup" in bad.text


def test_a_wallboard_sees_the_banner_but_neither_the_addresses_nor_the_form(app, clock):
    episode = surge(app, clock)
    signed_in(app, Role.WALLBOARD, name="screen")
    live = app.get("/console/live").text
    assert "Surge: Water main break or leak" in live and "100 Main St" not in live and "<textarea" not in live
    refused = app.post(f"/console/live/alerts/{episode}/air", data={"csrf": csrf_of(live), "do": "air",
                                                                    "text-en-US": "x"})
    assert refused.status_code == 403


def test_putting_on_the_air_needs_the_csrf_token(app, clock):
    episode = surge(app, clock)
    signed_in(app, Role.SUPERVISOR)
    refused = app.post(f"/console/live/alerts/{episode}/air", data={"do": "air", "text-en-US": "hello"})
    assert refused.status_code == 403
    assert "hello" not in Caller(app).dial().text


def test_live_shows_the_hours_now(app, clock):
    signed_in(app, Role.WALLBOARD, name="screen")
    assert 'data-open="yes"' in app.get("/console/live/floor").text
    clock.now += dt.timedelta(hours=8, minutes=30)  # Tuesday 18:30 in Chicago: closed since 18:00
    signed_in(app, Role.WALLBOARD, name="screen-evening")
    floor = app.get("/console/live/floor").text
    assert 'data-open="no"' in floor and "Outside agent hours." in floor
