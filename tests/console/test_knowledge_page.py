"""The knowledge-base pages: search, edit with limits and errors by the field, the publish check and publish anyway,
every channel answering with the change, the unanswered queue, roles, the audit trail and hostile text escaped."""

from __future__ import annotations

import datetime as dt
import html
import re

from sqlmodel import select
from starlette.testclient import TestClient

from app import create_app
from console.models import Role
from core.audit import AuditEntry
from core.db import in_session
from knowledge.base import record_unanswered
from knowledge.models import Article, Unanswered
from tests.console.browser_session import csrf_of, signed_in
from tests.console.test_messages_page import ATTRIBUTE_BREAKOUT
from tests.helpers import Caller, Texter, drain_records

LIBRARY = "/console/knowledge/en-US/library-hours"
STREETLIGHT = "/console/knowledge/en-US/streetlight-out"
NEW_TEXT = "Every branch is open 10am-6pm daily during the renovation. Details: springfield.gov/library"
SCRIPT = "<script>alert(1)</script>"


def article_fields(app: TestClient, path: str) -> dict[str, str]:
    """The fields of the article form as the page fills them in (what a browser would post back unchanged)."""
    page = app.get(path)
    assert page.status_code == 200, page.text

    def between(start: str, end: str) -> str:
        return html.unescape(page.text.split(start, 1)[1].split(end, 1)[0])

    def selected(name: str) -> str:
        block = page.text.split(f'name="{name}"', 1)[1].split("</select>", 1)[0]
        return block.split("selected>", 1)[0].rsplit('value="', 1)[1].split('"', 1)[0] if "selected" in block else ""

    return {
        "csrf": csrf_of(page.text),
        "base": between('name="base" id="base" value="', '"'),
        "title": between('name="title" value="', '"'),
        "department": between('name="department" value="', '"'),
        "topic": selected("topic"),
        "service_code": selected("service_code"),
        "place_answer": selected("place_answer"),
        "spoken": between('name="spoken"', "</textarea>").split(">", 1)[1],
        "text": between('name="text"', "</textarea>").split(">", 1)[1],
        "phrasings": between('name="phrasings"', "</textarea>").split(">", 1)[1],
        "keywords": between('name="keywords"', "</textarea>").split(">", 1)[1],
    }


def edit(app: TestClient, path: str, do: str = "publish", confirm_only: bool = True, **changes: str):
    """Post the article form with changes; when the page asks before publishing only this answer (another language,
    or the other channel, still says the old thing), say yes unless `confirm_only` is False."""
    fields = article_fields(app, path) | changes
    response = app.post(path, data={**fields, "do": do})
    if confirm_only and do == "publish" and response.status_code == 409 and "Publish only this" in response.text:
        checked = re.search(r'name="checked" value="([^"]+)"', response.text).group(1)
        response = app.post(path, data={**fields, "do": "anyway", "checked": checked})
    return response


def kb_audit(session) -> list[AuditEntry]:
    """The knowledge-base entries of the audit trail, oldest first (signing in adds account entries)."""
    return list(session.exec(select(AuditEntry).where(AuditEntry.action.startswith("kb.")).order_by(AuditEntry.id)))


def english(session, article_id: str) -> Article:
    """The stored English article (each language is its own row)."""
    return session.exec(select(Article).where(Article.article_id == article_id, Article.language == "en-US")).one()


def stop_light_edit(app: TestClient) -> dict[str, str]:
    """Teach the streetlight article about stop lights: it takes a traffic-signal question away."""
    fields = article_fields(app, STREETLIGHT)
    fields["keywords"] += ", stop light, stoplight"
    fields["phrasings"] += "\na stop light is out"
    return fields


