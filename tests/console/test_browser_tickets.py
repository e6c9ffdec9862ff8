"""The tickets and voice-messages pages in real headless Chromium: a ticket closed in the browser with a note is
texted to the resident who asked; a voice message marked handled from the list. With ONECALL_SCREENSHOTS=docs these
refresh docs/console-tickets.png and docs/console-voicemails.png.
"""

from __future__ import annotations

import contextlib
import datetime as dt

import pytest
from sqlmodel import select

from console.models import Role
from crm_bridge.models import Ticket
from crm_bridge.ticket_numbers import printed
from tests.conftest import run_jobs
from tests.console.browser_session import make_account, sign_in_page
from tests.console.chromium import TABLET, chromium, needs_chromium, screenshot
from tests.console.test_voicemails_page import make_voicemail
from tests.crm_bridge.builders import TUESDAY_MORNING, make_ticket
from tests.helpers import Caller
from tests.served import served

pytestmark = needs_chromium


@pytest.fixture
def browser(app, settings, clock, tmp_path):
    """The served app and a Chromium on a fresh profile: (base URL, browser)."""
    with contextlib.ExitStack() as stack:
        port = stack.enter_context(served(settings, clock))
        yield f"http://127.0.0.1:{port}", stack.enter_context(chromium(tmp_path / "profile"))


def test_a_ticket_closed_in_the_browser_with_a_note_is_texted_to_the_resident(
    app, browser, session, settings, redis, twilio_api, tmp_path
):
    from playwright.sync_api import expect

    base, chrome = browser
    make_ticket(
        session,
        settings,
        service_code="graffiti",
        address="12 Lake Shore Drive",
        now=TUESDAY_MORNING - dt.timedelta(days=2),
    )
    make_ticket(
        session,
        settings,
        service_code="streetlight",
        address="400 Elm Street",
        now=TUESDAY_MORNING - dt.timedelta(hours=3),
    )
    late = make_ticket(
        session,
        settings,
        address="9 Oak Avenue",
        phone="+13125550147",
        notify_on_close=True,
        now=TUESDAY_MORNING - dt.timedelta(days=12),
    )
    make_account(app, "ana", Role.SUPERVISOR)
    page = chrome.new_page()
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    sign_in_page(page, base, "ana", "/console/tickets")
    expect(page.get_by_role("heading", name="Tickets", exact=True)).to_be_visible()
    page.get_by_label("Overdue only").check()
    page.get_by_role("button", name="Show tickets").click()
    expect(page.locator("#counts")).to_contain_text("1 ticket")
    page.get_by_label("Overdue only").uncheck()  # all three for the picture, the overdue one marked
    page.get_by_role("button", name="Show tickets").click()
    expect(page.locator("#counts")).to_contain_text("3 tickets")
    screenshot(page, "tickets", tmp_path)
    page.get_by_role("link", name=printed(late.number)).click()
    expect(page.get_by_role("heading", name=f"Ticket {printed(late.number)}")).to_be_visible()
    page.get_by_label("New status").select_option("closed")
    page.get_by_role("button", name="Change the status").click()  # no note: refused, the focus on why
    expect(page.locator("#problems")).to_be_focused()
    expect(page.locator("#note-error")).to_contain_text("say what was done")
    assert page.get_by_label("New status").input_value() == "closed"  # what was chosen is kept
    page.get_by_label("Note", exact=True).fill("Filled the pothole on Oak Avenue.")
    page.get_by_role("button", name="Change the status").click()
    expect(page.locator("#done")).to_contain_text("The ticket is closed.")
    expect(page.locator("#history")).to_contain_text("Filled the pothole on Oak Avenue.")
    screenshot(page, "ticket", tmp_path)
    page.set_viewport_size(TABLET)
    for path in ("/console/tickets", f"/console/tickets/{late.number}"):
        page.goto(f"{base}{path}")
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), path
    run_jobs(settings, redis)
    [sent] = twilio_api.messages()
    assert sent["To"] == "+13125550147" and "Filled the pothole on Oak Avenue." in sent["Body"]
    assert dialogs == []


def test_a_voice_message_is_listened_to_and_marked_handled_from_the_list(app, browser, session, tmp_path):
    from playwright.sync_api import expect

    base, chrome = browser
    first = make_voicemail(session, caller="+13125550101", minutes_ago=95, sid="1")
    make_voicemail(session, caller="+13125550102", minutes_ago=12, language="es-US", sid="2")
    make_voicemail(session, caller="+13125550103", minutes_ago=300, handled=True, sid="3")
    make_account(app, "ana", Role.SUPERVISOR)
    page = chrome.new_page()
    sign_in_page(page, base, "ana", "/console/voicemails")
    expect(page.locator("#counts")).to_contain_text("2 waiting to be handled, 1 handled.")
    assert page.locator("audio[controls]").count() == 3
    screenshot(page, "voicemails", tmp_path)
    page.get_by_role("button", name="Mark the message from +*******0102, 12 min ago, handled").click()
    expect(page.locator("#done")).to_have_text("The voice message is marked handled.")
    expect(page.locator("#counts")).to_contain_text("1 waiting to be handled, 2 handled.")
    page.get_by_role("link", name="Ticket or call-back for the message from +*******0101").click()
    page.get_by_label("Call +*******0101 back").select_option("asap")
    page.get_by_role("button", name="Book the call-back").click()
    expect(page.locator("#done")).to_contain_text("The call-back is booked")
    expect(page.locator("#counts")).to_contain_text("0 waiting to be handled, 3 handled.")
    page.set_viewport_size(TABLET)
    for path in ("/console/voicemails", f"/console/voicemails/{first.id}"):
        page.goto(f"{base}{path}")
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), path


def test_a_pothole_reported_by_voice_at_a_spoken_intersection_lands_on_the_tickets_page_with_its_point(
    app, browser, session
):
    from playwright.sync_api import expect

    base, chrome = browser
    caller = Caller(app)
    caller.dial()
    caller.press("1")
    caller.press("2")  # report a problem
    caller.say("pothole")
    assert "I found 5th Street and Main Street. Is that right?" in caller.say("fifth and main").text
    heard = caller.say("yes")
    while heard.node == "report_attr":
        heard = caller.press("*")
    caller.press("2")  # no details
    caller.press("3")  # no call-back
    assert "Your ticket number is" in caller.press("1").text
    ticket = session.exec(select(Ticket)).one()
    make_account(app, "ana", Role.SUPERVISOR)
    page = chrome.new_page()
    sign_in_page(page, base, "ana", "/console/tickets")
    row = page.get_by_role("row").filter(has_text=printed(ticket.number))
    expect(row).to_contain_text("5th Street and Main Street")
    expect(row).to_contain_text(f"({ticket.lat:.5f}, {ticket.long:.5f})")
    page.get_by_role("link", name=printed(ticket.number)).click()
    expect(page.locator("#map-point")).to_have_text(f"5th St & Main St ({ticket.lat:.6f}, {ticket.long:.6f})")
    expect(page.locator("dl.facts")).to_contain_text("Maria Ortega")  # the council district it lies in
