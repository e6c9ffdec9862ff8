"""What a resident notices about the question → article matcher, against a small built-in knowledge base."""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))  # standalone: no conftest or installed package needed

from knowledge.matching import Doc, Match, Matcher  # noqa: E402

ANSWER, CONFIRM = 0.55, 0.35


def _doc(article_id: str, language: str, title: str, phrasings: list[str], keywords: list[str]) -> Doc:
    return Doc(article_id, language, title, tuple(phrasings), tuple(keywords))


FIXTURE = [
    _doc(
        "library-hours",
        "en-US",
        "Library hours",
        [
            "What hours is the library open?",
            "library hours",
            "Is the library open on Sunday?",
            "what time does the public library close tonight",
            "when does the branch library open",
            "are libraries open on holidays",
            "can I return library books after hours",
        ],
        ["library", "libraries", "hours", "branch", "open", "close", "books"],
    ),
    _doc(
        "pothole",
        "en-US",
        "Potholes",
        [
            "There's a pothole on my street",
            "report a pothole",
            "a huge hole in the road damaged my tire",
            "when will the city fix the potholes on Main Street",
            "the pavement is crumbling",
        ],
        ["pothole", "hole", "road", "pavement", "asphalt", "street repair"],
    ),
    _doc(
        "missed-trash-pickup",
        "en-US",
        "Missed trash pickup",
        [
            "my garbage wasn't picked up",
            "missed trash pickup",
            "the garbage truck skipped my house",
            "nobody collected my recycling this week",
            "my bins are still full",
        ],
        ["missed", "trash", "garbage", "pickup", "collection", "skipped"],
    ),
    _doc(
        "noise-complaint",
        "en-US",
        "Noise complaints",
        [
            "my neighbor is playing loud music every night",
            "noise complaint",
            "a barking dog keeps me up",
            "construction noise early in the morning",
            "report loud noise",
        ],
        ["noise", "loud", "music", "party", "barking", "neighbor"],
    ),
    _doc(
        "dog-license",
        "en-US",
        "Dog licences",
        [
            "how do I license my dog",
            "dog license",
            "does my puppy need a tag",
            "renew my dog's license",
        ],
        ["dog", "license", "pet", "tag", "puppy", "rabies"],
    ),
    _doc(
        "voter-registration",
        "en-US",
        "Registering to vote",
        [
            "how do I register to vote",
            "voter registration",
            "am I registered to vote",
            "update my address for voting",
            "what is the deadline to register",
        ],
        ["register", "registration", "voter", "vote", "deadline"],
    ),
    _doc(
        "library-hours",
        "es-US",
        "Horario de la biblioteca",
        [
            "¿A qué hora abre la biblioteca?",
            "horario de la biblioteca",
            "¿La biblioteca está abierta el domingo?",
            "a qué hora cierra la biblioteca pública",
            "¿Puedo devolver libros después de las horas?",
        ],
        ["biblioteca", "bibliotecas", "horario", "libros", "abre", "cierra"],
    ),
    _doc(
        "pothole",
        "es-US",
        "Baches",
        [
            "hay un bache en mi calle",
            "reportar un bache",
            "un hoyo en la calle dañó mi llanta",
            "¿Cuándo van a arreglar los baches?",
            "el pavimento está roto",
        ],
        ["bache", "baches", "hoyo", "pavimento", "asfalto", "calle"],
    ),
    _doc(
        "missed-trash-pickup",
        "es-US",
        "Basura que no recogieron",
        [
            "no recogieron mi basura",
            "el camión de la basura no pasó",
            "no pasaron por el reciclaje esta semana",
            "mis botes siguen llenos",
        ],
        ["basura", "recolección", "camión", "reciclaje", "no recogieron"],
    ),
    _doc(
        "noise-complaint",
        "es-US",
        "Quejas por ruido",
        [
            "mi vecino pone música muy fuerte",
            "queja por ruido",
            "un perro ladra toda la noche",
            "hay mucho ruido de construcción temprano",
        ],
        ["ruido", "música", "fiesta", "vecino", "ladra"],
    ),
]