def test_search_by_phrasing_or_answer_per_language_with_topic_and_review_due(app, clock):
    signed_in(app, Role.SUPERVISOR)
    found = app.get("/console/knowledge", params={"q": "Book drop"})
    assert found.status_code == 200
    assert 'data-article="library-hours"' in found.text and "libraries, parks, recreation and shelters" in found.text
    assert found.text.count("data-article=") < 5 and "review due" not in found.text
    spanish = app.get("/console/knowledge", params={"q": "biblióteca", "language": "es-US"})  # accents don't matter
    assert 'data-article="library-hours"' in spanish.text and 'data-article="pothole"' not in spanish.text
    nothing = app.get("/console/knowledge", params={"q": "zebra crossing"})
    assert "No article in English matches “zebra crossing”" in nothing.text
    clock.now += dt.timedelta(days=200)  # the files were reviewed on 2026-10-15: half a year on, all are due
    signed_in(app, Role.SUPERVISOR, name="next-shift")  # the first session ended long ago
    due = app.get("/console/knowledge")
    assert due.text.count('class="badge due"') == due.text.count("data-article=") > 40
    assert app.get("/console/knowledge", params={"language": "xx-XX"}).status_code == 404


def test_the_article_page_shows_both_answers_with_their_limits(app):
    signed_in(app, Role.CONTENT_EDITOR)
    page = app.get(LIBRARY)
    assert "Spoken (callers hear it)" in page.text and "Text message (texters read it)" in page.text
    assert " of 320 characters" in page.text and " of 110 words, about " in page.text
    assert "1 text segment (GSM-7)" in page.text or "2 text segments (GSM-7)" in page.text
    assert "Mark reviewed today" in page.text and 'value="publish"' in page.text
    spanish = app.get("/console/knowledge/es-US/library-hours")
    assert "(UCS-2)" in spanish.text  # "á" is not in the GSM alphabet: 67 characters a segment
    assert app.get("/console/knowledge/en-US/no-such-article").status_code == 404


def test_an_edited_text_answer_is_the_next_text_and_the_next_call_on_every_web_process(app, settings, clock, session):
    signed_in(app, Role.CONTENT_EDITOR, name="cleo")
    with TestClient(create_app(settings, clock=clock)) as other:
        assert "Mon-Thu 9am-8pm" in Texter(other, "+13125550190").send("when does the library close?")
        spoken = "Every branch is open from 10 in the morning to 6 in the evening, every day, during the renovation."
        published = edit(app, LIBRARY, text=NEW_TEXT, spoken=spoken)
        assert published.status_code == 200 and published.url.path == LIBRARY
        assert "Published this answer only: the answers named before still say the old thing" in published.text
        assert NEW_TEXT in Texter(other, "+13125550191").send("when does the library close?")
        caller = Caller(other)
        caller.dial()
        assert spoken in caller.say("what time does the library close tonight").text
    entry = session.exec(select(AuditEntry).where(AuditEntry.action == "kb.publish")).one()
    assert (entry.actor, entry.subject) == ("cleo (console)", "article:en-US:library-hours")
    assert "Mon-Thu 9am-8pm" in entry.before["text"] and entry.after["text"] == NEW_TEXT
    assert "published_despite" not in entry.after and entry.after["left_saying_the_old"] == ["es-US voice and text"]
    assert "Every branch is open 10am-6pm" in app.get("/console/audit").text


def test_an_answer_by_address_is_kept_through_an_edit_and_chosen_from_the_list(app, session):
    signed_in(app, Role.CONTENT_EDITOR, name="cleo")
    path = "/console/knowledge/en-US/trash-recycling-schedule"
    assert article_fields(app, path)["place_answer"] == "trash_day"
    edited = edit(app, path, title="Trash day and recycling schedule")
    assert edited.status_code == 200
    assert article_fields(app, path)["place_answer"] == "trash_day"
    edit(app, path, place_answer="")
    row = session.exec(select(Article).where(Article.article_id == "trash-recycling-schedule",
                                             Article.language == "en-US")).one()
    session.refresh(row)
    assert row.place_answer is None and row.title == "Trash day and recycling schedule"


