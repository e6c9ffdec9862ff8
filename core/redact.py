"""Masking what residents said before it is shown in a report: numbers, spelled-out digits, e-mails, addresses."""

from __future__ import annotations

import re

_DIGIT_WORDS = (
    "zero|oh|one|two|three|four|five|six|seven|eight|nine|"
    "cero|uno|una|dos|tres|cuatro|cinco|seis|siete|ocho|nueve"
)
_SPELLED = re.compile(rf"\b(?:(?:{_DIGIT_WORDS})[\s,.-]*){{3,}}", re.IGNORECASE)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_STREET = (
    "street|st|avenue|ave|road|rd|boulevard|blvd|lane|ln|drive|dr|court|ct|way|place|pl|parkway|pkwy|terrace|"
    "highway|hwy|circle|cir|calle|avenida|camino"
)
_ADDRESS = re.compile(rf"\b\d+[a-z]?\s+(?:[\w.'-]+\s+){{0,4}}?(?:{_STREET})\b\.?", re.IGNORECASE)
_SPANISH_ADDRESS = re.compile(r"\b(?:calle|avenida|camino)\s+(?:[\w.'-]+\s+){0,3}?\d+\b", re.IGNORECASE)
_NUMBER = re.compile(r"\+?\(?\d[\d\s().-]{2,}\d|\b\d{3,}\b")


def redact(text: str) -> str:
    """The text with e-mails, addresses, phone and other long numbers (also spelled out) replaced by [removed]."""
    for pattern in (_EMAIL, _ADDRESS, _SPANISH_ADDRESS, _SPELLED, _NUMBER):
        text = pattern.sub("[removed]", text)
    return re.sub(r"(?:\[removed\]\s*){2,}", "[removed] ", text).strip()
