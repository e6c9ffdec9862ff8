"""What the simulator needs to know about TwiML documents: how long verbs play, numbers in attributes, leftovers."""

from __future__ import annotations

import xml.etree.ElementTree as ET

MAX_REDIRECTS = 40  # a document that redirects forever is a bug to report, not a call to keep playing
WORDS_PER_SECOND = 2.5  # text-to-speech pace, for how long a wait document plays
PLAY_SECONDS = 30.0  # a <Play> of hold music: Twilio plays the file; we cannot know its length
DEFAULT_GATHER_TIMEOUT = 5
AGENT_DIAL_TIMEOUT = 30  # Twilio's <Dial> default


def number(raw: str | None, default: float) -> float:
    """An attribute's number, or the default when it is missing or not a number (Twilio's leniency)."""
    try:
        return float(raw) if raw not in (None, "") else default
    except ValueError:
        return default


def as_document(verbs: list[ET.Element]) -> str:
    """The verbs as a <Response> document, so what follows a Gather can be kept as JSON."""
    response = ET.Element("Response")
    response.extend(verbs)
    return ET.tostring(response, encoding="unicode")