def test_mistakes_are_named_by_their_field_and_what_was_typed_is_kept(app, session):
    signed_in(app, Role.CONTENT_EDITOR)
    long_text = "Our branches are open late. " * 12  # 335 characters once blanks are folded
    cases = [
        ({"text": long_text}, "the text answer is 335 characters; at most 320"),
        ({"spoken": "word " * 111}, "the spoken answer is 111 words; at most 110 (about 40 seconds)"),
        ({"title": "  "}, "give the article a title"),
        ({"phrasings": "\n \n"}, "give at least one way a resident asks this, one per line"),
        ({"topic": "weather"}, "choose one of the topics"),
        ({"service_code": "moon-landing"}, "choose a service from the list, or none"),
        ({"department": ""}, "name the department that answers for it"),
    ]
    for change, problem in cases:
        refused = edit(app, LIBRARY, **change)
        assert refused.status_code == 422, change
        assert problem in refused.text and 'role="alert" id="problems"' in refused.text, change
        name = next(iter(change))
        assert f'id="{name}-error"' in refused.text and 'aria-invalid="true"' in refused.text
    kept = edit(app, LIBRARY, text=long_text, spoken="Callers hear   this, as typed.")
    assert html.escape(long_text, quote=False) in kept.text and "Callers hear   this, as typed." in kept.text
    assert "335 of 320 characters" in kept.text
    stored = english(session, "library-hours")
    assert "Mon-Thu 9am-8pm" in stored.text
    assert kb_audit(session) == []


def test_a_change_that_breaks_a_test_phrasing_is_reported_and_needs_publish_anyway(app, session):
    signed_in(app, Role.CONTENT_EDITOR, name="cleo")
    fields = stop_light_edit(app)
    refused = app.post(STREETLIGHT, data={**fields, "do": "publish"})
    assert refused.status_code == 409
    report = html.unescape(refused.text.split('id="check"', 1)[1].split("</section>", 1)[0])
    assert "Not published: this change would break" in report
    assert "'the stop light is out and cars are going through' would now get no answer" in report
    assert "instead of Traffic signal problem" in report and "Publish anyway" in report
    assert "stop light, stoplight" in refused.text  # the edit is still there to change or confirm
    stored = english(session, "streetlight-out")
    assert "stoplight" not in stored.keywords
    checked = report.split('name="checked" value="', 1)[1].split('"', 1)[0]
    # "Anyway" holds only for the draft that was reported: change it, and it is checked again.
    changed = app.post(STREETLIGHT, data={**fields, "title": "Streetlights", "do": "anyway", "checked": checked})
    assert changed.status_code == 409 and "Not published" in changed.text
    anyway = app.post(STREETLIGHT, data={**fields, "do": "anyway", "checked": checked})
    assert anyway.status_code == 200 and "Published anyway" in anyway.text
    session.expire_all()
    stored = english(session, "streetlight-out")
    assert "stoplight" in stored.keywords
    entry = session.exec(select(AuditEntry).where(AuditEntry.action == "kb.publish")).one()
    assert any("cars are going through" in said for said in entry.after["published_despite"])


def test_a_new_phrasing_that_goes_elsewhere_is_named_and_check_only_publishes_nothing(app, session):
    signed_in(app, Role.CONTENT_EDITOR)
    fields = article_fields(app, STREETLIGHT)
    fields["keywords"] += ", stop light"
    fields["phrasings"] += "\nthe stop light is out on my corner"
    checked = app.post(STREETLIGHT, data={**fields, "do": "check"})
    assert checked.status_code == 200
    assert (
        "'the stop light is out on my corner' would now go to Traffic signal problem instead of Streetlight out"
        in html.unescape(checked.text)
    )
    clean = app.post(LIBRARY, data={**article_fields(app, LIBRARY), "do": "check"})
    assert "The check is clean" in clean.text and "already went elsewhere before this change" in clean.text
    assert kb_audit(session) == []


def test_an_article_changed_meanwhile_is_not_overwritten(app):
    signed_in(app, Role.CONTENT_EDITOR)
    stale = article_fields(app, LIBRARY)
    assert edit(app, LIBRARY, text="First editor's words.").status_code == 200
    second = app.post(LIBRARY, data={**stale, "text": "Second editor's words.", "do": "publish"})
    assert second.status_code == 409 and "published by someone else after you opened it" in html.unescape(second.text)
    assert "Second editor&#39;s words." in second.text


