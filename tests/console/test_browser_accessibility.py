"""axe-core on every console page and the browser phone, in real Chromium: no critical and no serious finding.

axe's script comes from the axe-playwright-python test dependency and is injected by this test only: the product
never serves it.
"""

from __future__ import annotations

from sqlmodel import select

from console.models import Role
from console.pages.render import NAV, STATIC
from core.db import in_session
from crm_bridge.models import Ticket
from tests.console.browser_session import make_account, sign_in_page
from tests.console.chromium import needs_chromium
from tests.console.report_builders import a_week, at, ticket, unanswered

pytestmark = needs_chromium

BLOCKING = ("critical", "serious")


def findings(page) -> list[str]:
    """axe's critical and serious findings on the page as it is now, one line each."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [
        f"{page.url}: {v['impact']} {v['id']}: {v['help']} ({len(v['nodes'])}× e.g. {v['nodes'][0]['target']})"
        for v in results.response["violations"]
        if v["impact"] in BLOCKING
    ]


def test_every_console_page_and_the_browser_phone_have_no_critical_or_serious_finding(app, engine, console):
    a_week(engine)
    ticket(engine, service="pothole", opened=at(17, 9), expected=at(20, 17))
    number = in_session(engine, lambda session: session.exec(select(Ticket.number)).first())
    unanswered(engine, at(17, 9), "where do I pay a parking fine")
    base, _, browser = console
    make_account(app, "chief", Role.ADMIN)
    page = browser.new_page()
    found = []
    page.goto(f"{base}/")  # the home page, signed out
    assert page.locator("main").count() == 1  # its content in a landmark
    found += findings(page)
    page.goto(f"{base}/console/login")
    found += findings(page)
    sign_in_page(page, base, "chief", going="/console/live")
    page.wait_for_selector("#queues")
    extra = [
        f"/console/tickets/{number}",
        "/console/knowledge/unanswered",
        "/console/knowledge/new",
        "/console/reports?from=2026-11-11&to=2026-11-17",
        "/console/messages?done=created",  # the green success notice
    ]
    for path in [link for link, _, _ in NAV] + extra:
        page.goto(f"{base}{path}")
        page.wait_for_load_state("networkidle") if path != "/console/live" else None
        found += findings(page)
    # The browser phone with a phone that has heard something and read a text: its scrolling boxes too.
    page.goto(f"{base}/console/simulator")
    page.get_by_role("button", name="Add a phone").click()
    page.get_by_role("button", name="Call 311").click()
    page.wait_for_selector(".transcript li")
    # A long call and chat: both boxes scroll, so a keyboard user must be able to reach them to scroll them.
    page.evaluate(
        """() => { for (const box of document.querySelectorAll('.transcript, .thread')) {
                     for (let i = 0; i < 60; i++) { const li = document.createElement('li');
                       li.textContent = 'Line ' + i; box.appendChild(li); } } }"""
    )
    assert page.evaluate("document.querySelector('.transcript').scrollHeight > "
                         "document.querySelector('.transcript').clientHeight")
    found += findings(page)
    assert not found, "\n".join(found)


def test_axe_is_never_served_by_the_product(app):
    assert app.get("/console/static/axe.min.js").status_code == 404
    static = [path for path in STATIC.rglob("*") if path.is_file()]
    assert static and not any("axe" in path.name.lower() for path in static)
    assert not any("axe.run" in path.read_text(errors="ignore") for path in static)
