"""The shipped knowledge base: every language complete and consistent, loaded once, edits seen by every process."""

from __future__ import annotations

import asyncio

import pytest
from sqlmodel import select

from core.db import in_session
from core.redis import async_client
from knowledge import base as knowledge
from knowledge.base import VERSION_KEY, KnowledgeCache, KnowledgeFileError, read_file, seed
from knowledge.models import Article, PlaceAnswer
from settings import ROOT

KNOWLEDGE = ROOT / "knowledge" / "files"
REQUIRED = """library-hours shed-fence-deck-permit property-tax-appeal parking-ticket-payment missed-trash-pickup
park-shelter-reservation storm-drain-backup absentee-ballot trash-recycling-schedule bulky-item-pickup pothole
streetlight-out graffiti abandoned-vehicle noise-complaint rats-rodents fallen-tree water-main-break
water-bill-payment towed-car voter-registration polling-place dog-license stray-animal birth-certificate
business-license recreation-class-signup snow-sidewalk-shoveling street-sweeping sidewalk-repair traffic-signal-out
illegal-dumping cooling-warming-centers emergency-shelter property-tax-due-dates city-jobs no-heat-landlord
leaf-yard-waste marriage-license""".split()


@pytest.fixture(scope="module")
def files():
    return {path.stem: read_file(path) for path in sorted(KNOWLEDGE.glob("*.toml"))}


def test_every_required_question_is_answered_in_english_and_spanish(files):
    for code in ("en-US", "es-US"):
        ids = {a.article_id for a in files[code][2]}
        assert set(REQUIRED) <= ids, set(REQUIRED) - ids
        assert len(ids) >= 40


def test_languages_have_the_same_articles_and_topics(files):
    en_ids = {a.article_id: a.topic for a in files["en-US"][2]}
    for code, (_, topics, articles) in files.items():
        assert {a.article_id: a.topic for a in articles} == en_ids, code
        assert [k for k, _ in topics] == [k for k, _ in files["en-US"][1]], code


def test_answers_fit_their_channels(files):
    for _, _, articles in files.values():
        for article in articles:
            assert len(article.text) <= 320, article.article_id
            assert 20 <= len(article.spoken.split()) <= 110, article.article_id
            assert len(article.phrasings) >= 5 and article.keywords, article.article_id


def test_each_topic_fits_on_a_keypad(files):
    for code, (_, topics, articles) in files.items():
        assert len(topics) <= 9
        for key, _ in topics:
            assert 1 <= sum(a.topic == key for a in articles) <= 9, (code, key)


def test_a_bad_article_is_refused_naming_the_field(tmp_path):
    text = (KNOWLEDGE / "en-US.toml").read_text().replace('id = "library-hours"', 'id = ""', 1)
    (tmp_path / "en-US.toml").write_text(text)
    with pytest.raises(KnowledgeFileError, match="id must be a non-empty string"):
        read_file(tmp_path / "en-US.toml")


def test_answers_by_address_are_declared_with_a_registered_kind(files, tmp_path):
    for _, _, articles in files.values():
        declared = {a.article_id: a.place_answer for a in articles if a.place_answer}
        assert declared == {"trash-recycling-schedule": PlaceAnswer.TRASH_DAY,
                            "council-member": PlaceAnswer.COUNCIL_MEMBER,
                            "nearest-library": PlaceAnswer.NEAREST_LIBRARY}
    text = (KNOWLEDGE / "en-US.toml").read_text().replace('"council_member"', '"councillor"', 1)
    (tmp_path / "en-US.toml").write_text(text)
    with pytest.raises(KnowledgeFileError, match="'council-member': place_answer 'councillor' is not one of trash_day"):
        read_file(tmp_path / "en-US.toml")


def test_seeding_loads_each_language_once(engine, session):
    before = len(session.exec(select(Article)).all())
    assert in_session(engine, seed, directory=KNOWLEDGE, languages=["en-US", "es-US"]) == 0
    assert len(session.exec(select(Article)).all()) == before


def test_an_edit_is_seen_after_the_version_moves_on(engine, settings, redis):
    async def scenario():
        client = async_client(settings.redis_url)
        cache = KnowledgeCache(engine, client)
        first = await cache.get()
        with engine.begin() as conn:
            conn.execute(Article.__table__.update().where(Article.article_id == "library-hours").values(
                spoken="Libraries are closed today for the storm."))
        unchanged = await cache.get()
        await client.incr(VERSION_KEY)
        edited = await cache.get()
        await client.aclose()
        return first, unchanged, edited

    first, unchanged, edited = asyncio.run(scenario())
    assert unchanged is first
    assert edited.article("en-US", "library-hours").spoken == "Libraries are closed today for the storm."


def test_knowledge_edit_after_redis_restart_is_served_everywhere(engine, settings, redis):
    knowledge.bump_version(redis)  # an import from the command line, the first thing this Redis ever stored

    async def scenario():
        one, two = async_client(settings.redis_url), async_client(settings.redis_url)
        processes = [KnowledgeCache(engine, one), KnowledgeCache(engine, two)]
        for cache in processes:
            await cache.get()  # each process holds the knowledge base at the stamp of that import
        await one.flushdb()  # Redis restarted without its data, and no process read the stamp since
        with engine.begin() as conn:
            conn.execute(Article.__table__.update().where(Article.article_id == "library-hours").values(
                spoken="Libraries are closed today for the storm."))
        await knowledge.publish(one)  # the console's edit
        served = [await cache.get() for cache in processes]
        await one.aclose()
        await two.aclose()
        return served

    for served in asyncio.run(scenario()):
        assert served.article("en-US", "library-hours").spoken == "Libraries are closed today for the storm."