def test_a_new_article_is_added_and_answers_texts(app, session, clock):
    signed_in(app, Role.CONTENT_EDITOR)
    form = app.get("/console/knowledge/new", params={"language": "en-US"})
    fields = {
        "csrf": csrf_of(form.text),
        "language": "en-US",
        "article_id": "farmers-market",
        "title": "Farmers market",
        "topic": "community",
        "department": "Parks and Recreation",
        "service_code": "",
        "spoken": "The farmers market is on Saturdays from 8 to 1 on the City Hall plaza, May through October.",
        "text": "Farmers market: Saturdays 8am-1pm, City Hall plaza, May-Oct. Vendors apply at springfield.gov/market.",
        "phrasings": "when is the farmers market\nfarmers market hours\nhow do I sell vegetables at the market",
        "keywords": "farmers market, vendors, produce",
        "do": "publish",
    }
    duplicate = app.post("/console/knowledge/new", data={**fields, "article_id": "library-hours"})
    assert (
        duplicate.status_code == 422
        and "there is already an article &#39;library-hours&#39; in en-US" in duplicate.text
    )
    bad_id = app.post("/console/knowledge/new", data={**fields, "article_id": "Farmers Market!"})
    assert "use 2 to 80 lower-case letters, digits and hyphens" in bad_id.text
    created = app.post("/console/knowledge/new", data=fields)
    assert created.url.path == "/console/knowledge/en-US/farmers-market" and "Added and published" in created.text
    row = session.exec(select(Article).where(Article.article_id == "farmers-market")).one()
    assert row.last_reviewed == clock.now.date()
    assert "Saturdays 8am-1pm" in Texter(app).send("what time is the farmers market on saturday?")
    assert session.exec(select(AuditEntry).where(AuditEntry.action == "kb.create")).one().before is None
    # Not yet in Spanish: the English page starts the Spanish one with the same id, topic, department and service.
    assert "Not yet in" in created.text and "Not yet in" not in app.get(LIBRARY).text
    spanish = app.get(html.unescape(created.text.split("Not yet in", 1)[1].split('href="', 1)[1].split('"', 1)[0]))
    assert spanish.status_code == 200 and 'name="language" value="es-US"' in spanish.text
    assert 'value="farmers-market"' in spanish.text and 'value="community" selected' in spanish.text
    assert 'value="Parks and Recreation"' in spanish.text


def test_mark_reviewed_sets_today_on_the_city_clock_and_is_audited(app, clock, session):
    clock.now += dt.timedelta(days=200)
    signed_in(app, Role.CONTENT_EDITOR, name="cleo")
    page = app.get(LIBRARY)
    assert "review due" in page.text
    reviewed = app.post(f"{LIBRARY}/reviewed", data={"csrf": csrf_of(page.text)})
    assert "Marked reviewed today." in reviewed.text and "review due" not in reviewed.text
    today = clock.now.astimezone(app.app.state.ctx.settings.timezone).date()
    assert f'datetime="{today.isoformat()}"' in reviewed.text
    entry = session.exec(select(AuditEntry).where(AuditEntry.action == "kb.reviewed")).one()
    assert entry.before == {"last_reviewed": "2026-10-15"} and entry.after == {"last_reviewed": today.isoformat()}


def test_an_unanswered_question_added_as_a_phrasing_is_answered_next_time(app, session):
    texter = Texter(app)
    question = "is there somewhere to drop off my overdue novels at night"
    assert texter.send(question).startswith("Sorry, I don't have an answer")
    Texter(app, "+13125550199").send("tell me a joke about penguins")
    drain_records(app)  # texts' questions reach the queue through the drain, a second later
    signed_in(app, Role.CONTENT_EDITOR, name="cleo")
    queue = app.get("/console/knowledge/unanswered")
    assert queue.status_code == 200 and "2 waiting" in queue.text
    rows = queue.text.split('<tr id="q')[1:]
    assert "penguins" in rows[0] and question in rows[1]  # newest first
    unanswered = session.exec(select(Unanswered).where(Unanswered.text == question)).one()
    add = app.post(
        f"/console/knowledge/unanswered/{unanswered.id}/add",
        data={"csrf": csrf_of(queue.text), "article_id": "library-hours", "do": "add"},
    )
    assert add.status_code == 200 and "Added as a phrasing and published" in add.text
    assert question not in add.text and "1 waiting" in add.text
    assert "Mon-Thu 9am-8pm" in texter.send(question)
    stored = english(session, "library-hours")
    assert stored.phrasings[-1] == question
    assert [row.action for row in kb_audit(session)] == ["kb.publish", "kb.question.add"]


