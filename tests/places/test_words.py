"""House numbers said as words, and the words of a street."""

from __future__ import annotations

import pytest

from places.words import fold, house_number, ordinal_word


@pytest.mark.parametrize(("said", "digits"), [
    ("twelve hundred", "1200"),
    ("one two zero zero", "1200"),
    ("twelve oh five", "1205"),
    ("twelve hundred five", "1205"),
    ("one thousand two hundred and five", "1205"),
    ("twenty one fifteen", "2115"),
    ("four fifty", "450"),
    ("nineteen oh one", "1901"),
    ("1205", "1205"),
    ("mil doscientos cinco", "1205"),
    ("trescientos cuarenta y dos", "342"),
])
def test_house_numbers_said_as_words(said, digits):
    assert house_number(fold(f"{said} north main street").split())[0] == digits


@pytest.mark.parametrize("said", ["fifth and main", "oak street", "oh five main", "the library"])
def test_words_that_are_no_house_number(said):
    assert house_number(fold(said).split()) == ("", 0)


def test_ordinals_in_words_digits_and_spanish():
    assert [ordinal_word(w) for w in ("fifth", "5th", "quinta", "twelfth", "22nd", "main")] == [
        "5th", "5th", "5th", "12th", "22nd", None]


def test_fold_keeps_the_crossing_marks_and_drops_accents():
    assert fold("5th & Main St.") == "5th & main st"
    assert fold("Avenida Lincoln, Nº 4") == "avenida lincoln no 4"
