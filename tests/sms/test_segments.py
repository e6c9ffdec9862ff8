"""SMS encoding, segment counting, splitting and truncation (pure functions, no fixtures)."""

from __future__ import annotations

import pytest

from messaging.segments import _GSM_BASIC, _GSM_EXTENDED, Encoding, encoding, fit, segment_count, split

EMOJI = "\U0001f600"  # outside the BMP: a surrogate pair, 2 UTF-16 code units
LOREM = (
    "Your request about the pothole on 5th Avenue has been received. A crew will inspect it within three business "
    "days. Reply STATUS for updates, or call 311 if the hazard is urgent. Thank you for helping keep the city safe. "
    "You can also track requests online at any time, day or night, from your phone or computer."
)


def single_cost(part: str) -> int:
    """Cost of a part sent on its own, in its own encoding's unit."""
    if encoding(part) is Encoding.GSM7:
        return sum(2 if ch in _GSM_EXTENDED else 1 for ch in part)
    return len(part.encode("utf-16-le")) // 2


def test_alphabet_is_exactly_gsm_03_38():
    assert len(_GSM_BASIC) == 127  # 128 table positions minus the escape
    assert _GSM_BASIC.isdisjoint(_GSM_EXTENDED)
    assert set("^{}\\[~]|€") <= _GSM_EXTENDED


@pytest.mark.parametrize("text", ["Hello 311", "@£$¥èéùìòÇØøÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ¤¡ÄÖÑÜ§¿äöñüà\r\n", "{[~]}|^\\€"])
def test_gsm7_texts(text):
    assert encoding(text) is Encoding.GSM7
    assert encoding(text) == "GSM-7"


@pytest.mark.parametrize("text", ["Gracias, recibimos su solicitud de información", "á", "…", EMOJI, "ç", "`", "Ā"])
def test_ucs2_texts(text):
    assert encoding(text) is Encoding.UCS2


def test_empty_is_zero_segments():
    assert segment_count("") == 0
    assert encoding("") is Encoding.GSM7
    assert split("") == []
    assert fit("", 1) == ""


def test_plain_english_160_161():
    assert segment_count("a" * 160) == 1
    assert segment_count("a" * 161) == 2
    assert segment_count("a" * 306) == 2
    assert segment_count("a" * 307) == 3


def test_euro_costs_two_septets():
    assert encoding("€" * 80) is Encoding.GSM7
    assert segment_count("€" * 80) == 1
    assert segment_count("€" * 80 + "a") == 2
    assert segment_count("a" * 159 + "€") == 2


def test_escape_pair_never_split_across_segments():
    # 306 septets would fit in 2 x 153, but the € straddles the boundary and must move whole to a third segment.
    assert segment_count("a" * 152 + "€" + "a" * 152) == 3
    assert segment_count("a" * 151 + "€" + "a" * 153) == 2


def test_spanish_with_accent_is_ucs2_70_71():
    text = "Gracias, recibimos su solicitud de información sobre el bache en su calle."
    assert encoding(text) is Encoding.UCS2
    assert segment_count("á" + "a" * 69) == 1
    assert segment_count("á" + "a" * 70) == 2
    assert segment_count("á" * 134) == 2
    assert segment_count("á" * 135) == 3


def test_spanish_without_aiou_accents_stays_gsm7():
    assert encoding("¿Señor Núñez?") is Encoding.UCS2  # ú
    assert encoding("¡Señor Muñoz, gracias! ¿Qué?") is Encoding.GSM7


def test_emoji_counts_two_units_and_never_splits():
    assert segment_count(EMOJI * 35) == 1
    assert segment_count(EMOJI * 35 + "a") == 2
    assert segment_count("a" * 69 + EMOJI) == 2
    # 134 code units would fit 2 x 67, but the pair straddles the boundary and moves whole to a third segment.
    assert segment_count("a" * 66 + EMOJI + "a" * 66) == 3
    assert segment_count("a" * 65 + EMOJI + "a" * 67) == 2


def test_split_short_text_unchanged():
    assert split("Hello  there ") == ["Hello  there "]
    assert split("Hello there", numbered=True) == ["Hello there"]


def test_split_parts_fit_and_rejoin():
    text = LOREM * 2
    parts = split(text)
    assert len(parts) > 1
    assert all(single_cost(p) <= 160 and segment_count(p) == 1 for p in parts)
    assert " ".join(parts).split() == text.split()
    words = set(text.split())
    assert all(set(p.split()) <= words for p in parts)  # broke only at whitespace