@pytest.fixture(scope="module")
def matcher() -> Matcher:
    return Matcher.build(FIXTURE)


def test_builds_one_index_per_language(matcher: Matcher) -> None:
    assert set(matcher.languages) == {"en-US", "es-US"}


@pytest.mark.parametrize(
    "text, expected",
    [
        ("what time do the libraries shut on saturday", "library-hours"),
        ("there's a big hole in the road outside my house", "pothole"),
        ("they skipped my garbage again", "missed-trash-pickup"),
        ("my neighbours are blasting music at 2am", "noise-complaint"),
    ],
)
def test_paraphrase_finds_the_right_article(matcher: Matcher, text: str, expected: str) -> None:
    m = matcher.match(text, "en-US")
    assert m.article_id == expected
    assert m.confidence >= CONFIRM


@pytest.mark.parametrize(
    "text, expected",
    [
        ("libary hours", "library-hours"),
        ("there is a pot hole on my street", "pothole"),
        ("my garbege wasnt picked up", "missed-trash-pickup"),
    ],
)
def test_misspellings_and_split_words_still_match(matcher: Matcher, text: str, expected: str) -> None:
    m = matcher.match(text, "en-US")
    assert m.article_id == expected
    assert m.confidence >= CONFIRM


def test_clear_question_is_answered_directly(matcher: Matcher) -> None:
    assert matcher.match("When is the library open?", "en-US").confidence >= ANSWER


@pytest.mark.parametrize(
    "text, expected",
    [
        ("a que hora cierra la biblioteca", "library-hours"),
        ("hay un bache enorme en mi calle", "pothole"),
        ("no recogieron la basura, el camion no paso", "missed-trash-pickup"),
        ("MUSICA MUY FUERTE DEL VECINO", "noise-complaint"),
    ],
)
def test_spanish_without_accents_finds_the_spanish_article(matcher: Matcher, text: str, expected: str) -> None:
    m = matcher.match(text, "es-US")
    assert m.article_id == expected
    assert m.confidence >= CONFIRM


def test_spanish_question_is_not_answered_from_the_english_index(matcher: Matcher) -> None:
    assert matcher.match("a que hora cierra la biblioteca", "en-US").confidence < CONFIRM


@pytest.mark.parametrize(
    "text, language",
    [
        ("tell me a joke", "en-US"),
        ("what's the weather tomorrow", "en-US"),
        ("how do I renew my passport", "en-US"),
        ("order a pizza", "en-US"),
        ("who won the game last night", "en-US"),
        ("cuéntame un chiste", "es-US"),
        ("quiero pedir una pizza", "es-US"),
        ("¿qué tiempo va a hacer mañana?", "es-US"),
    ],
)
def test_out_of_scope_is_refused(matcher: Matcher, text: str, language: str) -> None:
    assert matcher.match(text, language).confidence < CONFIRM


@pytest.mark.parametrize(
    "text, language",
    [
        ("what is the deadline for my federal income tax return", "en-US"),
        ("can I register my boat at the marina", "en-US"),
        ("how do I get a license for my fishing boat", "en-US"),
        ("reservar una mesa para la fiesta del restaurante", "es-US"),
    ],
)
def test_one_shared_word_in_an_unexplained_question_is_refused(matcher: Matcher, text: str, language: str) -> None:
    assert matcher.match(text, language).confidence < CONFIRM


def test_words_other_articles_know_do_not_raise_the_top_articles_confidence(matcher: Matcher) -> None:
    alone = matcher.match("dog license", "en-US")
    crowded = matcher.match("dog license library hours pothole garbage", "en-US")
    assert crowded.confidence < alone.confidence


def test_spanish_inflections_of_short_words_still_match(matcher: Matcher) -> None:
    m = matcher.match("los perros ladran toda la noche", "es-US")  # "ladran" against the article's "ladra"
    assert m.article_id == "noise-complaint"
    assert m.confidence >= CONFIRM


