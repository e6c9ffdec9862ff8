"""The supervisors' console in a browser, under /console: server-rendered pages, our own small scripts, no CDN.

Signing in is the only page without a session; every other route carries the session middleware and `requires`
the scope its role grants (console.models.Role).
"""

from __future__ import annotations

from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from console.pages import (
    accounts,
    agents,
    audit,
    callbacks,
    contacts,
    desk,
    floor,
    hours,
    knowledge,
    knowledge_queue,
    live,
    login,
    menus,
    messages,
    reports,
    scenarios,
    simulator,
    tickets,
    voicemails,
)
from console.pages.errors import error_page
from console.pages.render import STATIC
from console.pages.session_auth import signed_in
from core.ids import ID_PARAM

__all__ = ["error_page", "routes"]

SIGNED_IN = signed_in()

routes = [
    Mount(
        "/console",
        routes=[
            Route("/login", login.login_form, methods=["GET"]),
            Route("/login", login.login, methods=["POST"]),
            Mount("/static", app=StaticFiles(directory=STATIC), name="static"),
            # The browser phone: open in development mode, else to signed-in supervisors (its own access check).
            *simulator.routes,
            Mount(
                "",
                routes=[
                    Route("/", login.home, methods=["GET"]),
                    Route("/logout", login.logout, methods=["POST"]),
                    Route("/audit", audit.audit_page, methods=["GET"]),
                    Route("/live", live.live_page, methods=["GET"]),
                    Route("/live/events", live.live_events, methods=["GET"]),
                    Route("/live/floor", floor.floor_panel, methods=["GET"]),
                    Route(f"/live/alerts/{ID_PARAM}/air", floor.air, methods=["POST"]),
                    Route("/messages", messages.messages_page, methods=["GET"]),
                    Route("/messages", messages.new_message, methods=["POST"]),
                    Route(f"/messages/{ID_PARAM}/end", messages.end_message, methods=["POST"]),
                    Route("/presets/{name}", messages.switch_preset, methods=["POST"]),
                    Route("/all-clear", messages.all_clear, methods=["POST"]),
                    Route("/hours", hours.hours_page, methods=["GET"]),
                    Route("/hours", hours.change, methods=["POST"]),
                    Route(f"/hours/{ID_PARAM}/cancel", hours.cancel, methods=["POST"]),
                    Route("/reports", reports.reports_page, methods=["GET"]),
                    Route("/reports/{table}.csv", reports.report_csv, methods=["GET"]),
                    Route("/accounts", accounts.accounts_page, methods=["GET"]),
                    Route("/accounts", accounts.create_account, methods=["POST"]),
                    Route("/accounts/change", accounts.change_account, methods=["POST"]),
                    Route("/tokens", accounts.create_token, methods=["POST"]),
                    Route("/tokens/revoke", accounts.revoke_token, methods=["POST"]),
                    # Call-backs and menus
                    Route("/callbacks", callbacks.callbacks_page, methods=["GET"]),
                    Route(f"/callbacks/{ID_PARAM}/cancel", callbacks.cancel, methods=["POST"]),
                    Route(f"/callbacks/{ID_PARAM}/reschedule", callbacks.reschedule, methods=["POST"]),
                    Route("/menus", menus.menus_page, methods=["GET"]),
                    Route("/menus/options", menus.add_option, methods=["POST"]),
                    Route("/menus/options/move", menus.move_option, methods=["POST"]),
                    Route("/menus/options/remove", menus.remove_option, methods=["POST"]),
                    Route("/menus/revert", menus.revert, methods=["POST"]),
                    # Tickets and voice messages (supervisors).
                    Route("/tickets", tickets.tickets_page, methods=["GET"]),
                    Route("/tickets/{number}", tickets.ticket_page, methods=["GET"]),
                    Route("/tickets/{number}/status", tickets.change_status, methods=["POST"]),
                    Route("/tickets/{number}/duplicate", tickets.mark_duplicate, methods=["POST"]),
                    Route("/tickets/{number}/recording", tickets.recording, methods=["GET"]),
                    Route("/voicemails", voicemails.voicemails_page, methods=["GET"]),
                    Route(f"/voicemails/{ID_PARAM}", voicemails.voicemail_page, methods=["GET"]),
                    Route(f"/voicemails/{ID_PARAM}/handled", voicemails.mark_handled, methods=["POST"]),
                    Route(f"/voicemails/{ID_PARAM}/ticket", voicemails.open_ticket, methods=["POST"]),
                    Route(f"/voicemails/{ID_PARAM}/callback", voicemails.book_callback, methods=["POST"]),
                    Route(f"/voicemails/{ID_PARAM}/recording", voicemails.recording, methods=["GET"]),
                    # Scenarios (issue 13): the scenario files, and running them all against this service.
                    Route("/scenarios", scenarios.scenarios_page, methods=["GET"]),
                    Route("/scenarios/run", scenarios.run_scenarios, methods=["POST"]),
                    # The knowledge base: the list, the unanswered queue, then one article (new, or by language/id).
                    Route("/knowledge", knowledge.knowledge_page, methods=["GET"]),
                    Route("/knowledge/unanswered", knowledge_queue.unanswered_page, methods=["GET"]),
                    Route(f"/knowledge/unanswered/{ID_PARAM}/add", knowledge_queue.add_phrasing, methods=["POST"]),
                    Route(f"/knowledge/unanswered/{ID_PARAM}/dismiss", knowledge_queue.dismiss, methods=["POST"]),
                    Route("/knowledge/new", knowledge.new_article_page, methods=["GET"]),
                    Route("/knowledge/new", knowledge.create_article, methods=["POST"]),
                    Route("/knowledge/{language}/{article_id}", knowledge.article_page, methods=["GET"]),
                    Route("/knowledge/{language}/{article_id}", knowledge.save_article, methods=["POST"]),
                    Route("/knowledge/{language}/{article_id}/reviewed", knowledge.mark_reviewed, methods=["POST"]),
                    # Issue 21: the agent's own page (the screen pop), the agents view and contact search.
                    *desk.routes,
                    *agents.routes,
                    *contacts.routes,
                ],
                middleware=SIGNED_IN,
            ),
        ],
    ),  # the security headers (CSP and the rest) are the whole app's: core.security_headers, in app/factory.py

    # The browser phone's short address (issue 13): it leads to the page under /console.
    Route("/simulator", simulator.front_door, methods=["GET"]),
]
