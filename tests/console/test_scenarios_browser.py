"""The scenarios page in headless Chromium: Run all from the keyboard, the report read on a laptop and a tablet.

`make screenshots` (ONECALL_SCREENSHOTS=docs) saves docs/console-scenarios.png.
"""

from __future__ import annotations

from console.models import Role
from tests.console.browser_session import make_account, sign_in_page
from tests.console.chromium import TABLET, needs_chromium, screenshot

pytestmark = needs_chromium


def test_run_all_from_the_keyboard_shows_the_report(app, console, tmp_path):  # noqa: F811
    from playwright.sync_api import expect

    base, _, browser = console
    make_account(app, "ana", Role.SUPERVISOR)
    page = browser.new_page()
    sign_in_page(page, base, "ana", going="/console/scenarios")
    expect(page.get_by_role("heading", name="Scenarios", level=1)).to_be_visible()
    button = page.get_by_role("button", name="Run all")
    button.focus()
    assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") == "solid"
    page.keyboard.press("Enter")
    expect(page.locator("#summary")).to_contain_text("0 failed", timeout=120_000)
    expect(page.locator(".scenario-passed").first).to_be_visible()
    screenshot(page, "scenarios", tmp_path)
    page.set_viewport_size(TABLET)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= TABLET["width"]  # usable at tablet width: nothing runs off the side
