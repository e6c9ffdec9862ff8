"""The menus page: every menu as a diagram per language; informational options added, moved and removed from the
browser, heard on the next signed call in any web process, every refusal named by its field; audited; escaped."""

from __future__ import annotations

from sqlmodel import select
from starlette.testclient import TestClient

from app import create_app
from console.models import Role
from core.audit import AuditEntry
from flows.models import MenuOverride
from knowledge.models import Article
from tests.console.browser_session import csrf_of, signed_in
from tests.console.test_messages_page import ATTRIBUTE_BREAKOUT
from tests.helpers import Caller

MAIN_FILE = ["1: to ask", "2: do report", "3: to check_number", "0: do agent", "*: do repeat_menu"]
VOTING = {"label-en-US": "hear about voting by mail", "label-es-US": "escuchar sobre el voto por correo"}
MAIN_HEARD = "To hear about voting by mail, press 4."


def _page(app):
    return app.get("/console/menus").text


def _version(html: str) -> str:
    return html.split('name="version" value="')[1].split('"')[0]


def _post(app, path: str, **fields: str):
    html = _page(app)
    return app.post(path, data={"csrf": csrf_of(html), "version": _version(html), **fields})


def add(app, menu: str = "main", key: str = "4", article: str = "absentee-ballot", **labels: str):
    return _post(app, "/console/menus/options", menu=menu, key=key, article=article, **(labels or VOTING))


def _main_menu(caller: Caller) -> str:
    caller.dial()
    return caller.press("1").text  # English: the main menu


def _card(html: str, language: str, menu: str) -> str:
    start = html.index(f'id="menu-{language}-{menu}"')
    return html[start : html.index("</ol>", start)]


def test_the_diagram_shows_every_menu_its_keys_and_where_each_leads_per_language(app):
    signed_in(app, Role.CONTENT_EDITOR, name="editor")
    html = _page(app)
    main = " ".join(_card(html, "en-US", "main").split())
    assert "Main menu" in main and "<kbd>1</kbd>" in main and "ask a question" in main
    assert '<a href="#menu-en-US-ask">Asking a question</a>' in main  # key 1 leads to the Ask menu, linked
    assert '<kbd>0</kbd> <span lang="en-US">speak to someone</span>' in main
    assert "a person: the queue for this language" in main
    assert 'id="menu-en-US-after"' in html and "only after an answer about a problem that can be reported" in html
    assert 'id="menu-en-US-storm.main"' in html and "Main menu in storm mode" in html
    spanish = " ".join(_card(html, "es-US", "main").split())
    assert "hacer una pregunta" in spanish and '<a href="#menu-es-US-ask">' in spanish
    assert "Callers hear the menus file" in html
    assert "No informational options yet." in html


def test_an_option_added_on_the_page_is_heard_on_the_next_call_and_plays_its_article(app, session):
    signed_in(app, Role.SUPERVISOR, name="ana")
    caller = Caller(app)
    assert MAIN_HEARD not in _main_menu(caller)
    added = add(app)
    assert added.status_code == 200 and "The option is added: the next call hears it." in added.text
    assert "changed here by ana (console)" in added.text
    assert "plays the article “Absentee ballots”" in " ".join(_card(added.text, "en-US", "main").split())
    caller = Caller(app)
    assert MAIN_HEARD in _main_menu(caller)
    answer = caller.press("4").text
    article = session.exec(
        select(Article).where(Article.article_id == "absentee-ballot", Article.language == "en-US")
    ).one()
    assert article.spoken in answer  # the informational answer, as the knowledge base says it
    spanish = Caller(app)
    spanish.dial()
    assert "Para escuchar sobre el voto por correo, oprima 4." in spanish.press("2").text
    entry = session.exec(select(AuditEntry).where(AuditEntry.action == "menus.add")).one()
    assert entry.actor == "ana (console)" and entry.subject == "menu:main"
    assert entry.before == {"main": MAIN_FILE}
    [stored] = session.exec(select(MenuOverride)).all()  # ids run on across tests in PostgreSQL: read it back
    assert entry.after["main"][-1] == "4: article absentee-ballot" and entry.after["menus_version"] == stored.id


