"""The browser phone in real headless Chromium, against the app served on a real port in development mode: calls and
texts placed by clicking, what the service says read (and handed to speech synthesis in its language), the agent
phone answering a caller from the queue, and a call-back ringing on the phone that asked for it.

`make screenshots` runs this with ONECALL_SCREENSHOTS=docs to refresh docs/simulator.png.
"""

from __future__ import annotations

import contextlib
import os
import re
import threading

import pytest

from core.worker import configure
from crm_bridge import ticket_numbers
from outreach import callback_dispatch
from settings import ROOT, load_settings
from tests.console.chromium import TABLET, chromium, needs_chromium
from tests.crm_bridge.builders import make_ticket
from tests.served import served

pytestmark = needs_chromium

# Every utterance the page hands to speech synthesis, with its language (headless Chromium has no voices to hear).
SPY = """
window.spoken = [];
if (window.speechSynthesis) {
  window.speechSynthesis.speak = function (utterance) { window.spoken.push([utterance.lang, utterance.text]); };
}
"""


@pytest.fixture
def dev_settings(env):
    """A developer's server after a fresh clone: no TWILIO_*, so the service's calls and texts go to the outbox."""
    return load_settings(ROOT / "config.toml", {k: v for k, v in env.items() if not k.startswith("TWILIO_")})


@pytest.fixture
def browser_phone(dev_settings, engine, redis, clock, tmp_path):
    """The page open in Chromium on the served app; yields the page (every dialog is counted in page.dialogs)."""
    with contextlib.ExitStack() as stack:
        port = stack.enter_context(served(dev_settings, clock))
        browser = stack.enter_context(chromium(tmp_path / "profile"))
        browser.add_init_script(SPY)
        page = browser.new_page()
        page.dialogs = []
        page.on("dialog", lambda dialog: (page.dialogs.append(dialog.message), dialog.dismiss()))
        page.goto(f"http://127.0.0.1:{port}/simulator")
        yield page
        assert page.dialogs == []  # nothing the service said or anyone typed ran as a script


def add_phone(page, number: int):
    page.get_by_role("button", name="Add a phone").click()
    phone = page.locator(f'section[data-phone="p{number}"]')
    phone.wait_for()
    return phone


def press(phone, keys: str) -> None:
    for key in keys:
        phone.get_by_role("button", name=f"Key {key}", exact=True).click()


def say(phone, words: str, confidence: float | None = None) -> None:
    phone.get_by_label("Say").fill(words)
    if confidence is not None:
        phone.get_by_label("Speech confidence").fill(str(confidence))
    phone.get_by_role("button", name="Say it").click()


def expect_heard(phone, words: str, timeout: int = 10_000) -> None:
    from playwright.sync_api import expect

    expect(phone.locator(".transcript")).to_contain_text(words, timeout=timeout)


def key_for(phone, words: str) -> str:
    """The key a list just offered for these words ("For ... libraries ..., press 4.")."""
    offer = phone.locator(".line-service", has_text=re.compile(re.escape(words) + r".*press \d")).last
    offer.wait_for()
    return re.search(r"press (\d)", offer.inner_text()).group(1)


def screenshot(page, tmp_path) -> None:
    """docs/simulator.png when ONECALL_SCREENSHOTS=docs (`make screenshots`), else beside the test."""
    folder = ROOT / "docs" if os.environ.get("ONECALL_SCREENSHOTS") == "docs" else tmp_path
    path = folder / "simulator.png"
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 1000


