"""Normalising a spoken or typed location so the same place is recognised however it was said."""

from __future__ import annotations

import re
import unicodedata

MAX_ADDRESS = 300
_ABBREVIATIONS = {
    "street": "st",
    "str": "st",
    "avenue": "ave",
    "av": "ave",
    "boulevard": "blvd",
    "road": "rd",
    "drive": "dr",
    "lane": "ln",
    "court": "ct",
    "place": "pl",
    "parkway": "pkwy",
    "highway": "hwy",
    "terrace": "ter",
    "north": "n",
    "south": "s",
    "east": "e",
    "west": "w",
    "first": "1st",
    "second": "2nd",
    "third": "3rd",
    "fourth": "4th",
    "fifth": "5th",
    "sixth": "6th",
    "seventh": "7th",
    "eighth": "8th",
    "ninth": "9th",
    "tenth": "10th",
    "calle": "st",
    "avenida": "ave",
}
_FILLER = {"the", "of", "on", "near", "by", "in", "front", "el", "la", "de", "del", "en", "frente", "cerca"}
_CROSS = re.compile(r"\s+(?:and|at|y|con|esquina)\s+|\s*[&/@]\s*")


def clean(address: str) -> str:
    """The address as the resident gave it, with whitespace tidied and cut to a sane length."""
    return " ".join(address.split())[:MAX_ADDRESS]


def key(address: str) -> str:
    """A comparison key: '5th and Main Street' and 'Main St & Fifth' give the same key."""
    text = unicodedata.normalize("NFKD", address.lower())
    text = "".join(c for c in text if not unicodedata.combining(c))
    parts = [_normalise_part(part) for part in _CROSS.split(text)]
    parts = sorted(p for p in parts if p)
    return " & ".join(parts)[:MAX_ADDRESS]


def _normalise_part(part: str) -> str:
    words = re.sub(r"[^\w\s]", " ", part).split()
    words = [_ABBREVIATIONS.get(w, w) for w in words if w not in _FILLER]
    # A bare street name matches its suffixed form ("main" ~ "main st") at an intersection.
    if len(words) > 1 and words[-1] in {"st", "ave", "rd", "blvd"} and not words[0].isdigit():
        words = words[:-1]
    return " ".join(words)