def test_adding_a_question_goes_through_the_same_check(app, session):
    # A caller's words kept for the team (speech recognition was unsure): exactly a parking article's phrasing.
    in_session(
        app.app.state.ctx.engine,
        record_unanswered,
        text="How do I pay a parking ticket?",
        language="en-US",
        channel="voice",
        best_guess="parking-ticket-payment",
        confidence=0.3,
    )
    signed_in(app, Role.CONTENT_EDITOR)
    unanswered = session.exec(select(Unanswered)).one()
    queue = app.get("/console/knowledge/unanswered")
    path = f"/console/knowledge/unanswered/{unanswered.id}/add"
    refused = app.post(path, data={"csrf": csrf_of(queue.text), "article_id": "library-hours", "do": "add"})
    assert refused.status_code == 409
    said = html.unescape(refused.text)
    assert "would now go to" in said and "instead of Library hours" in said and "Add anyway" in said
    assert 'value="library-hours" selected' in refused.text  # the article chosen is still chosen
    checked = refused.text.split('name="checked" value="', 1)[1].split('"', 1)[0]
    added = app.post(
        path, data={"csrf": csrf_of(queue.text), "article_id": "library-hours", "do": "anyway", "checked": checked}
    )
    assert "Added and published anyway" in added.text


def test_dismissed_questions_leave_the_queue_with_their_twins(app, session):
    for phone in ("+13125550101", "+13125550102"):
        Texter(app, phone).send("Tell me a joke about penguins")
    Texter(app, "+13125550103").send("what is the meaning of life")
    drain_records(app)
    signed_in(app, Role.CONTENT_EDITOR, name="cleo")
    queue = app.get("/console/knowledge/unanswered")
    first = session.exec(select(Unanswered).order_by(Unanswered.id)).first()
    dismissed = app.post(f"/console/knowledge/unanswered/{first.id}/dismiss", data={"csrf": csrf_of(queue.text)})
    assert "Dismissed: the question has left the queue." in dismissed.text
    assert "penguins" not in dismissed.text and "meaning of life" in dismissed.text
    again = app.post(f"/console/knowledge/unanswered/{first.id}/dismiss", data={"csrf": csrf_of(queue.text)})
    assert again.status_code == 404
    [entry] = kb_audit(session)
    assert (entry.actor, entry.action, entry.after["state"]) == ("cleo (console)", "kb.question.dismiss", "dismissed")
    empty = Texter(app, "+13125550103")
    empty.send("x")  # nothing to do with the queue; the queue is still shown to readers
    signed_in(app, Role.SUPERVISOR, name="sam")
    assert "meaning of life" in app.get("/console/knowledge/unanswered").text


def test_the_queue_says_when_it_is_empty(app):
    signed_in(app, Role.CONTENT_EDITOR)
    assert "No questions are waiting." in app.get("/console/knowledge/unanswered").text


def test_roles_wallboard_sees_nothing_supervisors_and_content_editors_change(app, session):
    signed_in(app, Role.WALLBOARD, name="screen")
    assert app.get("/console/knowledge").status_code == 403
    assert app.get(LIBRARY).status_code == 403
    assert "Knowledge base" not in app.get("/console/live").text
    token = csrf_of(app.get("/console/live").text)
    assert app.post(LIBRARY, data={"csrf": token, "text": "Hijacked", "do": "publish"}).status_code == 403
    # During a surge the supervisor on shift fixes an answer themselves (the mission: one edit for every channel).
    for role, name in ((Role.SUPERVISOR, "sam"), (Role.CONTENT_EDITOR, "cleo"), (Role.ADMIN, "chief")):
        signed_in(app, role, name=name)
        page = app.get(LIBRARY)
        assert page.status_code == 200 and 'value="publish"' in page.text and "<fieldset disabled>" not in page.text


