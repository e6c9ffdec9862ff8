"""The console in real headless Chromium: sign-in and lock-out, the storm flow end to end, the live page by itself.

The app is served by uvicorn on a real port; calls reach it as signed Twilio webhooks over HTTP (tests.helpers.Caller).
`make screenshots` runs these with ONECALL_SCREENSHOTS=docs to refresh the pictures in docs/.
"""

from __future__ import annotations

from sqlmodel import select

from console.models import Role
from console.throttle import LoginAttempts
from core.audit import AuditEntry
from core.defaults import CONSOLE_LOGIN_FAILURES_PER_ACCOUNT
from tests.console.browser_session import PASSWORD, make_account, sign_in_page
from tests.console.chromium import LAPTOP, TABLET, needs_chromium, screenshot
from tests.console.test_messages_page import ATTRIBUTE_BREAKOUT, STORM_WORDS
from tests.helpers import Caller
from tests.queueing.test_routes import ask_for_agent, poll

pytestmark = needs_chromium


def test_sign_in_lock_out_and_sign_out(app, console, redis, tmp_path):
    from playwright.sync_api import expect

    base, _, browser = console
    make_account(app, "ana", Role.SUPERVISOR)
    page = browser.new_page()
    page.goto(f"{base}/console/messages")
    assert page.url == f"{base}/console/login?next=%2Fconsole%2Fmessages"
    screenshot(page, "login", tmp_path)
    assert page.evaluate("document.activeElement.id") == "name"  # the cursor is in the first field
    page.keyboard.press("Tab")  # and the keyboard moves on, the focus plain to see
    assert page.evaluate("document.activeElement.id") == "password"
    assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") == "solid"
    for _ in range(CONSOLE_LOGIN_FAILURES_PER_ACCOUNT):
        page.get_by_label("Name").fill("ana")
        page.get_by_label("Password").fill("a wrong guess")
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_role("alert")).to_have_text("The name or the password is wrong.")
        assert page.get_by_label("Name").input_value() == "ana"  # what was typed is kept
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("Too many failed sign-ins")
    redis.delete(LoginAttempts.key_for_name("ana"))  # fifteen minutes later
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Messages", exact=True)).to_be_visible()  # back where ana was going
    cookie = next(c for c in browser.cookies() if c["name"] == "oc_console")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict" and cookie["expires"] > 0
    assert "oc_console" not in page.evaluate("document.cookie")  # no script can read it
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("status")).to_have_text("You are signed out.")
    page.goto(f"{base}/console/live")
    assert page.url.startswith(f"{base}/console/login")


def test_storm_switched_on_in_the_browser_is_heard_on_the_next_call_then_all_clear(app, console, tmp_path):
    from playwright.sync_api import expect

    base, phone, browser = console
    make_account(app, "ana", Role.SUPERVISOR)
    page = browser.new_page()
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    sign_in_page(page, base, "ana")
    page.get_by_role("link", name="Messages").click()  # click one
    page.get_by_role("button", name="Switch storm on").click()  # click two
    expect(page.locator("#done")).to_have_text("Storm is on: 3 messages on the air, heard from the next call on.")
    expect(page.locator("#heard")).to_contain_text(STORM_WORDS)
    assert STORM_WORDS in Caller(phone).dial().text  # the next call, a signed webhook over HTTP
    # A draft with hostile but allowed words is previewed as words; one with markup is refused, the focus on why.
    page.get_by_role("radio", name="Queue").check()
    page.get_by_label("English (en-US)").fill(ATTRIBUTE_BREAKOUT)
    page.get_by_role("button", name="Preview").click()
    expect(page.locator("#preview")).to_contain_text(ATTRIBUTE_BREAKOUT)
    assert page.get_by_label("English (en-US)").input_value() == ATTRIBUTE_BREAKOUT
    screenshot(page, "messages", tmp_path)
    page.get_by_label("English (en-US)").fill("<script>alert(1)</script>")
    page.get_by_role("button", name="Put on the air").click()
    expect(page.locator("#problems")).to_be_focused()
    expect(page.locator("#text-en-US-error")).to_contain_text("markup")
    assert page.get_by_label("English (en-US)").input_value() == "<script>alert(1)</script>"
    page.get_by_role("button", name="All clear").click()
    expect(page.locator("#done")).to_have_text(
        "All clear: 3 messages taken off the air. Callers hear the ordinary greeting."
    )
    assert STORM_WORDS not in Caller(phone).dial().text
    page.get_by_role("link", name="Audit").click()
    expect(page.get_by_role("table")).to_contain_text("ana (console) (preset storm)")
    screenshot(page, "audit", tmp_path)
    assert dialogs == []  # nothing anyone typed ever ran as a script


