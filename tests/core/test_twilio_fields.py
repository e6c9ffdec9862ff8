"""Reading Twilio's fields at the edge: only Twilio-shaped SIDs, only ASCII numbers within bounds, no NUL bytes."""

from __future__ import annotations

import pytest

from core.phones import mask
from core.twilio_fields import clean, fraction, is_sid, queue_figure, seconds, whole


@pytest.mark.parametrize(
    ("value", "number"),
    [
        ("0", 0),
        ("75", 75),
        (" 75 ", 75),
        ("86400", 86400),
        (None, None),
        ("", None),
        ("²", None),
        ("٣", None),
        ("１２", None),
        ("3²", None),
        ("-1", None),
        ("+5", None),
        ("1e3", None),
        ("1_000", None),
        ("0x1f", None),
        ("7.5", None),
        (str(2**63), None),
        ("9" * 40, None),
        ("86401", None),
        ("\u202e75", None),
    ],
)
def test_seconds_are_ascii_digits_within_a_day(value, number):
    assert seconds(value) == number


def test_queue_figures_stop_at_twilios_largest_queue():
    assert queue_figure("5000") == 5000 and queue_figure("5001") is None and whole("12", maximum=11) is None


@pytest.mark.parametrize(
    ("value", "number"),
    [
        ("0.92", 0.92),
        ("1", 1.0),
        (".5", 0.5),
        ("0", 0.0),
        ("2", None),
        ("nan", None),
        ("inf", None),
        ("1e309", None),
        ("٠.٩", None),
        ("-0.1", None),
        ("", None),
    ],
)
def test_a_confidence_is_a_plain_decimal_from_0_to_1(value, number):
    assert fraction(value) == number


def test_sids_have_twilios_shape():
    assert is_sid("CA" + "0123456789abcdef" * 2, "CA") and is_sid("SM" + "ABCDEF0123456789" * 2, "SM", "MM")
    assert not is_sid("SM" + "a" * 32, "CA")
    for bad in (None, "", "CA", "CA" + "a" * 31, "CA" + "a" * 33, "ca" + "a" * 32, "CA" + "g" * 32, "CA" + "٣" * 32):
        assert not is_sid(bad, "CA"), bad


def test_clean_drops_control_characters_and_cuts_long_values():
    form = clean({"SpeechResult": "fire\x00 on\tMain\r\nStreet\x1b", "Body": "x" * 10_000, "To": "\u202e+1555"})
    assert form["SpeechResult"] == "fire on\tMain\r\nStreet"
    assert len(form["Body"]) == 4000 and form["To"] == "\u202e+1555"  # direction marks are text, not control


def test_mask_reads_only_ascii_digits_and_no_more_than_a_phone_number_has():
    assert mask("+13125550147") == "+*******0147"
    assert mask("+1" + "5" * 200) == "unknown" and mask("²³¹⁴⁵⁶⁷") == "unknown" and mask("") == "unknown"
