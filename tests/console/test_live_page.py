"""The live page: each queue's figures, and a server-sent event stream that follows them within about a second."""

from __future__ import annotations

import json
import threading
import time

import httpx
import uvicorn

from app import create_app
from console.models import Role
from core.defaults import WEB_SHUTDOWN_GRACE_SECONDS
from core.web import uvicorn_config
from tests.console.browser_session import PASSWORD, csrf_of, make_account, signed_in
from tests.crm_bridge.open311_servers import free_port
from tests.queueing.test_routes import ask_for_agent, poll
from tests.served import served


def test_every_queue_and_its_figures_are_on_the_page(app):
    signed_in(app, Role.WALLBOARD, name="screen")
    caller = ask_for_agent(app)
    poll(app, caller, position=1, waited=40)
    page = app.get("/console/live")
    assert page.status_code == 200
    text = " ".join(page.text.split())
    assert '<tr data-queue="311-english">' in text and '<tr data-queue="311-spanish">' in text
    assert "Call-backs" in text and "Average speed of answer" in text
    english = text.split('<tr data-queue="311-english">')[1].split("</tr>")[0]
    assert '<td class="num" data-field="waiting">1</td>' in english
    assert '<td class="num" data-field="longest">0:40</td>' in english
    # Offered counts callers whose wait ended (answered, hung up, left), as Reports does: this one is still waiting.
    assert '<td class="num" data-field="offered">0</td>' in english
    assert '<td class="num" data-field="service_level">–</td>' in english  # nothing answered yet today
    assert 'src="/console/static/live.js"' in text


def test_the_stream_needs_a_session(app):
    refused = app.get("/console/live/events", headers={"Accept": "text/event-stream"})
    assert refused.status_code == 401


def _events(response, deadline: float):
    """(event, data) pairs from a text/event-stream response until the deadline."""
    event, data = "message", []
    for line in response.iter_lines():
        if time.monotonic() > deadline:
            return
        if line.startswith("event:"):
            event = line[6:].strip()
        elif line.startswith("data:"):
            data.append(line[5:].strip())
        elif not line and data:
            yield event, json.loads("\n".join(data))
            event, data = "message", []


def _waiting(snapshot: dict, queue: str) -> str:
    return next(row["waiting"] for row in snapshot["queues"] if row["queue"] == queue)


def test_the_stream_sends_new_figures_within_two_seconds_of_a_caller_joining(app, settings, clock):
    make_account(app, "screen", Role.WALLBOARD)
    with served(settings, clock) as port, httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=5) as browser:
        form = browser.get("/console/login")
        signed = browser.post(
            "/console/login",
            data={"csrf": csrf_of(form.text), "name": "screen", "password": PASSWORD, "next": "/console/live"},
        )
        assert signed.status_code == 303
        with browser.stream("GET", "/console/live/events", headers={"Accept": "text/event-stream"}) as stream:
            assert stream.headers["content-type"].startswith("text/event-stream")
            events = _events(stream, time.monotonic() + 20)
            name, first = next(events)
            assert name == "queues" and _waiting(first, "311-english") == "0"
            caller = ask_for_agent(app)
            poll(app, caller, position=1, waited=5)
            joined = time.monotonic()
            name, second = next(events)
            assert name == "queues" and _waiting(second, "311-english") == "1"
            assert time.monotonic() - joined < 2.0


def test_a_stopping_web_process_ends_open_streams_within_its_grace_time(app, settings, clock):
    make_account(app, "screen", Role.WALLBOARD)
    port = free_port()
    server = uvicorn.Server(
        uvicorn_config(create_app(settings, clock=clock), settings.web, port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        assert thread.is_alive()
        time.sleep(0.05)
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as browser:
        form = browser.get("/console/login")
        browser.post("/console/login", data={"csrf": csrf_of(form.text), "name": "screen", "password": PASSWORD})
        with browser.stream("GET", "/console/live/events") as stream:
            assert next(_events(stream, time.monotonic() + 10))[0] == "queues"
            stopping = time.monotonic()
            server.should_exit = True
            thread.join(timeout=15)
    assert not thread.is_alive() and time.monotonic() - stopping < WEB_SHUTDOWN_GRACE_SECONDS + 3
