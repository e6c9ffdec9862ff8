"""Phone numbers we text or call back: ordinary lines in allowed countries only (toll fraud), shown and masked."""

from __future__ import annotations

import pytest

from core.phones import Refusal, display, e164, mask, normalize, outbound_refusal

US = frozenset({"US"})


@pytest.mark.parametrize(
    ("number", "refusal"),
    [
        ("+13125550147", None),  # an ordinary Chicago line
        ("+19005550100", Refusal.NUMBER_TYPE),  # premium rate
        ("+18005550100", Refusal.NUMBER_TYPE),  # toll-free: cannot take texts, and costs the caller's city
        ("+448451234567", Refusal.REGION),  # a UK premium line: foreign first of all
        ("+447911123456", Refusal.REGION),  # a foreign mobile
        ("+34612345678", Refusal.REGION),
        ("12345", Refusal.INVALID),  # a short code
        ("anonymous", Refusal.INVALID),
        ("", Refusal.INVALID),
        (None, Refusal.INVALID),
    ],
)
def test_only_ordinary_lines_in_allowed_countries_get_texts_or_call_backs(number, refusal):
    assert outbound_refusal(number, US) == refusal


def test_a_city_may_allow_more_countries_but_never_their_premium_lines():
    assert outbound_refusal("+34612345678", frozenset({"US", "ES"})) is None
    assert outbound_refusal("+448451234567", frozenset({"US", "GB"})) is Refusal.NUMBER_TYPE


def test_numbers_are_shown_and_masked():
    assert display("+15555550311") == "555-555-0311"
    assert mask("+13125550147") == "+*******0147"


def test_a_number_reads_the_same_every_time_and_junk_of_any_length_is_refused():
    for _ in range(2):  # the second answer comes from the numbers kept
        assert normalize("(555) 555-0123") is None and e164("(555) 555-0123") == "+15555550123"
        assert normalize("+1 202 555 0100".replace(" 555 ", " 456 ")) == "+12024560100"
        assert normalize("+1" + "2" * 5000) is None and e164("1" * 41) is None
    assert e164("+15555550123", "US") == e164("555-555-0123", "US")
