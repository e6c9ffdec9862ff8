"""The one rule for characters that may be spoken or texted: refused where a person types, cleaned where it leaves."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from hypothesis import given, settings
from hypothesis import strategies as st
from twilio.twiml.messaging_response import MessagingResponse
from twilio.twiml.voice_response import VoiceResponse

from core import text_rules

UNSAFE = [
    *map(chr, range(0x00, 0x09)), "\x0b", "\x0c", *map(chr, range(0x0E, 0x20)), "\x7f", "\x85", "\x9f",
    "\u061c", "\u200b", "\u200c", "\u200d", "\u200e", "\u200f", "\u202a", "\u202e", "\u2060", "\u2066", "\u2069",
    "\ufeff", "\ufffe", "\uffff", "\ud800", "\udfff",
]
# Any code point at all, lone surrogates included, with the unsafe ones drawn often.
ANY_TEXT = st.text(st.one_of(st.sampled_from(UNSAFE), st.characters(codec=None, exclude_categories=())), max_size=60)


def _xml_chars_ok(text: str) -> bool:
    # XML 1.0's Char production.
    return all(c in "\t\n\r" or 0x20 <= ord(c) <= 0xD7FF or 0xE000 <= ord(c) <= 0xFFFD or ord(c) > 0xFFFF for c in text)


def test_every_unsafe_character_is_refused_by_code_point_and_place():
    for char in UNSAFE:
        problem = text_rules.refusal(f"Roads{char} closed")
        assert problem and f"U+{ord(char):04X}, character 6" in problem, char
    assert "text-direction" in text_rules.refusal("Call \u202e1130")
    assert "zero-width" in text_rules.refusal("Call\u200b 311")
    assert "control character" in text_rules.refusal("Bell\x07")


def test_ordinary_words_in_any_language_tab_and_newline_pass():
    for text in ["Roads are flooded.\nAvoid Main St.\t", "Las calles están inundadas", "道路が冠水", "شارع مغلق",
                 "Thumbs up \U0001f44d", "Ŝtormo — 5 °C"]:
        assert text_rules.refusal(text) is None
        assert text_rules.clean(text) == text


def test_clean_keeps_words_apart_where_a_control_character_was_a_space():
    assert text_rules.clean("Main\x0bStreet\x1fclosed\x00\u202e!") == "Main Street closed!"


@settings(max_examples=200, deadline=None)
@given(ANY_TEXT)
def test_clean_leaves_only_what_refusal_accepts_and_xml_can_carry(text):
    cleaned = text_rules.clean(text)
    assert text_rules.refusal(cleaned) is None and _xml_chars_ok(cleaned)
    assert (text_rules.refusal(text) is None) == (cleaned == text)


@settings(max_examples=100, deadline=None)
@given(ANY_TEXT)
def test_any_unicode_in_a_twiml_document_still_parses(text):
    voice = VoiceResponse()
    voice.say(text, voice="Polly.Joanna", language="en-US")
    voice.redirect(f"/voice/step?node={text}")
    sms = MessagingResponse()
    sms.message(text)
    for document in (text_rules.xml_document(voice), text_rules.xml_document(sms)):
        root = ET.fromstring(document.encode("utf-8"))
        assert all(_xml_chars_ok(el.text or "") and text_rules.refusal(el.text or "") is None for el in root.iter())
