"""Content cannot break a call or a text: what a person types with an unsafe character is refused with its field
named at every entry edge, and whatever reaches the database anyway never leaves as invalid TwiML or a broken text."""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from sqlmodel import Session, select
from twilio.twiml.messaging_response import MessagingResponse

from console.models import Role
from core import text_rules
from crm_bridge import service as tickets
from crm_bridge.models import TicketStatus
from crm_bridge.ticket_numbers import printed
from flows.menus import MenuError
from flows.models import MenuOverride
from flows.turns import Action, Option, Turn
from flows.wording import Wording
from ivr import twiml
from knowledge import base
from knowledge.editing import normalised, problems
from knowledge.models import Article, ArticleCreate
from sms import render as sms_render
from surge.cache import VERSION_KEY
from surge.models import Announcement, Scope
from tests.console.browser_session import signed_in
from tests.console.test_knowledge_page import LIBRARY, edit
from tests.console.test_menus_page import add
from tests.console.test_routes import api_token, auth
from tests.core.test_text_rules import UNSAFE
from tests.crm_bridge.builders import make_ticket
from tests.flows.builders import menus
from tests.flows.test_menus import ELECTION, MAIN_END, SHIPPED, city_file
from tests.helpers import Caller, Texter, twilio_post
from tests.queueing.test_routes import poll

BIDI_AND_ZERO_WIDTH = ["\u202e", "\u202a", "\u2066", "\u200f", "\u061c", "\u200b", "\u200d", "\u2060", "\ufeff"]
_phones = itertools.count(1000)


def _parses(response) -> ET.Element:
    assert response.status_code == 200, response.text
    assert text_rules.refusal(response.text) is None, ascii(response.text)
    return ET.fromstring(response.content)


def _clean(heard) -> None:
    # tests.helpers.hear has parsed it already (a ParseError fails the test); nothing unsafe is in it either.
    assert text_rules.refusal(heard.xml) is None, ascii(heard.xml)


def _on_air(engine, redis, text: str, *scopes: Scope) -> None:
    # Straight into the database, as a row written before these checks existed (or by hand) would be.
    with Session(engine) as session:
        for row in session.exec(select(Announcement)).all():
            session.delete(row)
        for scope in scopes:
            session.add(Announcement(scope=scope, texts={"en-US": text}, created_by="old data"))
        session.commit()
    redis.incr(VERSION_KEY)


def test_control_characters_in_greeting_never_break_twiml(app, engine, redis):
    refused = app.post(
        "/api/announcements", json={"scope": "greeting", "texts": {"en-US": "Roads\x0b flooded\x07"}},
        headers=auth(api_token(app)),
    )
    assert refused.status_code == 422 and refused.json()["field"] == "texts.en-US"
    assert "control character (U+000B, character 6)" in refused.json()["error"]
    _on_air(engine, redis, "Roads\x0b flooded\x07 \u202eAvoid\x1b Main St.\x7f\x9b", Scope.GREETING)
    heard = Caller(app).dial()  # tests.helpers.hear parses it: a ParseError would fail here
    _clean(heard)
    assert " ".join(heard.says[0][1].split()) == "Roads flooded Avoid Main St."


def test_bidi_and_zero_width_refused_in_article(app, session, settings, tmp_path):
    signed_in(app, Role.CONTENT_EDITOR)
    for char in BIDI_AND_ZERO_WIDTH:
        refused = edit(app, LIBRARY, spoken=f"Open until 8{char}pm")
        assert refused.status_code == 422 and f"U+{ord(char):04X}" in refused.text
        assert 'id="spoken-error"' in refused.text
        refused = edit(app, LIBRARY, text=f"Open until{char} 8pm")
        assert refused.status_code == 422 and 'id="text-error"' in refused.text
    stored = session.exec(select(Article).where(Article.article_id == "library-hours", Article.language == "en-US"))
    assert text_rules.refusal(stored.one().spoken) is None
    draft = ArticleCreate(article_id="x", language="en-US", topic="t", title="Hours\u200b", department="Library",
                          phrasings=["when is it open\u202e"], keywords=[], spoken="Open.", text="Open.",
                          last_reviewed=dt.date(2026, 11, 1))
    found = problems(session, draft=normalised(draft), is_new=False, service_codes=set())
    assert "zero-width" in found["title"] and "text-direction" in found["phrasings"]
    # The knowledge files are refused the same way, naming the file, the article and the field.
    source = (settings.knowledge_dir / "en-US.toml").read_text(encoding="utf-8")
    bad = tmp_path / "en-US.toml"
    bad.write_text(source.replace("Mon-Thu 9am-8pm", "Mon-Thu 9am-8pm\u200b", 1), encoding="utf-8")
    with pytest.raises(base.KnowledgeFileError, match=r"article 'library-hours': (spoken|text) contains a zero"):
        base.read_file(bad)


def test_control_characters_in_menu_labels_are_refused_at_the_console_and_in_the_file(app, session, settings, tmp_path):
    signed_in(app, Role.SUPERVISOR, name="ana")
    refused = add(app, **{"label-en-US": "hear about\x00 voting", "label-es-US": "escuchar sobre el voto"})
    assert refused.status_code == 422 and "the label contains a control character (U+0000" in refused.text
    assert session.exec(select(MenuOverride)).all() == []
    # The menus file: a message with a bidi override stops the start, naming the place.
    hostile = ELECTION.replace("Polls are open", "Polls are\\u202e open")
    with pytest.raises(MenuError, match=r"\[main\]\.options\[\d\]\.message\.en-US: contains a text-direction"):
        menus(city_file(tmp_path, SHIPPED.replace(MAIN_END, MAIN_END[:-1] + hostile + "]", 1)))


