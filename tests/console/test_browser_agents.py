"""The agents view in real headless Chromium: an agent signing in to the agent line shows on a supervisor's open
Agents page within a few seconds, with no reload."""

from __future__ import annotations

from console.models import Role
from core.db import in_session
from queueing.agents import set_pin
from tests.callbacks.builders import AGENT_PIN, ANA
from tests.console.browser_session import make_account, sign_in_page
from tests.console.chromium import LAPTOP, needs_chromium
from tests.helpers import AgentCall

pytestmark = needs_chromium


def test_an_agent_signing_in_shows_on_an_open_agents_page_without_a_reload(app, console):
    from playwright.sync_api import expect

    base, phone, browser = console
    in_session(app.app.state.ctx.engine, set_pin, agent="Ana", pin=AGENT_PIN, actor="test")
    make_account(app, "chief", Role.SUPERVISOR)
    page = browser.new_page()
    page.set_viewport_size(LAPTOP)
    sign_in_page(page, base, "chief", going="/console/agents")
    state = page.locator('tr[data-agent="Ana"] td[data-field="state"]')
    expect(state).to_have_text("signed out")
    page.evaluate("window.sameDocument = true")
    AgentCall(phone, ANA).sign_in(AGENT_PIN)  # signed webhooks over HTTP, as Twilio sends them
    expect(state).to_have_text("waiting", timeout=8_000)  # agents.js, every 3 s
    expect(page.get_by_role("button", name="Sign Ana out")).to_be_visible()
    assert page.evaluate("window.sameDocument") is True  # swapped in place, not reloaded