def test_a_call_asks_by_speech_and_by_key_then_reports_a_problem_and_hears_the_ticket_number(browser_phone, tmp_path):
    from playwright.sync_api import expect

    page = browser_phone
    expect(page.locator("#no-phones")).to_be_visible()
    phone = add_phone(page, 1)
    expect(phone.get_by_role("button", name="Call 311")).to_be_focused()  # ready for the keyboard
    assert re.fullmatch(r"217-555-01\d\d", phone.locator(".phone-number").inner_text())
    page.keyboard.press("Enter")  # Call 311, from the keyboard
    expect_heard(phone, "Thank you for calling Springfield 3 1 1.")
    expect(phone.locator(".phone-status")).to_have_text("In a call: the service waits for keys or words")
    assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") == "solid"  # focus plain to see
    expect(phone.locator('.line-service[lang="es-US"]').first).to_have_text("311Para español, oprima 2.")
    # By speech, straight from the welcome, with a confidence chosen on the slider.
    say(phone, "when is the library open", confidence=0.85)
    expect_heard(phone, "branches are open")
    expect(phone.locator(".line-caller").last).to_have_text("Youwhen is the library open")
    phone.get_by_role("button", name="Hang up").focus()
    page.keyboard.press("9")  # goodbye, typed on the keyboard
    expect(phone.locator(".phone-status")).to_have_text("Idle")
    expect(phone.get_by_role("button", name="Call 311")).to_be_focused()  # the keyboard keeps its place
    # By key: English, ask a question, the list of topics, then the question.
    phone.get_by_role("button", name="Call 311").click()
    expect(phone.get_by_role("button", name="Hang up")).to_be_enabled()
    press(phone, "1")
    expect_heard(phone, "Main menu.")
    press(phone, "1")
    expect_heard(phone, "Please ask your question in a few words.")
    press(phone, "1")
    press(phone, key_for(phone, "libraries"))
    press(phone, key_for(phone, "Library hours"))
    expect(phone.locator(".line-service", has_text="branches are open")).to_have_count(2)
    phone.get_by_role("button", name="Hang up").click()
    expect(phone.locator(".phone-status")).to_have_text("Idle")
    # Report a pothole and hear its ticket number.
    phone.get_by_role("button", name="Call 311").click()
    expect(phone.get_by_role("button", name="Hang up")).to_be_enabled()
    press(phone, "1")
    expect_heard(phone, "Main menu.")
    press(phone, "2")
    expect_heard(phone, "What kind of problem")
    say(phone, "pothole")
    expect_heard(phone, "Please say the street address")
    say(phone, "143 Main Street")
    expect_heard(phone, "I found 143 North Main Street. Is that right?")
    for key, next_prompt in (
        ("1", "Is it in a traffic lane?"),
        ("1", "Is it bigger than a car tire?"),
        ("2", "Would you like to describe the problem in your own words?"),
        ("2", "ending in"),
        ("1", "Would you like a text message when this is fixed?"),
        ("2", "You are reporting: Pothole, at 143 North Main Street."),
    ):
        press(phone, key)
        expect_heard(phone, next_prompt)
    press(phone, "1")  # that's right
    expect_heard(phone, "Your ticket number is")
    said = phone.locator(".line-service", has_text="Your ticket number is").inner_text()
    number = re.search(r"Your ticket number is ([\d ,]+)\.", said).group(1)
    assert ticket_numbers.is_valid(ticket_numbers.clean(number))
    spoken = page.evaluate("window.spoken")  # read aloud, each sentence in the language it was said in
    assert ["en-US", "Thank you for calling Springfield 3 1 1."] in spoken
    assert ["es-US", "Para español, oprima 2."] in spoken


def add_agent_phone(page, name: str, number: int):
    page.get_by_label("Agent").select_option(value=name)
    page.get_by_role("button", name="Add an agent phone").click()
    phone = page.locator(f'section[data-phone="p{number}"]')
    phone.wait_for()
    return phone


def agent_signs_in(agent) -> None:
    """The agent phone gets a development PIN from the page, calls the agent line and keys it."""
    from playwright.sync_api import expect

    agent.get_by_role("button", name="Set a development PIN").click()
    expect(agent.locator(".phone-pin")).to_contain_text("PIN (development): ")
    pin = re.search(r"PIN \(development\): (\d+)", agent.locator(".phone-pin").inner_text()).group(1)
    agent.get_by_role("button", name="Call the agent line").click()
    expect_heard(agent, "Please enter your PIN, then press the pound key.")
    press(agent, pin)
    expect(agent.locator(".keys-typed")).to_have_text(pin)  # keys wait on the display until the pound key
    press(agent, "#")


def ask_for_a_person(phone) -> None:
    from playwright.sync_api import expect

    phone.get_by_role("button", name="Call 311").click()
    expect_heard(phone, "Or just tell me what you're calling about.")
    say(phone, "when is the library open")
    expect_heard(phone, "To speak to someone, press 0.")
    press(phone, "0")
    expect(phone.locator(".phone-status")).to_have_text("On hold, waiting for a person")


