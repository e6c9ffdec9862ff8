"""Supervisors during a surge: messages set through the API are heard on every call within seconds."""

from __future__ import annotations

from urllib.parse import urlencode

from sqlmodel import select
from starlette.testclient import TestClient

import core.clock
from app import create_app
from console.models import TokenScope
from console.tokens import create_token
from core.audit import AuditEntry
from core.db import in_session
from tests.helpers import Caller, Texter, hear, twilio_post


def api_token(app: TestClient, name: str = "ana", scope: TokenScope = TokenScope.SUPERVISOR, days: int = 90) -> str:
    """A token made as `run.py token create` would, at the app's clock."""
    engine = app.app.state.ctx.engine
    return in_session(engine, create_token, name=f"{name}-{id(app)}", now=core.clock.now(), scope=scope, days=days)


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


STORM = {
    "scope": "greeting",
    "texts": {
        "en-US": "Roads are flooded downtown. Avoid Main Street.",
        "es-US": "Las calles del centro están inundadas. Evite la calle Main.",
    },
}


def test_api_needs_a_valid_token(app):
    assert app.get("/api/announcements").status_code == 401
    assert app.get("/api/announcements", headers=auth("oc_wrong")).status_code == 401
    assert app.get("/api/announcements", headers=auth(api_token(app))).status_code == 200


def test_greeting_message_is_heard_first_on_the_next_call_in_both_languages(app):
    token = api_token(app)
    assert app.post("/api/announcements", json=STORM, headers=auth(token)).status_code == 201
    heard = Caller(app).dial()
    assert heard.says[0] == ("en-US", "Roads are flooded downtown. Avoid Main Street.")
    assert heard.says[1] == ("es-US", "Las calles del centro están inundadas. Evite la calle Main.")


def test_queue_message_change_is_heard_on_the_next_poll_served_by_another_process(app, settings, clock):
    other = create_app(settings, clock=clock)  # a second web process: its own caches, the same database and Redis
    with TestClient(other) as second:
        caller = Caller(app)
        caller.dial()
        caller.press("0")
        query = urlencode({"lang": "en-US", "queue": "311-english"})
        form = {**caller._form(), "QueuePosition": "2", "QueueTime": "10"}
        before = hear(twilio_post(second, f"/voice/queue/wait?{query}", form))
        message = {"scope": "queue", "texts": {"en-US": "Power outage questions: call Springfield Electric."}}
        assert app.post("/api/announcements", json=message, headers=auth(api_token(app))).status_code == 201
        after = hear(twilio_post(second, f"/voice/queue/wait?{query}", form))
    assert "Springfield Electric" not in before.text
    assert "Power outage questions: call Springfield Electric." in after.text


def test_surge_message_ended_after_redis_restart_is_not_played(app, settings, clock, redis):
    # A quiet web process holds the storm message; Redis restarts empty; the supervisor ends the message elsewhere.
    other = create_app(settings, clock=clock)
    with TestClient(other) as quiet:
        token = api_token(app)
        created = app.post("/api/announcements", json=STORM, headers=auth(token)).json()
        assert "Roads are flooded" in Caller(quiet).dial().text
        redis.flushdb()  # Redis restarted with nothing in it
        assert app.delete(f"/api/announcements/{created['id']}", headers=auth(token)).status_code == 200
        assert "Roads are flooded" not in Caller(quiet).dial().text


def test_ending_a_message_takes_it_off_the_air_and_everything_is_audited(app, session):
    token = api_token(app)
    created = app.post("/api/announcements", json=STORM, headers=auth(token)).json()
    assert app.delete(f"/api/announcements/{created['id']}", headers=auth(token)).status_code == 200
    assert "Roads are flooded" not in Caller(app).dial().text
    audit = session.exec(
        select(AuditEntry).where(AuditEntry.subject == f"announcement:{created['id']}").order_by(AuditEntry.id)
    ).all()
    assert [a.action for a in audit] == ["announcement.create", "announcement.deactivate"]
    assert audit[1].before["active"] is True and audit[1].after["active"] is False
    assert audit[0].actor.startswith("ana")


def test_bad_messages_are_refused_with_a_clear_error(app):
    token = api_token(app)
    cases = [
        ({"scope": "greeting", "texts": {"en-US": "   "}}, "texts.en-US"),
        ({"scope": "greeting", "texts": {"en-US": "x" * 10_000}}, "texts.en-US"),
        ({"scope": "greeting", "texts": {"en-US": "<Hangup/> gotcha"}}, "texts.en-US"),
        ({"scope": "greeting", "texts": {"fr-FR": "Bonjour"}}, "texts.fr-FR"),
        ({"scope": "greeting", "texts": {}}, "texts"),
        ({"scope": "billboard", "texts": {"en-US": "hi"}}, "scope"),
    ]
    for body, field in cases:
        response = app.post("/api/announcements", json=body, headers=auth(token))
        assert response.status_code == 422, body
        payload = response.json()
        assert payload.get("field") == field or payload["details"][0]["field"] == field
    assert app.post("/api/announcements", content=b"not json", headers=auth(token)).status_code == 400
    assert app.get("/api/announcements", headers=auth(token)).json() == []