def test_split_prefers_sentence_boundaries():
    # 160 septets would reach into the third sentence; the break falls after the second sentence instead.
    parts = split(LOREM)
    assert parts[0].endswith("within three business days.")
    assert parts[1].startswith("Reply STATUS") and parts[1].endswith("keep the city safe.")
    # With no sentence end in the back half of the window, break at the last word that fits.
    no_stops = "word " * 40
    assert split(no_stops) == ["word " * 31 + "word", "word " * 7 + "word"]


def test_split_respects_limit():
    parts = split(LOREM, limit=50)
    assert all(single_cost(p) <= 50 for p in parts)
    assert " ".join(parts).split() == LOREM.split()
    with pytest.raises(ValueError):
        split(LOREM, limit=1)


def test_split_limit_is_capped_at_one_segment():
    assert all(single_cost(p) <= 160 for p in split(LOREM, limit=1000))


def test_split_ucs2():
    text = "Recibimos su solicitud número 12345. Un equipo la revisará en tres días hábiles. " * 4
    parts = split(text)
    assert all(single_cost(p) <= 70 and segment_count(p) == 1 for p in parts)
    assert " ".join(parts).split() == text.split()


def test_split_never_breaks_surrogate_pair_or_escape():
    for text, size in ((EMOJI * 100, 70), ("€" * 200, 160), ("a" + EMOJI * 100, 70), ("a" + "€" * 200, 160)):
        parts = split(text)
        assert "".join(parts) == text
        assert all(single_cost(p) <= size for p in parts)
        assert all(not ("\ud800" <= p[-1] <= "\udfff") for p in parts)


def test_split_hard_cuts_long_word_and_keeps_clusters():
    url = "https://311.example.gov/track/" + "x" * 300
    parts = split("See " + url)
    assert parts[0] == "See"
    assert "".join(parts[1:]) == url
    family = "\U0001f468\u200d\U0001f469\u200d\U0001f467"  # one visible emoji, 8 code units
    parts = split(family * 30)
    assert "".join(parts) == family * 30
    assert all(len(p) % len(family) == 0 for p in parts)  # cut only between whole family emoji
    flags = "\U0001f1fa\U0001f1f8" * 40  # US flags: regional-indicator pairs
    assert all(len(p) % 2 == 0 for p in split(flags))


def test_split_numbered():
    parts = split(LOREM * 2, numbered=True)
    n = len(parts)
    assert n > 1
    for i, part in enumerate(parts, 1):
        assert part.startswith(f"({i}/{n}) ")
        assert single_cost(part) <= 160 and segment_count(part) == 1
    assert " ".join(p.split(" ", 1)[1] for p in parts).split() == (LOREM * 2).split()


def test_split_numbered_two_digit_counts_fit():
    parts = split(LOREM * 8, limit=40, numbered=True)
    assert len(parts) >= 10
    assert parts[0].startswith(f"(1/{len(parts)}) ")
    assert all(single_cost(p) <= 40 for p in parts)


def test_fit_unchanged_when_it_fits():
    assert fit("Hello", 1) == "Hello"
    assert fit("a" * 160, 1) == "a" * 160


def test_fit_keeps_gsm7_text_gsm7():
    out = fit(LOREM, 1)
    assert out.endswith("...")
    assert encoding(out) is Encoding.GSM7
    assert segment_count(out) == 1
    assert len(out) > 140  # used the 160-septet room, not UCS-2's 70
    assert LOREM.startswith(out[:-3])
    assert LOREM[len(out) - 3] == " "  # cut at a word boundary


@pytest.mark.parametrize("max_segments", [1, 2, 3])
def test_fit_respects_max_segments(max_segments):
    text = LOREM * 3
    out = fit(text, max_segments)
    assert segment_count(out) == max_segments
    assert text.startswith(out[:-3]) and out.endswith("...")


def test_fit_ucs2_uses_unicode_ellipsis():
    text = "Recibimos su solicitud número 12345. Un equipo la revisará en tres días hábiles. " * 4
    out = fit(text, 1)
    assert out.endswith("…") and segment_count(out) == 1
    assert text.startswith(out[:-1])
    assert fit(text, 2, ellipsis="...").endswith("...")


def test_fit_emoji_not_split():
    out = fit(EMOJI * 100, 1)
    assert out == EMOJI * 34 + "…"
    assert segment_count(out) == 1


def test_fit_rejects_bad_budget():
    with pytest.raises(ValueError):
        fit(LOREM, 0)