def test_an_option_added_in_one_web_process_is_heard_in_another(app, settings, clock):
    signed_in(app, Role.SUPERVISOR, name="ana")
    with TestClient(create_app(settings, clock=clock)) as other:
        assert MAIN_HEARD not in _main_menu(Caller(other))  # the other process has built its menus already
        add(app)
        assert MAIN_HEARD in _main_menu(Caller(other))
        _post(app, "/console/menus/revert")
        assert MAIN_HEARD not in _main_menu(Caller(other))


def test_options_move_and_are_removed_and_the_menus_go_back_to_the_file(app, session):
    signed_in(app, Role.SUPERVISOR, name="ana")
    add(app)
    add(
        app,
        key="5",
        article="library-hours",
        **{"label-en-US": "hear library hours", "label-es-US": "escuchar el horario de la biblioteca"},
    )
    heard = _main_menu(Caller(app))
    assert heard.index(MAIN_HEARD) < heard.index("To hear library hours, press 5.")
    moved = _post(app, "/console/menus/options/move", menu="main", key="5", direction="up")
    assert "The option is moved" in moved.text
    heard = _main_menu(Caller(app))
    assert heard.index("To hear library hours, press 5.") < heard.index(MAIN_HEARD)
    _post(app, "/console/menus/options/move", menu="main", key="5", direction="up")
    heard = _main_menu(Caller(app))
    assert heard.index("press 5") < heard.index("To hear these choices again, press star.")
    removed = _post(app, "/console/menus/options/remove", menu="main", key="4")
    assert "The option is removed" in removed.text and MAIN_HEARD not in _main_menu(Caller(app))
    fixed = _post(app, "/console/menus/options/remove", menu="main", key="1")
    assert fixed.status_code == 422 and "only informational options" in fixed.text
    assert "To ask a question, press 1." in _main_menu(Caller(app))
    reverted = _post(app, "/console/menus/revert")
    assert "The menus come from the file again" in reverted.text and "Callers hear the menus file" in reverted.text
    assert "press 5" not in _main_menu(Caller(app))
    trail = session.exec(
        select(AuditEntry).where(AuditEntry.action.startswith("menus.")).order_by(AuditEntry.id)
    ).all()
    assert [e.action for e in trail] == [
        "menus.add",
        "menus.add",
        "menus.move",
        "menus.move",
        "menus.remove",
        "menus.revert",
    ]
    assert trail[-1].before["main"][3:] == ["0: do agent", "5: article library-hours", "*: do repeat_menu"]
    assert trail[-1].after["main"] == MAIN_FILE


def test_invalid_edits_are_refused_with_the_reason_by_the_field_and_what_was_typed_is_kept(app, session):
    signed_in(app, Role.SUPERVISOR, name="ana")
    cases = [
        ({"key": "0"}, "key", "0 is kept for speaking to a person in every menu"),
        ({"key": "*"}, "key", "* is kept for going back"),
        ({"key": "12"}, "key", "one keypad digit from 1 to 9"),
        ({"key": "x"}, "key", "one keypad digit from 1 to 9"),
        ({"key": "2"}, "key", "2 is already used in this menu (2: do report); choose a free key"),
        ({"article": "no-such-article"}, "article", "the knowledge base has no article &#39;no-such-article&#39;"),
        ({"article": ""}, "article", "choose an article of the knowledge base"),
        ({"label-es-US": "  "}, "label-es-US", "say what the option is"),
        ({"label-en-US": "x" * 81}, "label-en-US", "the label is 81 characters; at most 80"),
        ({"label-en-US": "<b>vote</b>"}, "label-en-US", "markup (&lt;, &gt;, &amp;...;, braces) is not allowed"),
        ({"menu": "lobby"}, "menu", "choose one of the menus listed"),
    ]
    for changed, field, problem in cases:
        fields = {"menu": "main", "key": "4", "article": "absentee-ballot", **VOTING, **changed}
        refused = _post(app, "/console/menus/options", **fields)
        assert refused.status_code == 422, changed
        assert 'role="alert" id="problems"' in refused.text
        error = refused.text.split(f'id="{field}-error">')[1].split("</p>")[0]
        assert problem in error, (changed, error)
        assert f'aria-invalid="true" aria-describedby="{field}-error"' in refused.text
        if field.startswith("label") or field == "key":
            typed = fields[field].strip().replace("<", "&lt;").replace(">", "&gt;")
            assert f'value="{typed}"' in refused.text.split(f'id="{field}"')[1].split(">")[0], changed
    assert session.exec(select(MenuOverride)).all() == []
    assert MAIN_HEARD not in _main_menu(Caller(app))


