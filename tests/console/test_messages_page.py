"""The messages page: presets in two clicks, all clear, new messages previewed and validated, heard on the next call."""

from __future__ import annotations

from sqlmodel import select
from starlette.testclient import TestClient

from app import create_app
from console.models import Role
from core.audit import AuditEntry
from surge.models import Announcement
from tests.console.browser_session import csrf_of, signed_in
from tests.helpers import Caller

STORM_WORDS = "Because of the storm, we are getting many calls."
ATTRIBUTE_BREAKOUT = '" onfocus="alert(1)" autofocus=" javascript:alert(2) \' `'


def _flat(html: str) -> str:
    return " ".join(html.split())


def _post(app, path: str, **fields: str):
    token = csrf_of(app.get("/console/messages").text)
    return app.post(path, data={"csrf": token, **fields})


def test_storm_on_in_two_clicks_is_heard_on_the_next_call_and_off_again(app, session):
    signed_in(app, Role.SUPERVISOR, name="ana")
    page = app.get("/console/messages")  # click one: open the page
    assert "Switch storm on" in page.text and "Nothing is on the air." in page.text
    on = app.post("/console/presets/storm", data={"csrf": csrf_of(page.text), "switch": "on"})  # click two
    assert on.status_code == 200 and on.url.path == "/console/messages"
    assert "Storm is on: 3 messages on the air, heard from the next call on." in on.text
    assert STORM_WORDS in _flat(on.text.split('id="heard"')[1])  # what the next caller hears, on the page
    assert STORM_WORDS in Caller(app).dial().text
    off = _post(app, "/console/presets/storm", switch="off")
    assert "Storm is off: 3 messages taken off the air." in off.text and "Switch storm on" in off.text
    assert STORM_WORDS not in Caller(app).dial().text
    actors = {row.actor for row in session.exec(select(AuditEntry)).all()}
    assert {"ana (console) (preset storm)", "ana (console)"} <= actors


def test_a_message_set_on_the_page_is_heard_on_a_call_to_another_web_process(app, settings, clock):
    signed_in(app, Role.SUPERVISOR, name="ana")
    with TestClient(create_app(settings, clock=clock)) as other:
        Caller(other).dial()  # the other process has read the messages once already
        _post(app, "/console/messages", scope="greeting", **{"text-en-US": "Leaf pickup starts Monday."}, do="create")
        assert Caller(other).dial().says[0] == ("en-US", "Leaf pickup starts Monday.")


def test_all_clear_takes_every_message_off_the_air(app):
    signed_in(app, Role.ADMIN, name="chief")
    _post(app, "/console/presets/storm", switch="on")
    _post(app, "/console/presets/election", switch="on")
    cleared = _post(app, "/console/all-clear")
    assert "All clear: 4 messages taken off the air." in cleared.text
    assert "Nothing is on the air." in cleared.text
    assert "storm" not in Caller(app).dial().text.lower()


def test_preview_shows_the_words_around_the_message_and_stores_nothing(app, session):
    signed_in(app, Role.SUPERVISOR, name="ana")
    shown = _post(
        app,
        "/console/messages",
        scope="queue",
        do="preview",
        **{"text-en-US": "Power outage questions:   call Springfield Electric.", "text-es-US": ""},
    )
    preview = _flat(shown.text.split('id="preview"')[1])
    assert "You are number 2 in line. Your wait is about 3 to 5 minutes." in preview
    assert "Power outage questions: call Springfield Electric." in preview  # as it will be said: blanks folded
    assert "To leave a voice message instead of waiting, press 3." in preview
    assert session.exec(select(Announcement)).all() == []
    assert "Power outage questions:   call Springfield Electric." in shown.text  # the form keeps what was typed


def test_a_message_is_put_on_the_air_and_ended_from_the_page(app):
    signed_in(app, Role.SUPERVISOR, name="ana")
    texts = {"text-en-US": "City offices close at noon today.", "text-es-US": "Las oficinas cierran a mediodía."}
    created = _post(app, "/console/messages", scope="greeting", do="create", **texts)
    assert "The message is on the air: the next call hears it." in created.text
    heard = Caller(app).dial().says
    assert heard[:2] == [("en-US", "City offices close at noon today."), ("es-US", "Las oficinas cierran a mediodía.")]
    message_id = created.text.split('action="/console/messages/')[1].split("/end")[0]
    ended = _post(app, f"/console/messages/{message_id}/end")
    assert "The message is off the air" in ended.text
    assert "City offices close" not in Caller(app).dial().text
    assert _post(app, "/console/messages/99999/end").status_code == 404