def test_the_live_page_updates_by_itself_when_a_caller_joins_a_queue(app, console, tmp_path):
    from playwright.sync_api import expect

    base, phone, browser = console
    make_account(app, "screen", Role.WALLBOARD)
    page = browser.new_page()
    sign_in_page(page, base, "screen")
    waiting = page.locator('tr[data-queue="311-english"] td[data-field="waiting"]')
    expect(waiting).to_have_text("0")
    expect(page.locator("#live-status")).to_have_attribute("data-state", "live")  # the stream is open
    page.evaluate("window.sameDocument = true")
    caller = ask_for_agent(phone)
    poll(phone, caller, position=1, waited=5)
    expect(waiting).to_have_text("1", timeout=2_000)  # within 2 s, with no reload:
    assert page.evaluate("window.sameDocument") is True
    offered = page.locator('tr[data-queue="311-english"] td[data-field="offered"]')
    expect(offered).to_have_text("0")  # offered counts a wait once it ended, as Reports does
    screenshot(page, "live", tmp_path)
    caller.hang_up()
    expect(waiting).to_have_text("0", timeout=2_000)
    expect(offered).to_have_text("1", timeout=2_000)
    expect(page.locator('tr[data-queue="311-english"] td[data-field="abandoned"]')).to_have_text("1")
    assert page.get_by_role("link", name="Messages").count() == 0  # a wallboard's menu offers only the live page


def test_every_page_fits_a_tablet_without_sideways_scrolling(app, console, tmp_path):
    base, _, browser = console
    make_account(app, "chief", Role.ADMIN)
    page = browser.new_page()
    page.set_viewport_size(TABLET)
    sign_in_page(page, base, "chief")
    for path in ("/console/live", "/console/messages", "/console/audit", "/console/accounts", "/console/login"):
        page.goto(f"{base}{path}")
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), path
    page.goto(f"{base}/console/live")
    screenshot(page, "live-tablet", tmp_path)
    page.set_viewport_size(LAPTOP)
    page.goto(f"{base}/console/accounts")
    page.get_by_text("Change chief").click()  # the details of one account, opened by a click
    screenshot(page, "accounts", tmp_path)


def test_admin_unlocks_from_accounts_page_in_chromium(app, console, session):
    from playwright.sync_api import expect

    base, _, browser = console
    make_account(app, "chief", Role.ADMIN)
    make_account(app, "ana", Role.SUPERVISOR)
    page = browser.new_page()
    page.goto(f"{base}/console/login")
    for _ in range(CONSOLE_LOGIN_FAILURES_PER_ACCOUNT + 1):  # ana mistypes, then is told to wait
        page.get_by_label("Name").fill("ana")
        page.get_by_label("Password").fill("a wrong guess")
        page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("Too many failed sign-ins")
    sign_in_page(page, base, "chief", going="/console/accounts")  # the administrator, from the same address
    row = page.get_by_role("row").filter(has_text="sign-in locked")
    expect(row).to_contain_text("ana")
    expect(row).to_contain_text("127.0.0.1 until")
    row.get_by_role("button", name="Unlock ana").click()
    expect(page.locator("#done")).to_have_text("Every sign-in lock on that name is lifted.")
    expect(page.get_by_text("sign-in locked")).to_have_count(0)
    page.get_by_role("button", name="Sign out").click()
    sign_in_page(page, base, "ana", going="/console/messages")
    expect(page.get_by_role("heading", name="Messages", exact=True)).to_be_visible()  # at once, no waiting
    entry = session.exec(select(AuditEntry).where(AuditEntry.action == "account.unlock")).one()
    assert entry.actor == "chief (console)" and entry.before == {"locked_from": ["127.0.0.1"]}
