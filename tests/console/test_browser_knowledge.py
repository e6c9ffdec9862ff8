"""The knowledge-base pages in real headless Chromium: a content editor changes a text answer, is told that calls and
Spanish still say the old thing, publishes it alone, and the next text (a signed Twilio webhook over HTTP) gets the new
words; a breaking change is reported before publishing.

`make screenshots` (ONECALL_SCREENSHOTS=docs) saves docs/console-knowledge.png and docs/console-knowledge-queue.png.
"""

from __future__ import annotations

from console.models import Role
from tests.console.browser_session import make_account, sign_in_page
from tests.console.chromium import TABLET, needs_chromium, screenshot
from tests.console.test_messages_page import ATTRIBUTE_BREAKOUT
from tests.helpers import Texter, drain_records

pytestmark = needs_chromium

NEW_TEXT = "During the renovation every branch is open 10am-6pm daily. Book drops stay open. springfield.gov/library"


def test_a_content_editor_publishes_a_new_text_answer_and_the_next_text_gets_it(app, console, tmp_path):
    from playwright.sync_api import expect

    base, phone, browser = console
    make_account(app, "cleo", Role.CONTENT_EDITOR)
    page = browser.new_page()
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    sign_in_page(page, base, "cleo", "/console/live")
    page.get_by_role("link", name="Knowledge base").click()
    page.get_by_label("Search titles, phrasings and answers").fill("library close")
    page.get_by_role("button", name="Search").click()
    page.get_by_role("link", name="Library hours").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Library hours")
    answer = page.get_by_label("Text message (texters read it)")
    answer.fill("x" * 321)
    expect(page.locator("#text-count")).to_have_text("321 of 320 characters: too long")  # counted as typed
    answer.fill(NEW_TEXT)
    expect(page.locator("#text-count")).to_have_text(f"{len(NEW_TEXT)} of 320 characters")
    page.get_by_role("button", name="Publish", exact=True).click()
    # Only the text answer changed: calls and the Spanish article would still say the old thing, so the page asks.
    asked = page.locator("#check")
    expect(asked).to_be_focused()
    expect(asked).to_contain_text("Calls still hear the old spoken answer: only the text message was changed.")
    expect(asked).to_contain_text("Español still says what it said before")
    assert "Mon-Thu 9am-8pm" in Texter(phone).send("when does the library close?")  # not published yet
    assert page.get_by_label("Text message (texters read it)").input_value() == NEW_TEXT  # the edit is kept
    page.get_by_role("button", name="Publish only this").click()
    expect(page.locator("#done")).to_contain_text("Published this answer only")
    assert NEW_TEXT in Texter(phone, "+13125550189").send("when does the library close?")  # signed webhook, over HTTP

    # A change that would send another article's question elsewhere is reported, phrasing by phrasing.
    page.goto(f"{base}/console/knowledge/en-US/streetlight-out")
    keywords = page.get_by_label("Keywords, separated by commas")
    keywords.fill(keywords.input_value() + ", stop light, stoplight")
    phrasings = page.get_by_label("Phrasings, one per line")
    phrasings.fill(phrasings.input_value() + "\na stop light is out")
    page.get_by_role("button", name="Publish", exact=True).click()
    report = page.locator("#check")
    expect(report).to_be_focused()
    expect(report).to_contain_text(
        "'the stop light is out and cars are going through' would now get no answer (the matcher is too unsure) "
        "instead of Traffic signal problem"
    )
    assert "stoplight" in page.get_by_label("Keywords, separated by commas").input_value()  # the edit is kept
    screenshot(page, "knowledge", tmp_path)
    page.get_by_role("button", name="Publish anyway").click()
    expect(page.locator("#done")).to_contain_text("Published anyway")
    assert dialogs == []


def test_the_unanswered_queue_shows_hostile_questions_as_text_and_adds_one_as_a_phrasing(app, console, tmp_path):
    from playwright.sync_api import expect

    base, phone, browser = console
    make_account(app, "cleo", Role.CONTENT_EDITOR)
    Texter(phone, "+13125550170").send(f"<script>alert(1)</script> {ATTRIBUTE_BREAKOUT} penguin jokes")
    question = "is there somewhere to drop off my overdue novels at night"
    Texter(phone).send(question)
    drain_records(app)  # texts' questions reach the queue through the drain, a second later
    page = browser.new_page()
    page.set_viewport_size(TABLET)
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    sign_in_page(page, base, "cleo", "/console/knowledge/unanswered")
    expect(page.locator(".kb-queue")).to_contain_text("<script>alert(1)</script>")  # shown, never run
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    screenshot(page, "knowledge-queue", tmp_path)
    row = page.locator("tr", has_text=question)
    row.get_by_label("Add as a phrasing of").select_option(label="Library hours")
    row.get_by_role("button", name="Add phrasing").click()
    expect(page.locator("#done")).to_contain_text("Added as a phrasing and published")
    expect(page.locator(".kb-queue")).not_to_contain_text(question)
    assert "Mon-Thu 9am-8pm" in Texter(phone).send(question)
    for path in ("/console/knowledge", "/console/knowledge/en-US/library-hours", "/console/knowledge/new"):
        page.goto(f"{base}{path}")
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), path
    assert dialogs == []