def test_a_caller_waiting_in_the_queue_is_answered_by_the_agent_phone_and_both_see_it(browser_phone, tmp_path):
    from playwright.sync_api import expect

    page = browser_phone
    caller = add_phone(page, 1)
    ask_for_a_person(caller)
    expect_heard(caller, "Please hold")
    caller.get_by_label("Text 311").fill("library hours")  # a text while on hold, answered in the thread
    caller.get_by_role("button", name="Send text").click()
    expect(caller.locator(".thread .text-service")).to_contain_text("Most branches: Mon-Thu 9am-8pm")
    agent = add_agent_phone(page, "Ana", 2)
    expect(agent.locator(".phone-number")).to_have_text("555-555-0101")  # Ana's number from config.toml
    expect(agent.locator(".phone-pin")).to_contain_text("Ana has no PIN yet")
    agent_signs_in(agent)
    expect_heard(agent, "Next caller: English. Topic: Library hours.")
    expect(agent.locator(".phone-status")).to_have_text("Connected to Phone 1")
    expect(caller.locator(".phone-status")).to_have_text("Connected to Ana's agent phone")  # on the next tick
    expect_heard(caller, "Thank you for waiting. Connecting you now.")
    expect(caller.locator(".transcript")).to_contain_text("connected to +15555550101")
    screenshot(page, tmp_path)
    caller.get_by_role("button", name="Hang up").click()  # the caller hangs up: the agent is handed the next one
    expect(caller.locator(".phone-status")).to_have_text("Idle")
    expect_heard(agent, "the other side hung up")
    expect_heard(agent, "No one is waiting right now.")
    expect(agent.locator(".phone-status")).to_have_text("Waiting for the next caller")
    agent.get_by_role("button", name="Hang up").click()
    expect(agent.locator(".phone-status")).to_have_text("Idle")


def place_call_backs(settings) -> None:
    """The worker's call-back run (every 15 s): in development mode the call lands in the outbox. In a thread of its
    own, as on a worker: the job runs an event loop, and Playwright's is running in this thread."""
    placed = []
    worker = threading.Thread(target=lambda: (configure(settings), placed.append(callback_dispatch.dispatch())))
    worker.start()
    worker.join()
    assert placed == [1]


def test_a_call_back_booked_in_the_queue_rings_on_the_phone_and_answering_connects_the_agent(
    browser_phone, dev_settings
):
    from playwright.sync_api import expect

    page = browser_phone
    caller = add_phone(page, 1)
    ask_for_a_person(caller)
    expect_heard(caller, "press 1")
    press(caller, "1")  # keep my place and call me back
    expect_heard(caller, "number ending in")
    press(caller, "1")  # this number
    expect_heard(caller, "text")
    press(caller, "2")  # no confirmation text
    expect_heard(caller, "You're all set")
    expect(caller.locator(".phone-status")).to_have_text("Idle")
    agent = add_agent_phone(page, "Ana", 2)
    agent_signs_in(agent)
    # Briefed while waiting, as the resident is put straight through when they press 1.
    expect_heard(agent, "A call-back is being placed for you. Please stay on the line. Next: a call-back, English. "
                        "Topic: Library hours.")
    place_call_backs(dev_settings)
    expect(caller.locator(".phone-status")).to_have_text(re.compile("Ringing: 555-555-0311 is calling"))
    expect(caller.get_by_role("button", name="Call 311")).to_be_disabled()
    caller.get_by_role("button", name="Answer").click()
    expect_heard(caller, "This is Springfield 3 1 1 returning your call about Library hours.")
    press(caller, "1")
    expect(caller.locator(".phone-status")).to_have_text("Connected to Ana's agent phone")
    expect(agent.locator(".phone-status")).to_have_text("Connected to Phone 1")
    last_four = caller.locator(".phone-number").inner_text()[-4:]
    expect_heard(agent, f"connected to +*******{last_four}")  # the resident's number, masked as on every staff page
    expect(agent.locator(".transcript")).not_to_contain_text("connected to +1555")  # not the service's own number