def test_forms_need_their_csrf_token(app):
    signed_in(app, Role.CONTENT_EDITOR)
    fields = article_fields(app, LIBRARY) | {"csrf": "forged", "text": "Forged", "do": "publish"}
    assert app.post(LIBRARY, data=fields).status_code == 403


def test_hostile_article_text_and_resident_questions_are_shown_as_text(app, session):
    Texter(app).send(f"{SCRIPT} where is the {ATTRIBUTE_BREAKOUT} bookshop")  # kept for the team, as asked
    drain_records(app)
    signed_in(app, Role.CONTENT_EDITOR)
    hostile = f"{SCRIPT} {ATTRIBUTE_BREAKOUT}"
    published = edit(
        app,
        LIBRARY,
        title=f"Library {SCRIPT}",
        department=ATTRIBUTE_BREAKOUT,
        text=f"Open late {hostile}",
        spoken=f"Open late {hostile}",
        keywords=f"library, {ATTRIBUTE_BREAKOUT}",
    )
    assert published.status_code == 200
    for page in (published, app.get("/console/knowledge", params={"q": "library"})):
        assert SCRIPT not in page.text and ATTRIBUTE_BREAKOUT not in page.text
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
    assert 'onfocus="alert(1)"' not in published.text
    queue = app.get("/console/knowledge/unanswered")
    assert SCRIPT not in queue.text and ATTRIBUTE_BREAKOUT not in queue.text and "&lt;script&gt;" in queue.text
    # A hostile phrasing that breaks the check is reported as text too.
    fields = stop_light_edit(app)
    fields["phrasings"] += f"\n{SCRIPT} stop light {ATTRIBUTE_BREAKOUT}"
    report = app.post(STREETLIGHT, data={**fields, "do": "check"})
    assert SCRIPT not in report.text and ATTRIBUTE_BREAKOUT not in report.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt; stop light" in report.text


def test_editing_one_answer_names_what_still_says_the_old_thing_and_asks_before_publishing(app, session):
    signed_in(app, Role.CONTENT_EDITOR, name="cleo")
    asked = edit(app, LIBRARY, confirm_only=False, text=NEW_TEXT)  # the text answer alone
    assert asked.status_code == 409 and 'id="check"' in asked.text
    said = html.unescape(asked.text)
    assert "Not published yet: other answers would still say something different" in said
    assert "Calls still hear the old spoken answer: only the text message was changed." in said
    assert "Español still says what it said before: its answer last changed on " in said
    assert "Publish only this" in said and "Publish anyway" not in said
    assert "Mon-Thu 9am-8pm" in english(session, "library-hours").text and kb_audit(session) == []
    # The confirmation is the server's: a made-up one (or none) publishes nothing.
    fields = article_fields(app, LIBRARY) | {"text": NEW_TEXT}
    forged = app.post(LIBRARY, data={**fields, "do": "anyway", "checked": "0" * 32})
    assert forged.status_code == 409 and kb_audit(session) == []
    checked = re.search(r'name="checked" value="([^"]+)"', asked.text).group(1)
    done = app.post(LIBRARY, data={**fields, "do": "anyway", "checked": checked})
    assert done.status_code == 200 and "Published this answer only" in done.text
    session.expire_all()
    assert english(session, "library-hours").text == NEW_TEXT
    # "Check only" says the same without publishing anything.
    spoken_only = edit(app, LIBRARY, do="check", spoken="The library is open every day from 10 to 6.")
    assert "Texters still read the old text message: only the spoken answer was changed." in html.unescape(
        spoken_only.text
    )
    assert len(kb_audit(session)) == 1
