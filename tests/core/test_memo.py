"""Short answers kept: a phone number or a menu word is worked out once; long junk never crowds them out."""

from __future__ import annotations

from core.memo import keep_short_answers


def test_short_texts_are_worked_out_once_and_long_ones_every_time_without_crowding_them_out():
    worked = []

    @keep_short_answers(longest=10, most=2)
    def shout(text: str, mark: str = "!") -> str:
        """Upper-case with a mark."""
        worked.append(text)
        return text.upper() + mark

    assert [shout("yes"), shout("yes"), shout("yes", "?")] == ["YES!", "YES!", "YES?"]
    assert worked == ["yes", "yes"]  # the second argument is part of what is kept
    for n in range(50):  # a flood of long texts, each worked out, none kept
        assert shout("x" * (11 + n)) == "X" * (11 + n) + "!"
    assert shout("yes") == "YES!" and worked.count("yes") == 2
    assert shout.__doc__ == "Upper-case with a mark."
