"""The screen pop in real headless Chromium: a caller driven through the IVR by signed webhooks is put through to Ana,
her page shows their IVR steps within 2 s with no reload, a request opened from the page is read out and texted;
then a supervisor sees the agents view and finds the call in contact search, by keyboard.

`make screenshots` runs these with ONECALL_SCREENSHOTS=docs to refresh the pictures in docs/.
"""

from __future__ import annotations

import time

from sqlmodel import select

from console.accounts import link_agent
from console.models import Role
from core.db import in_session
from crm_bridge.models import Ticket
from crm_bridge.ticket_numbers import printed
from queueing.agents import set_pin
from tests.callbacks.builders import AGENT_PIN, ANA, agent_takes
from tests.conftest import run_jobs
from tests.console.browser_session import make_account, sign_in_page
from tests.console.chromium import TABLET, needs_chromium, screenshot
from tests.console.test_desk_page import AGENTS, HOSTILE
from tests.helpers import AgentCall, Caller

pytestmark = needs_chromium


def test_a_caller_put_through_pops_on_the_agents_page_and_a_request_opened_there_is_texted(
    app, console, session, settings, redis, twilio_api, tmp_path
):
    from playwright.sync_api import expect

    base, phone, browser = console
    engine = app.app.state.ctx.engine
    make_account(app, "ana-desk", Role.AGENT)
    in_session(engine, link_agent, name="ana-desk", agent="Ana", known=AGENTS, actor="test")
    in_session(engine, set_pin, agent="Ana", pin=AGENT_PIN, actor="test")
    make_account(app, "chief", Role.SUPERVISOR)
    page = browser.new_page()
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    sign_in_page(page, base, "ana-desk", going="/console/")
    expect(page.get_by_role("heading", name="My calls (Ana)")).to_be_visible()
    expect(page.locator("#no-caller")).to_be_visible()
    expect(page.locator("#desk-live")).to_have_attribute("data-state", "live")  # the stream is open
    page.evaluate("window.sameDocument = true")

    caller = Caller(phone)  # signed Twilio webhooks over HTTP, as Twilio sends them
    caller.dial()
    caller.say(HOSTILE)  # hostile words in the IVR: shown as text, never run
    caller.say("when is the library open")
    assert "<Enqueue" in caller.press("0").xml
    line = AgentCall(phone, ANA)
    line.sign_in(AGENT_PIN)
    agent_takes(phone, line.sid, caller.sid, "311-english", waited=37)
    put_through = time.monotonic()
    steps = page.locator("#pop-steps")
    expect(steps).to_contain_text("said “when is the library open”", timeout=2_000)  # within 2 s, no reload
    assert time.monotonic() - put_through < 2
    assert page.evaluate("window.sameDocument") is True
    expect(steps).to_contain_text(HOSTILE)
    expect(steps).to_contain_text("pressed 0: asked for a person")
    expect(page.locator("#pop-number")).to_have_text("+*******0147")
    expect(page.locator("#pop-wait")).to_have_text("37 s")
    expect(page.locator("#pop-topic")).to_contain_text("Library")

    page.get_by_label("Type of problem").select_option("pothole")
    page.get_by_label("Address").fill("100 Main St")
    page.get_by_label("Description").fill("A deep pothole by the library")
    page.get_by_label("The caller agrees to get the number by text").check()
    page.get_by_role("button", name="Open the request").click()
    expect(page.locator("#done")).to_contain_text("The request is open")
    ticket = session.exec(select(Ticket)).one()
    expect(page.locator("#pop-actions")).to_contain_text(f"request {printed(ticket.number)}, due")
    expect(page.locator("#pop-actions")).to_contain_text("text sent")
    screenshot(page, "agent-desk", tmp_path)
    run_jobs(settings, redis)
    [sent] = twilio_api.messages()
    assert sent["To"] == "+13125550147" and printed(ticket.number) in sent["Body"]
    assert page.get_by_role("link", name="Messages").count() == 0  # an agent's menu: their page, Live, knowledge

    page.get_by_role("button", name="Sign out", exact=True).click()
    sign_in_page(page, base, "chief", going="/console/agents")
    row = page.locator('tr[data-agent="Ana"]')
    expect(row.locator('td[data-field="state"]')).to_have_text("on a call")
    screenshot(page, "agents", tmp_path)
    page.get_by_role("link", name="Contacts").focus()
    page.keyboard.press("Enter")  # by keyboard: the search form
    page.get_by_label("Caller's number").fill("312-555-0147")
    page.keyboard.press("Enter")
    expect(page.locator("#found-count")).to_have_text("1 call found.")
    page.locator("#contacts a").first.focus()
    page.keyboard.press("Enter")
    expect(page.locator("#steps")).to_contain_text("said “when is the library open”")
    expect(page.locator("#actions")).to_contain_text("ticket")
    screenshot(page, "contact", tmp_path)
    page.set_viewport_size(TABLET)
    for path in ("/console/agents", "/console/contacts", page.url.removeprefix(base)):
        page.goto(f"{base}{path}")
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), path
    assert dialogs == []