def test_mistakes_are_named_next_to_their_field_and_what_was_typed_is_kept(app, session):
    signed_in(app, Role.SUPERVISOR, name="ana")
    cases = [
        ({"scope": "greeting", "text-en-US": "  "}, "text for at least one language"),
        ({"scope": "greeting", "text-en-US": "x" * 501}, "the message is 501 characters; at most 500"),
        ({"scope": "greeting", "text-en-US": "<script>alert(1)</script>"}, "markup (&lt;, &gt;, &amp;...;, braces)"),
        ({"scope": "billboard", "text-en-US": "Hello"}, "choose where the message is heard"),
        ({"scope": "sms", "text-en-US": "Hi", "starts_at": "tomorrow"}, "use a date and time like 2026-11-17 14:30"),
        ({"scope": "sms", "text-en-US": "Hi", "ends_at": "2020-01-01T10:00"}, "this end time has already passed"),
        (
            {"scope": "sms", "text-en-US": "Hi", "starts_at": "2026-11-20T10:00", "ends_at": "2026-11-19T10:00"},
            "ends_at must be after starts_at",
        ),
        ({"scope": "sms", "text-en-US": "Hi", "priority": "urgent"}, "a whole number from 0 to 1000"),
    ]
    for fields, problem in cases:
        refused = _post(app, "/console/messages", do="create", **fields)
        assert refused.status_code == 422, fields
        assert problem in refused.text, (fields, refused.text.split('id="problems"')[1][:400])
        assert 'role="alert" id="problems"' in refused.text
    kept = _post(
        app,
        "/console/messages",
        do="create",
        scope="queue",
        priority="7",
        ends_at="2020-01-01T10:00",
        **{"text-en-US": "Bring your receipt.", "text-es-US": "Traiga su recibo."},
    )
    assert 'id="scope-queue" name="scope" value="queue" checked' in _flat(kept.text)
    assert ">Bring your receipt.</textarea>" in kept.text and ">Traiga su recibo.</textarea>" in kept.text
    assert 'value="7"' in kept.text and 'value="2020-01-01T10:00"' in kept.text
    assert 'aria-invalid="true" aria-describedby="ends_at-error"' in kept.text
    assert session.exec(select(Announcement)).all() == []


def test_refused_markup_is_shown_back_as_text_never_run(app):
    signed_in(app, Role.SUPERVISOR, name="ana")
    refused = _post(
        app,
        "/console/messages",
        do="create",
        scope="greeting",
        **{"text-en-US": "</textarea><script>alert(1)</script>"},
    )
    assert "<script>alert(1)</script>" not in refused.text
    assert "&lt;/textarea&gt;&lt;script&gt;alert(1)&lt;/script&gt;</textarea>" in refused.text


def test_hostile_but_allowed_text_is_escaped_everywhere_it_is_shown(app):
    signed_in(app, Role.SUPERVISOR, name="ana")
    page = _post(app, "/console/messages", do="create", scope="greeting", **{"text-en-US": ATTRIBUTE_BREAKOUT})
    assert "on the air" in page.text
    assert ATTRIBUTE_BREAKOUT not in page.text
    escaped = "&#34; onfocus=&#34;alert(1)&#34; autofocus=&#34; javascript:alert(2) &#39; `"
    assert page.text.count(escaped) >= 2  # the table of messages, and what the next caller hears
    assert 'onfocus="alert(1)"' not in page.text
    assert Caller(app).dial().says[0] == ("en-US", ATTRIBUTE_BREAKOUT)  # the caller hears the words as typed


def test_roles_a_wallboard_may_not_open_it_and_a_content_editor_only_reads_it(app):
    signed_in(app, Role.CONTENT_EDITOR, name="editor")
    page = app.get("/console/messages")
    assert page.status_code == 200 and "What the next caller hears" in page.text
    assert "Switch storm on" not in page.text and "Put on the air" not in page.text
    assert app.post("/console/presets/storm", data={"csrf": csrf_of(page.text)}).status_code == 403
    assert "Storm" not in Caller(app).dial().text
    app.cookies.clear()
    signed_in(app, Role.WALLBOARD, name="screen")
    assert app.get("/console/messages").status_code == 403


def test_every_change_needs_the_forms_csrf_token(app, session):
    signed_in(app, Role.SUPERVISOR, name="ana")
    for path in ("/console/presets/storm", "/console/all-clear", "/console/messages"):
        refused = app.post(path, data={"csrf": "forged", "scope": "greeting", "text-en-US": "Hi", "do": "create"})
        assert refused.status_code == 403 and "This form has expired" in refused.text
    assert session.exec(select(Announcement)).all() == []


def test_a_message_that_starts_later_is_announced_as_scheduled_not_on_the_air(app):
    signed_in(app, Role.SUPERVISOR, name="ana")
    texts = {"text-en-US": "Offices close at 3 p.m.", "text-es-US": "Las oficinas cierran a las 3 p.m."}
    # The app's clock: 10 a.m. in Chicago. From 3 p.m. today, then from 9 a.m. tomorrow.
    later = _post(app, "/console/messages", scope="greeting", do="create", starts_at="2026-11-17T15:00", **texts)
    assert "The message is scheduled for 15:00 (Springfield time): calls hear it from then on." in later.text
    assert "on the air: the next call" not in later.text
    assert "Offices close" not in Caller(app).dial().text  # indeed not yet
    tomorrow = _post(app, "/console/messages", scope="greeting", do="create", starts_at="2026-11-18T09:00", **texts)
    assert "The message is scheduled for 2026-11-18 09:00 (Springfield time)" in tomorrow.text
    forged = app.get("/console/messages?done=scheduled&at=<b>now</b>")
    assert "scheduled for" not in forged.text  # only a time the page wrote itself is shown
