"""Hours and alerts in real headless Chromium: "close now" typed on the hours page is heard on the next call, and a
surge raised by a storm replayed through the TwiML driver appears on an open Live page and is put on the air from it.

`make screenshots` (ONECALL_SCREENSHOTS=docs) refreshes docs/console-hours.png and docs/console-live-surge.png.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from console.models import Role
from tests.alerts.storms import ASKS, STORM_OFFSETS, replay
from tests.console.browser_session import make_account, sign_in_page
from tests.console.chromium import LAPTOP, needs_chromium, screenshot
from tests.helpers import Caller
from tests.simulator.phones import Phones

pytestmark = needs_chromium

SNOW = "Snow emergency: city offices are closed today. Call 911 for emergencies."
PRESET = "We know about the water main break and the loss of water pressure in the area."


def test_close_now_typed_in_the_browser_is_heard_on_the_next_call_and_shown_on_live(app, console, tmp_path):
    from playwright.sync_api import expect

    base, phone, browser = console
    make_account(app, "ana", Role.SUPERVISOR)
    page = browser.new_page()
    page.set_viewport_size(LAPTOP)
    sign_in_page(page, base, "ana")
    expect(page.locator("#hours-now")).to_contain_text("Open: Agents are answering.")
    page.get_by_role("link", name="Hours").first.click()
    page.locator("#close-reason-en-US").fill(SNOW)
    page.get_by_role("button", name="Close", exact=True).focus()
    page.keyboard.press("Enter")  # keyboard only
    expect(page.locator("#done")).to_contain_text("Closed: the next caller hears the reason")
    expect(page.locator("#hours-state")).to_contain_text(f"Closed: Closed by a supervisor: {SNOW}")
    screenshot(page, "hours", tmp_path)
    heard = Caller(phone).dial()  # the next call, a signed webhook over HTTP
    assert SNOW in heard.text
    page.get_by_role("link", name="Live").click()
    expect(page.locator("#hours-now")).to_contain_text(f"Closed: Closed by a supervisor: {SNOW}")
    page.get_by_role("link", name="Hours").first.click()
    page.get_by_role("button", name="Reopen: Closed from").click()
    expect(page.locator("#done")).to_contain_text("Cancelled")
    assert SNOW not in Caller(phone).dial().text


def test_a_surge_appears_on_an_open_live_page_and_its_message_goes_on_the_air_in_one_click(
        app, console, settings, redis, clock, tmp_path):
    from playwright.sync_api import expect

    base, phone, browser = console
    make_account(app, "ana", Role.SUPERVISOR)
    page = browser.new_page()
    page.set_viewport_size(LAPTOP)
    sign_in_page(page, base, "ana")  # Live, open before the storm
    expect(page.locator("#floor [role=alert]")).to_have_count(0)
    storm = [(s, ASKS["water-main-break"]) for s in STORM_OFFSETS[:6]]
    with ThreadPoolExecutor(1) as worker:  # as the rq worker does it: off Playwright's event loop
        raised = worker.submit(replay, Phones(app, settings, clock), settings, redis, clock, storm, until=120).result()
    assert [key.split(":", 1)[1] for _, key in raised] == ["topic:water-main-break"]
    banner = page.locator("#floor [role=alert]")
    expect(banner).to_contain_text("Surge: Water main break or leak", timeout=10_000)  # floor.js, no reload
    expect(page.get_by_label("English")).to_have_value(PRESET + " Crews are working on it, and you do not need "
                                                        "to report it again.")
    screenshot(page, "live-surge", tmp_path)
    page.get_by_role("button", name="Put this message on the air").click()  # the one click
    expect(page.locator("#floor")).to_contain_text("message put on the air by ana")
    assert PRESET in Caller(phone).dial().text
