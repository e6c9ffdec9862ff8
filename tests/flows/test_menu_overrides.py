"""Menus edited in the console: stored as versions, read by every process through one Redis value per call, the file
when nothing was edited (or when a stored version no longer loads), and one edit per version."""

from __future__ import annotations

import asyncio

import pytest

from core.db import in_session
from core.redis import async_client
from flows import menu_edits, menu_overrides, runner
from flows.menu_edits import MenuEditError
from flows.menu_overrides import VERSION_KEY, MenuCache, StaleMenus
from flows.menus import MENUS_FILE, read_document
from tests.flows import builders
from tests.flows.builders import conversation, key, knowledge, session

LABELS = {"en-US": "hear about voting by mail", "es-US": "escuchar sobre el voto por correo"}
LANGUAGES = ["en-US", "es-US"]


def _exists(language: str, article: str) -> bool:
    return knowledge().article(language, article) is not None


def with_voting(document: dict, menu: str = "main", key: str = "4") -> dict:
    return menu_edits.add_article(
        document,
        menu=menu,
        key=key,
        article="absentee-ballot",
        labels=LABELS,
        languages=LANGUAGES,
        article_exists=_exists,
    )


def build(document: dict):
    return runner.menus_of(builders.settings(), builders.wording(), document, "console menus")


def offered(turn) -> list[tuple[str, str]]:
    """The keys a menu turn offers and what each is said to be."""
    return [(option.key, option.label) for option in turn.options]


def test_an_added_option_is_heard_and_pressing_its_key_plays_the_article():
    conv = conversation(menus=build(with_voting(read_document(MENUS_FILE))))
    s = session()
    assert ("4", "hear about voting by mail") in offered(conv.show(s, "main"))
    answer = conv.advance(s, "main", key("4"))
    assert answer.node == "after" and answer.lines[0][1] == knowledge().article("en-US", "absentee-ballot").spoken


def test_an_option_added_to_the_storm_menu_is_heard_in_storm_mode_only():
    edited = build(with_voting(read_document(MENUS_FILE), menu="storm.main", key="2"))
    assert ("2", "hear about voting by mail") not in offered(conversation(menus=edited).show(session(), "main"))
    storm = conversation(menus=edited, short_menu=True)
    assert offered(storm.show(session(), "main"))[-1] == ("2", "hear about voting by mail")


def test_the_document_the_edit_started_from_is_left_as_it_was():
    document = read_document(MENUS_FILE)
    before = repr(document)
    moved = menu_edits.move(with_voting(document), menu="main", key="4", direction="up")
    assert repr(document) == before
    assert menu_edits.summary(moved, "main")[-2:] == ["4: article absentee-ballot", "*: do repeat_menu"]
    assert menu_edits.summary(menu_edits.remove(moved, menu="main", key="4"), "main") == menu_edits.summary(
        document, "main"
    )


@pytest.mark.parametrize(
    ("edit", "field", "reason"),
    [
        (lambda d: menu_edits.move(d, menu="main", key="1", direction="up"), "key", "only informational options"),
        (
            lambda d: menu_edits.move(with_voting(d, key="9"), menu="main", key="9", direction="down"),
            "key",
            "already last",
        ),
        (lambda d: menu_edits.remove(d, menu="main", key="7"), "key", "no option with that key"),
        (lambda d: with_voting(d, menu="after", key="9"), "key", "9 is already used in this menu (9: do goodbye)"),
        (lambda d: with_voting(d, menu="storm.lobby"), "menu", "choose one of the menus listed"),
    ],
)
def test_edits_that_would_break_a_menu_are_refused_naming_the_field(edit, field, reason):
    with pytest.raises(MenuEditError) as refused:
        edit(read_document(MENUS_FILE))
    assert refused.value.field == field and reason in str(refused.value)


def _save(engine, document, based_on: int) -> int:
    return in_session(
        engine,
        menu_overrides.save,
        document=document,
        based_on=based_on,
        actor="ana (console)",
        action="menus.add",
        subject="menu:main",
        before={},
        after={},
    ).id


def test_two_edits_from_the_same_version_one_wins(engine):
    document = with_voting(read_document(MENUS_FILE))
    first = _save(engine, document, 0)
    with pytest.raises(StaleMenus):
        _save(engine, document, 0)
    assert in_session(engine, menu_overrides.version) == first


FILE_MENUS = builders.menus()


def _cache(engine, client) -> MenuCache:
    return MenuCache(engine, client, file_menus=FILE_MENUS, build=build)


def _main_keys(found) -> list[str]:
    return [option.key for option in found.get("main").options]


def test_each_call_reads_redis_once_and_the_database_only_after_an_edit(engine, settings, redis, monkeypatch):
    reads = []
    real = menu_overrides.run_db

    async def counted(*args, **kwargs):
        reads.append(args[1].__name__)
        return await real(*args, **kwargs)

    monkeypatch.setattr(menu_overrides, "run_db", counted)

    async def scenario():
        client = async_client(settings.redis_url)
        cache = _cache(engine, client)
        first = [await cache.get() for _ in range(3)]
        edited_version = _save(engine, with_voting(read_document(MENUS_FILE)), 0)
        unpublished = await cache.get()  # stored, not yet published: this process has no reason to look
        await menu_overrides.publish(client, edited_version)
        edited = [await cache.get() for _ in range(3)]
        await client.aclose()
        return first, unpublished, edited

    first, unpublished, edited = asyncio.run(scenario())
    assert all(found is FILE_MENUS for found in first) and unpublished is FILE_MENUS
    assert _main_keys(edited[0]) == ["1", "2", "3", "0", "*", "4"] and edited[1] is edited[0]
    assert reads == ["version", "_newest", "_newest"]  # the file's menus once, the edit once


def test_an_emptied_redis_is_told_the_version_by_the_database(engine, settings, redis):
    saved = _save(engine, with_voting(read_document(MENUS_FILE)), 0)  # stored while Redis was lost: nothing published

    async def scenario():
        client = async_client(settings.redis_url)
        found = await _cache(engine, client).get()
        stamp = await client.get(VERSION_KEY)
        await client.aclose()
        return found, stamp

    found, stamp = asyncio.run(scenario())
    assert _main_keys(found)[-1] == "4" and stamp == str(saved)


def test_a_stored_version_that_no_longer_loads_leaves_callers_the_file(engine, settings, redis, caplog):
    broken = read_document(MENUS_FILE)
    broken["main"]["options"][0] = {"key": "1", "do": "a_step_a_new_release_renamed"}
    saved = _save(engine, broken, 0)

    async def scenario():
        client = async_client(settings.redis_url)
        found = await _cache(engine, client).get()
        await client.aclose()
        return found

    assert asyncio.run(scenario()) is FILE_MENUS
    assert f"menus version {saved} no longer loads" in caplog.text and "callers hear the menus file" in caplog.text