def test_message_outside_its_window_is_not_said(app):
    body = {**STORM, "starts_at": "2030-01-01T00:00:00Z"}
    assert app.post("/api/announcements", json=body, headers=auth(api_token(app))).status_code == 201
    assert "Roads are flooded" not in Caller(app).dial().text


def test_storm_preset_shortens_the_menu_and_promotes_texting(app):
    assert app.post("/api/presets/storm", headers=auth(api_token(app))).status_code == 201
    caller = Caller(app)
    heard = caller.dial()
    assert "you can also text us" in heard.text
    menu = caller.press("1")
    assert "To ask a question, press 1." in menu.text and "To speak to someone, press 0." in menu.text
    assert ", press 2." not in menu.text  # no key for it, and the caller is told how instead:
    assert "To report a problem or check on a request, just say so." in menu.text
    assert app.post("/api/presets/nonesuch", headers=auth(api_token(app, "b"))).status_code == 404


def test_the_storm_footer_s_keyword_works_in_both_languages_and_one_call_ends_the_preset(app):
    token = api_token(app)
    app.post("/api/presets/storm", headers=auth(token))
    english, spanish = Texter(app), Texter(app, phone="+13125550177")
    answer = english.send("when does the library close?")
    assert answer.endswith("Storm updates: text STORM. Reply MENU for more.")
    assert english.send("STORM").startswith("Springfield 311 updates: Because of the storm")
    respuesta = spanish.send("¿a qué hora cierra la biblioteca?")
    assert respuesta.endswith("Noticias de la tormenta: envíe TORMENTA. Responda MENU para más opciones.")
    assert spanish.send("tormenta").startswith("Avisos del 311 de Springfield: Debido a la tormenta")
    ended = app.delete("/api/presets/storm", headers=auth(token))
    assert ended.status_code == 200 and len(ended.json()) == 3
    assert english.send("STORM") == "There are no alerts from Springfield 311 right now. Text a question any time."
    caller = Caller(app)
    caller.dial()
    assert "To report a problem like a pothole or a missed trash pickup, press 2." in caller.press("1").text


def test_all_clear_takes_every_message_off_the_air(app):
    token = api_token(app)
    app.post("/api/presets/storm", headers=auth(token))
    app.post("/api/presets/election", headers=auth(token))
    cleared = app.post("/api/all-clear", headers=auth(token))
    assert cleared.status_code == 200 and len(cleared.json()) == 4
    caller = Caller(app)
    assert "storm" not in caller.dial().text.lower()
    assert "To report a problem" in caller.press("1").text


def test_sms_footer_message(app):
    message = {"scope": "sms", "texts": {"en-US": "Storm updates: text STORM."}}
    app.post("/api/announcements", json=message, headers=auth(api_token(app)))
    assert "Storm updates: text STORM. Reply MENU for more." in Texter(app).send("when does the library close?")


def test_supervisor_closes_a_ticket_and_the_reporter_is_texted(app, session, settings, redis, twilio_api):
    from tests.conftest import run_jobs
    from tests.crm_bridge.builders import make_ticket

    ticket = make_ticket(session, settings, notify_on_close=True)
    token = api_token(app)
    url = f"/api/tickets/{ticket.number}/status"
    bad = app.post(url, json={"status": "teleported"}, headers=auth(token))
    assert bad.status_code == 422 and "status must be one of" in bad.json()["error"]
    assert app.post("/api/tickets/123456789/status", json={"status": "closed"}, headers=auth(token)).status_code == 404
    silent = app.post(url, json={"status": "closed"}, headers=auth(token))  # the resident is texted the note
    assert silent.status_code == 422 and silent.json()["field"] == "note"
    done = app.post(url, json={"status": "closed", "note": "Patched today."}, headers=auth(token))
    assert done.status_code == 200 and done.json()["status"] == "closed" and "phone" not in done.json()
    run_jobs(settings, redis)
    assert "Patched today." in twilio_api.messages()[0]["Body"]
    # The API's change is in the audit trail like the console's: who, and the status before and after.
    [entry] = app.get("/api/audit", headers=auth(token)).json()[:1]
    assert entry["action"] == "ticket.status" and entry["before"]["status"] == "open"
    assert entry["after"] == {"status": "closed", "duplicate_of": None, "closing_note": "Patched today."}