def test_a_menu_holds_at_most_nine_options(app):
    signed_in(app, Role.SUPERVISOR, name="ana")
    for key in "4567":
        assert "The option is added" in add(app, key=key).text  # main had 5 options: now 9
    full = add(app, key="8")
    assert full.status_code == 422
    assert "this menu already has 9 options, the most a caller can follow; remove one first" in full.text


def test_an_edit_from_an_old_page_is_refused_not_lost(app, session):
    signed_in(app, Role.SUPERVISOR, name="ana")
    old = _page(app)
    add(app)
    stale = app.post(
        "/console/menus/options",
        data={
            "csrf": csrf_of(old),
            "version": _version(old),
            "menu": "main",
            "key": "5",
            "article": "library-hours",
            **VOTING,
        },
    )
    assert stale.status_code == 409 and "The menus were changed meanwhile" in stale.text
    assert 'value="5"' in stale.text  # what was typed is still there to send again
    assert len(session.exec(select(MenuOverride)).all()) == 1


def test_hostile_label_text_is_escaped_in_the_page_and_heard_as_typed(app):
    signed_in(app, Role.SUPERVISOR, name="ana")
    added = add(app, **{"label-en-US": ATTRIBUTE_BREAKOUT, "label-es-US": ATTRIBUTE_BREAKOUT})
    assert "The option is added" in added.text
    assert ATTRIBUTE_BREAKOUT not in added.text and 'onfocus="alert(1)"' not in added.text
    escaped = "&#34; onfocus=&#34;alert(1)&#34; autofocus=&#34; javascript:alert(2) &#39; `"
    assert added.text.count(escaped) >= 3  # both diagrams and the table of informational options
    assert f"To {ATTRIBUTE_BREAKOUT}, press 4." in _main_menu(Caller(app))  # the caller hears the words
    refused = add(app, key="5", **{"label-en-US": '"><script>alert(1)</script>', "label-es-US": "hola"})
    assert refused.status_code == 422 and "<script>alert(1)</script>" not in refused.text
    assert 'value="&#34;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"' in refused.text


def test_roles_a_content_editor_reads_a_wallboard_does_not_and_supervisors_and_admins_change(app, session):
    signed_in(app, Role.CONTENT_EDITOR, name="editor")
    html = _page(app)
    assert "What callers hear, menu by menu" in html and "Add the option" not in html and "Revert" not in html
    refused = app.post(
        "/console/menus/options",
        data={
            "csrf": csrf_of(html),
            "version": "0",
            "menu": "main",
            "key": "4",
            "article": "absentee-ballot",
            **VOTING,
        },
    )
    assert refused.status_code == 403
    assert app.post("/console/menus/revert", data={"csrf": csrf_of(html), "version": "0"}).status_code == 403
    assert session.exec(select(MenuOverride)).all() == []
    app.cookies.clear()
    signed_in(app, Role.WALLBOARD, name="screen")
    assert app.get("/console/menus").status_code == 403
    app.cookies.clear()
    signed_in(app, Role.ADMIN, name="chief")
    assert "The option is added" in add(app).text


def test_changes_need_the_forms_csrf_token(app, session):
    signed_in(app, Role.SUPERVISOR, name="ana")
    for path in ("/console/menus/options", "/console/menus/options/remove", "/console/menus/revert"):
        refused = app.post(
            path,
            data={"csrf": "forged", "version": "0", "menu": "main", "key": "4", "article": "absentee-ballot", **VOTING},
        )
        assert refused.status_code == 403 and "This form has expired" in refused.text
    assert session.exec(select(MenuOverride)).all() == []


def test_a_stored_version_that_no_longer_loads_is_said_and_can_be_reverted(app, engine):
    signed_in(app, Role.SUPERVISOR, name="ana")
    add(app)
    with engine.begin() as conn:  # as if a new release renamed a step the stored version names
        document = conn.execute(select(MenuOverride.document)).scalar_one()
        document["main"]["options"][0] = {"key": "1", "do": "a_renamed_step"}
        conn.execute(MenuOverride.__table__.update().values(document=document))
    html = _page(app)
    assert 'id="broken"' in html and "callers hear the menus file" in html
    assert "The menus come from the file again" in _post(app, "/console/menus/revert").text
    assert 'id="broken"' not in _page(app)