def test_control_characters_in_ticket_notes_are_refused_with_the_field_named(app, session, settings):
    ticket = make_ticket(session, settings)
    url = f"/api/tickets/{ticket.number}/status"
    refused = app.post(url, json={"status": "closed", "note": "Fixed\x1b[2J"}, headers=auth(api_token(app)))
    assert refused.status_code == 422 and refused.json()["field"] == "note"
    session.refresh(ticket)
    assert ticket.status == "open"


UNSTORABLE = {"\x00", *map(chr, range(0xD800, 0xE000))}  # PostgreSQL and UTF-8 cannot store these at all
STORABLE = st.text(
    st.one_of(
        st.sampled_from([c for c in UNSAFE if c not in UNSTORABLE]),
        st.characters(exclude_characters="\x00", exclude_categories=("Cs",)),  # Cs: the surrogates, unstorable too
    ),
    min_size=1,
    max_size=40,
)


@hypothesis_settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=STORABLE)
def test_any_unicode_in_editable_fields_every_webhook_parses(app, engine, redis, settings, text):
    # The greeting on the air, the message to callers waiting for a person and the text message footer.
    _on_air(engine, redis, text, Scope.GREETING, Scope.QUEUE, Scope.SMS)
    caller = Caller(app, phone=f"+1312555{next(_phones) % 10000:04d}")
    _clean(caller.dial())
    _clean(poll(app, Caller(app, phone=caller.phone), position=2, waited=30))
    # An article's spoken and text answers, heard on a call and read in a text.
    with Session(engine) as session:
        article = session.exec(
            select(Article).where(Article.article_id == "library-hours", Article.language == "en-US")
        ).one()
        article.spoken, article.text, article.title = f"{text} spoken", f"{text} text", f"{text} title"
        session.add(article)
        session.commit()
    base.bump_version(redis)
    _clean(caller.say("when is the library open", confidence="0.95"))
    texter = Texter(app, phone=f"+1312555{next(_phones) % 10000:04d}")
    _parses(twilio_post(app, "/sms/incoming", texter.form("when is the library open")))
    # A closing note, read back to a caller checking the request and to a resident texting STATUS.
    with Session(engine) as session:
        ticket = make_ticket(session, settings)
        tickets.change_status(session, ticket=ticket, status=TicketStatus.CLOSED, note=text, actor="old data")
        session.commit()
        number = ticket.number
    _parses(twilio_post(app, "/sms/incoming", texter.form(f"STATUS {printed(number)}")))
    checking = Caller(app, phone=caller.phone)
    checking.dial()
    checking.press("1")
    checking.press("3")
    _clean(checking.press(number))


def test_every_twiml_document_leaves_through_the_one_cleaning_edge():
    # str(response) would skip the cleaning: every voice and messaging document is serialised by xml_document.
    root = Path(text_rules.__file__).resolve().parent.parent
    for path in [*sorted((root / "ivr").glob("*.py")), *sorted((root / "sms").glob("*.py"))]:
        source = path.read_text(encoding="utf-8")
        assert "str(response)" not in source and ".to_xml(" not in source, path.name
        if "Response()" in source:
            assert "text_rules.xml_document(" in source, path.name


def test_a_greeting_override_with_a_control_character_stops_the_start_naming_its_key(settings):
    from app import check_data

    check_data(settings)
    for text, what in (("Welcome\x07 to 311", "control character (U+0007"), ("Welcome\u2066", "text-direction")):
        with pytest.raises(ValueError, match=rf"^wording\.en-US\.greeting: contains a {re.escape(what)}"):
            check_data(dataclasses.replace(settings, wording={"en-US": {"greeting": text}}))


ANY_TEXT = st.text(st.one_of(st.sampled_from(UNSAFE), st.characters(codec=None, exclude_categories=())), max_size=40)


@hypothesis_settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(label=ANY_TEXT, line=ANY_TEXT)
def test_any_unicode_in_a_menu_label_or_line_renders_as_valid_twiml_and_sms(settings, label, line):
    # Lone surrogates and NUL cannot even be stored, so this one goes straight to the renderers a menu goes through.
    wording = Wording.load([language.code for language in settings.languages], settings.wording)
    turn = Turn(
        language="en-US",
        node="main",
        lines=[("en-US", line)],
        prompt=[("en-US", f"Main menu {line}")],
        options=[Option("4", Action("article", "library-hours"), label), Option("5", Action("goto", "ask"), line)],
        hints=[label, line],
    )
    for document in (
        twiml.render(turn, settings, wording, seq=1),
        twiml.render(Turn(language="en-US", node="end", lines=[("en-US", label)], end=True), settings, wording, seq=1),
    ):
        ET.fromstring(document.encode("utf-8"))
        assert text_rules.refusal(document) is None, ascii(document)
    body = sms_render.render(turn, wording)
    reply = MessagingResponse()
    reply.message(body)
    document = text_rules.xml_document(reply)
    assert ET.fromstring(document.encode("utf-8")).find("Message") is not None and text_rules.refusal(document) is None
