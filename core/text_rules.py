"""Which characters may be spoken or texted: the one rule for every edge where words enter or leave the service.

A TwiML answer is an XML 1.0 document: one control character in a greeting, a menu label or an article makes it
invalid, and Twilio drops the call. Bidirectional overrides and zero-width characters are invisible to the person
checking a message but change what a resident reads (or what text-to-speech says). So: where a person types text it
is refused with the reason (`refusal`), where a machine sends it (the city's CRM) it is cleaned (`clean`), and every
TwiML document and SMS body is cleaned once more as it is rendered, so nothing that is not valid XML text ever leaves.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>'

# Characters Python's str.split() treats as spaces: cleaned into a space so words on either side stay apart.
_SPACE_LIKE = {0x0B, 0x0C, 0x1C, 0x1D, 0x1E, 0x1F, 0x85}

# (first, last, what it is): every range of code points refused at entry and removed at render.
_UNSAFE_RANGES = (
    (0x00, 0x08, "a control character"),
    (0x0B, 0x0C, "a control character"),
    (0x0E, 0x1F, "a control character"),
    (0x7F, 0x9F, "a control character"),  # DEL and the C1 controls
    (0x061C, 0x061C, "a text-direction character"),  # Arabic letter mark
    (0x180E, 0x180E, "a zero-width character"),  # Mongolian vowel separator
    (0x200B, 0x200D, "a zero-width character"),
    (0x200E, 0x200F, "a text-direction character"),
    (0x2028, 0x2029, "a line or paragraph separator"),
    (0x202A, 0x202E, "a text-direction character"),  # embeddings and overrides
    (0x2060, 0x2064, "a zero-width character"),  # word joiner, invisible operators
    (0x2066, 0x2069, "a text-direction character"),  # isolates
    (0x206A, 0x206F, "an invisible formatting character"),
    (0xD800, 0xDFFF, "a broken character (lone surrogate)"),
    (0xFEFF, 0xFEFF, "a zero-width character"),  # byte-order mark
    (0xFFF9, 0xFFFB, "an invisible formatting character"),  # interlinear annotation
    (0xFFFE, 0xFFFF, "a non-character"),
)


def _build() -> dict[int, str]:
    table = {}
    for first, last, what in _UNSAFE_RANGES:
        table.update(dict.fromkeys(range(first, last + 1), what))
    return table


_UNSAFE: dict[int, str] = _build()
_CLEANING = {code: (" " if code in _SPACE_LIKE else None) for code in _UNSAFE}


def unsafe(char: str) -> bool:
    """Whether one character may never be spoken, texted or put in a TwiML document."""
    return ord(char) in _UNSAFE


def refusal(text: str) -> str | None:
    """Why a person may not use `text` (the first unsafe character, by code point and place), or None if it is fine."""
    for place, char in enumerate(text, start=1):
        what = _UNSAFE.get(ord(char))
        if what is not None:
            code = f"U+{ord(char):04X}"
            return f"contains {what} ({code}, character {place}) that calls and texts cannot carry; retype it"
    return None


def clean(text: str) -> str:
    """`text` without any unsafe character (space-like controls become a space); safe XML 1.0 character data."""
    return text.translate(_CLEANING)


def xml_document(doc) -> str:
    """A TwiML document (a twilio.twiml TwiML) as XML text, every text and attribute value cleaned first."""
    root = doc.xml()
    for element in root.iter():
        element.text = clean(element.text) if element.text else element.text
        element.tail = clean(element.tail) if element.tail else element.tail
        for name, value in element.attrib.items():
            element.attrib[name] = clean(value)
    return XML_DECLARATION + ET.tostring(root, encoding="unicode")