def test_candidates_are_distinct_ordered_and_led_by_the_answer(matcher: Matcher) -> None:
    m = matcher.match("the library is loud and my garbage was not picked up", "en-US")
    ids = [a for a, _ in m.candidates]
    scores = [c for _, c in m.candidates]
    assert 1 <= len(m.candidates) <= 3
    assert len(ids) == len(set(ids))
    assert scores == sorted(scores, reverse=True)
    assert (m.article_id, m.confidence) == m.candidates[0]
    assert all(0.0 <= c <= 1.0 for c in scores)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "?!.,;:",
        "😀🎉🔥" * 20,
        "x" * 10_000,
        "lorem ipsum dolor sit amet " * 400,
        "библиотека часы работы",
        "图书馆几点开门",
        "\x00\n\t",
        "1234 5678",
    ],
)
def test_junk_gets_low_confidence_without_error(matcher: Matcher, text: str) -> None:
    for language in ("en-US", "es-US"):
        m = matcher.match(text, language)
        assert isinstance(m, Match)
        assert 0.0 <= m.confidence < ANSWER
    matcher.detect_language(text)


def test_junk_is_refused(matcher: Matcher) -> None:
    for text in ("", "?!", "😀🎉🔥", "x" * 10_000, "图书馆几点开门"):
        assert matcher.match(text, "en-US").confidence < CONFIRM


def test_unknown_language_matches_nothing(matcher: Matcher) -> None:
    assert matcher.match("library hours", "fr-FR") == Match(None, 0.0, ())


@pytest.mark.parametrize(
    "text, expected",
    [
        ("what time does the library close", "en-US"),
        ("my neighbor is too loud", "en-US"),
        ("a qué hora cierra la biblioteca", "es-US"),
        ("hay un bache en mi calle", "es-US"),
        ("no recogieron la basura", "es-US"),
    ],
)
def test_detect_language_tells_english_from_spanish(matcher: Matcher, text: str, expected: str) -> None:
    assert matcher.detect_language(text) == expected


@pytest.mark.parametrize("text", ["", "😀", "?!", "1234"])
def test_detect_language_is_unsure_about_junk(matcher: Matcher, text: str) -> None:
    assert matcher.detect_language(text) is None


def test_languages_are_data_not_code() -> None:
    docs = [
        _doc(
            "library-hours",
            "fr-FR",
            "Horaires de la bibliothèque",
            ["quand ouvre la bibliothèque"],
            ["bibliothèque", "horaires"],
        ),
        _doc("pothole", "fr-FR", "Nids-de-poule", ["il y a un nid-de-poule dans ma rue"], ["trou", "chaussée"]),
        _doc("pothole", "xx-YY", "Zork", ["blorp zork"], ["zork"]),
    ]
    m = Matcher.build(docs)
    assert m.match("a quelle heure ouvre la bibliotheque", "fr-FR").article_id == "library-hours"
    assert m.match("zork", "xx-YY").article_id == "pothole"


def _real_docs() -> list[Doc]:
    docs = []
    for path in sorted((ROOT / "knowledge" / "files").glob("*.toml")):
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        for a in data.get("article", []):
            docs.append(
                Doc(
                    a["id"],
                    data.get("language", path.stem),
                    a["title"],
                    tuple(a.get("phrasings", ())),
                    tuple(a.get("keywords", ())),
                )
            )
    return docs


def test_every_real_article_title_matches_itself() -> None:
    try:
        docs = _real_docs()
    except (OSError, tomllib.TOMLDecodeError, KeyError) as exc:
        pytest.skip(f"knowledge files not readable: {exc}")
    if not docs:
        pytest.skip("no knowledge files")
    matcher = Matcher.build(docs)
    weak = [(d.language, d.title, matcher.match(d.title, d.language)) for d in docs]
    weak = [
        (lang, title, m.article_id, m.confidence)
        for (lang, title, m), d in zip(weak, docs, strict=True)
        if m.article_id != d.article_id or m.confidence < ANSWER
    ]
    assert not weak