def test_texting_status_gets_the_reply_in_the_thread(browser_phone, session, settings):
    from playwright.sync_api import expect

    page = browser_phone
    phone = add_phone(page, 1)
    number = make_ticket(session, settings).number
    phone.get_by_label("Text 311").fill(f"STATUS {number}")
    phone.get_by_label("Text 311").press("Enter")
    thread = phone.locator(".thread")
    expect(thread.locator(".text-me")).to_have_text(f"YouSTATUS {number}")
    expect(thread.locator(".text-service")).to_contain_text("is open and waiting for a crew")
    expect(phone.get_by_label("Text 311")).to_have_value("")
    phone.get_by_label("Text 311").fill("<img src=x onerror=alert(1)>")
    phone.get_by_role("button", name="Send text").click()
    expect(thread.locator(".text-me").last).to_have_text("You<img src=x onerror=alert(1)>")  # as text


def test_the_page_fits_a_tablet_and_speaking_can_be_muted(browser_phone):
    from playwright.sync_api import expect

    page = browser_phone
    page.set_viewport_size(TABLET)
    phone = add_phone(page, 1)
    add_agent_phone(page, "Ben", 2)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.get_by_label("Speak what the phones hear").uncheck()
    phone.get_by_role("button", name="Call 311").click()
    expect_heard(phone, "Thank you for calling Springfield 3 1 1.")
    assert page.evaluate("window.spoken") == []  # muted: shown, not spoken
    page.reload()
    expect(page.get_by_label("Speak what the phones hear")).not_to_be_checked()  # remembered by this browser
    expect_heard(page.locator('section[data-phone="p1"]'), "Thank you for calling")  # the phones are still there
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_outside_agent_hours_the_page_says_so_and_puts_agents_on_duty(browser_phone, clock):
    import datetime as dt

    from playwright.sync_api import expect

    page = browser_phone
    clock.now = dt.datetime(2026, 11, 22, 23, 0, tzinfo=dt.UTC)  # Sunday, 5 p.m. in Springfield: [hours] say closed
    page.reload()
    status = page.locator("#duty-status")
    expect(status).to_contain_text("Agents are off duty now (config.toml [hours]): pressing 0 leads to the after-hours")
    page.get_by_role("button", name="Put agents on duty now").click()
    expect(status).to_contain_text("Agents are on duty until today at 7 p.m.")
    expect(page.get_by_role("button", name="Put agents on duty now")).to_be_hidden()
    ask_for_a_person(add_phone(page, 1))  # press 0: on hold for a person, not the after-hours menu
    page.get_by_role("button", name="Back to config.toml [hours]").click()
    expect(status).to_contain_text("Agents are off duty now")


def test_the_tours_call_back_step_a_second_phone_keeps_its_place_while_the_agent_is_busy(browser_phone, dev_settings):
    """Step 6 of the tour, as written: the call-back needs the agent busy with another phone."""
    from playwright.sync_api import expect

    page = browser_phone
    first = add_phone(page, 1)
    ask_for_a_person(first)
    agent = add_agent_phone(page, "Ana", 2)
    agent_signs_in(agent)
    expect(agent.locator(".phone-status")).to_have_text("Connected to Phone 1")
    second = add_phone(page, 3)
    ask_for_a_person(second)  # Ana is busy: the second phone holds
    expect_heard(second, "press 1")
    press(second, "1")  # keep my place and call me back
    expect_heard(second, "number ending in")
    press(second, "1")
    expect_heard(second, "text")
    press(second, "2")
    expect_heard(second, "You're all set")
    first.get_by_role("button", name="Hang up").click()  # Ana is free again, and briefed on the call-back
    expect_heard(agent, "A call-back is being placed for you. Please stay on the line. Next: a call-back, English.")
    place_call_backs(dev_settings)
    expect(second.locator(".phone-status")).to_have_text(re.compile("Ringing: 555-555-0311 is calling"))
    second.get_by_role("button", name="Answer").click()
    expect_heard(second, "returning your call about Library hours.")
    press(second, "1")
    expect(second.locator(".phone-status")).to_have_text("Connected to Ana's agent phone")
    expect(agent.locator(".phone-status")).to_have_text("Connected to Phone 3")
