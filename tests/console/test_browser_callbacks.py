"""The call-backs and menus pages in real headless Chromium: a call-back rescheduled in the browser (a refused time
first, kept as typed), its new time shown and stored; an informational option added in the browser and heard on the
next signed call over HTTP. `make screenshots` (ONECALL_SCREENSHOTS=docs) refreshes docs/console-callbacks.png and
docs/console-menus.png.
"""

from __future__ import annotations

import datetime as dt

from callbacks import service
from callbacks.models import Callback, CallbackKind, CallbackRequest, CallbackSource
from console.models import Role
from core.db import in_session
from settings import CallbackSettings
from tests.console.browser_session import make_account, sign_in_page
from tests.console.chromium import TABLET, needs_chromium, screenshot
from tests.helpers import Caller

pytestmark = needs_chromium
NOW = dt.datetime(2026, 11, 17, 16, 0, tzinfo=dt.UTC)  # Tuesday 10:00 in Chicago, as the served app's clock


def book(engine, phone: str, hours: float, **extra) -> Callback:
    kind = extra.pop("kind", CallbackKind.SCHEDULED)
    due = NOW + dt.timedelta(hours=hours) if kind is CallbackKind.SCHEDULED else None
    data = CallbackRequest(
        phone=phone,
        language=extra.pop("language", "en-US"),
        kind=kind,
        source=extra.pop("source", CallbackSource.SMS),
        due_at=due,
        **extra,
    )
    return in_session(engine, service.request, data=data, now=NOW, actor="resident")[0]


def test_a_call_back_rescheduled_in_the_browser_shows_and_stores_its_new_time(app, console, engine, session, tmp_path):
    from playwright.sync_api import expect

    base, _, browser = console
    make_account(app, "ana", Role.SUPERVISOR)
    row = book(engine, "+13125550147", 1, topic="library-hours")
    book(engine, "+13125550148", 2, language="es-US", ticket_number="123456789", source=CallbackSource.TICKET)
    book(
        engine,
        "+13125550151",
        0,
        kind=CallbackKind.KEEP_PLACE,
        joined_at=NOW - dt.timedelta(minutes=12),
        source=CallbackSource.QUEUE,
    )
    placing = book(engine, "+13125550149", 3)
    in_session(engine, service.claim, callback_id=placing.id, attempts=0, now=NOW)
    failed = book(engine, "+13125550150", 4, topic="bulk-pickup")
    in_session(engine, service.claim, callback_id=failed.id, attempts=0, now=NOW)
    in_session(
        engine,
        service.call_ended,
        callback_id=failed.id,
        number=1,
        call_status="no-answer",
        now=NOW,
        calendar=app.app.state.ctx.calendar,
        settings=CallbackSettings(retries=0),
    )
    page = browser.new_page()
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    sign_in_page(page, base, going="/console/live")
    page.get_by_role("link", name="Call-backs").click()
    expect(page.get_by_role("heading", name="Upcoming (3)")).to_be_visible()
    field = page.get_by_label("New time for +*******0147")
    assert field.input_value() == "2026-11-17T11:00"  # its due time, in Chicago's clock
    field.fill("2026-11-18T20:00")  # after closing
    page.locator(f"#callback-{row.id}").get_by_role("button", name="Reschedule").click()
    expect(page.locator(f"#due-{row.id}-error")).to_have_text(
        "Agents are not answering then: choose a time inside agent hours."
    )
    assert page.get_by_label("New time for +*******0147").input_value() == "2026-11-18T20:00"  # kept as typed
    page.get_by_label("New time for +*******0147").fill("2026-11-18T09:30")
    page.locator(f"#callback-{row.id}").get_by_role("button", name="Reschedule").click()
    expect(page.locator("#done")).to_have_text("The call-back is moved: it will be placed at the new time.")
    expect(page.locator(f"#callback-{row.id}")).to_contain_text("2026-11-18 09:30")
    session.expire_all()
    assert session.get(Callback, row.id).next_attempt_at == dt.datetime(2026, 11, 18, 15, 30, tzinfo=dt.UTC)
    expect(page.locator("#failed-heading")).to_have_text("Failed (1)")
    expect(page.locator("table").last).to_contain_text("no answer")
    page.locator(f"#callback-{row.id}").get_by_text("Cancel…").click()  # opened, to show what confirming looks like
    screenshot(page, "callbacks", tmp_path)
    assert dialogs == []


def test_an_option_added_in_the_browser_is_heard_on_the_next_call(app, console, tmp_path):
    from playwright.sync_api import expect

    base, phone, browser = console
    make_account(app, "ana", Role.SUPERVISOR)
    page = browser.new_page()
    sign_in_page(page, base, going="/console/menus")
    expect(page.get_by_role("heading", name="Menus", exact=True)).to_be_visible()
    page.get_by_label("Key").fill("0")
    page.get_by_label("Article it plays").select_option(label="Absentee ballots")
    page.get_by_label("English (en-US)").fill("hear about voting by mail")
    page.get_by_label("Español (es-US)").fill("escuchar sobre el voto por correo")
    page.get_by_role("button", name="Add the option").click()
    expect(page.locator("#key-error")).to_have_text("0 is kept for speaking to a person in every menu")
    assert page.get_by_label("English (en-US)").input_value() == "hear about voting by mail"
    page.get_by_label("Key").fill("4")
    page.get_by_role("button", name="Add the option").click()
    expect(page.locator("#done")).to_have_text("The option is added: the next call hears it.")
    expect(page.locator("#menu-en-US-main")).to_contain_text("plays the article “Absentee ballots”")
    caller = Caller(phone)
    caller.dial()
    assert "To hear about voting by mail, press 4." in caller.press("1").text
    assert "absentee" in caller.press("4").text.lower()
    screenshot(page, "menus", tmp_path)


def test_both_pages_fit_a_tablet_without_sideways_scrolling(app, console, engine):
    base, _, browser = console
    make_account(app, "ana", Role.SUPERVISOR)
    book(engine, "+13125550147", 1, topic="library-hours")
    book(engine, "+13125550148", 2, language="es-US", ticket_number="123456789", source=CallbackSource.TICKET)
    page = browser.new_page()
    page.set_viewport_size(TABLET)
    sign_in_page(page, base, going="/console/callbacks")
    for path in ("/console/callbacks", "/console/menus"):
        page.goto(f"{base}{path}")
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), path
