"""The reports page in real headless Chromium: choose days, read the charts, download a table as CSV.

`make screenshots` (ONECALL_SCREENSHOTS=docs) saves docs/console-reports.png from here.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from console.models import Role
from tests.console.browser_session import make_account, sign_in_page
from tests.console.chromium import TABLET, needs_chromium, screenshot
from tests.console.report_builders import a_week

pytestmark = needs_chromium


def test_choose_days_read_the_figures_and_download_a_csv(app, console, tmp_path):  # noqa: F811
    from playwright.sync_api import expect

    base, _, browser = console
    make_account(app, "ana", Role.SUPERVISOR)
    a_week(app.app.state.ctx.engine)
    page = browser.new_page()
    sign_in_page(page, base, "ana", going="/console/reports")
    expect(page.get_by_role("heading", name="Reports", exact=True)).to_be_visible()
    expect(page.locator('[data-figure="contacts"]')).to_have_text("7")  # the last 7 days by default
    assert page.get_by_label("First day").input_value() == "2026-11-11"
    expect(page.get_by_role("img", name="Contacts by hour of day, 2026-11-11 to 2026-11-17")).to_be_visible()
    screenshot(page, "reports", tmp_path)

    page.get_by_label("First day").fill("2026-11-16")
    page.get_by_label("Last day").fill("2026-11-17")
    page.get_by_role("button", name="Show these days").click()
    expect(page.locator(".range-said")).to_contain_text("Mon 2026-11-16")
    with page.expect_download() as downloading:
        page.locator("#days").get_by_role("link", name="Download CSV").click()
    download = downloading.value
    assert download.suggested_filename == "onecall311-days-2026-11-16-to-2026-11-17.csv"
    rows = list(csv.DictReader(io.StringIO(Path(download.path()).read_text(encoding="utf-8"))))
    assert rows == [
        {"date": "2026-11-16", "voice": "2", "text": "1", "total": "3"},
        {"date": "2026-11-17", "voice": "2", "text": "2", "total": "4"},
    ]

    page.get_by_label("First day").fill("2026-11-18")
    page.get_by_role("button", name="Show these days").click()
    expect(page.get_by_role("alert")).to_contain_text("on or before the last day")
    assert page.get_by_label("First day").input_value() == "2026-11-18"  # what was chosen is kept

    page.set_viewport_size(TABLET)
    page.goto(f"{base}/console/reports")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")  # fits a tablet
