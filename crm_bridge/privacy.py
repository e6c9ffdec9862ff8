"""What the public may read of a ticket's place: an address no more precise than its service type allows.

(Free text is cleaned by core.redact.personal: e-mails, phone numbers and names.)
"""

from __future__ import annotations

import re

from core.redact import personal

redact = personal  # the Open311 server's name for it: what the public may read of a description or note

# ---------------------------------------------------------------- where a request is


ADDRESS_RULES = ("full", "block", "none")
BLOCK_DECIMALS = 3  # 0.001° is about 110 m north-south: a city block, not a building
_UNIT_WORDS = r"(?:apt|apartment|unit|suite|ste|fl|floor|rm|room|bldg|building|piso|depto|departamento|dpto|interior)"
_UNIT = re.compile(rf"(?:\s*,\s*|\s+){_UNIT_WORDS}\b\.?.*$|\s*#.*$", re.IGNORECASE)
_LEADING_UNIT = re.compile(rf"^{_UNIT_WORDS}\b\.?\s*#?\s*[\w-]+\s*,?\s*", re.IGNORECASE)
# A house number and the street after it: "1234 N Main St", "1234-B Main St", "1234 5th Ave".
_HOUSE_FIRST = re.compile(
    r"(?<![\w#])(\d{1,6})(?:-?[a-z](?!\w)|-\d{1,6})?\s+((?:[^\W\d_]|\d+(?:st|nd|rd|th)\b).*)$", re.IGNORECASE
)
_HOUSE_LAST = re.compile(r"^([^\W\d_].*?)\s+(\d{1,6})[a-z]?$", re.IGNORECASE)  # "Avenida Juárez 1234"
_NUMBERED_ROADS = set("highway hwy route rte road rd interstate i us sr cr carretera ruta".split())  # "Highway 61"
_ALREADY_BLOCK = re.compile(r"\bblock of\b", re.IGNORECASE)


def public_location(
    address: str, lat: float | None, long: float | None, rule: str
) -> tuple[str | None, float | None, float | None]:
    """The address and coordinates a service type's rule lets the public see: in full, to the block, or not at all."""
    if rule == "none":
        return None, None, None
    if rule == "block":
        address = block(address)
        if lat is not None and long is not None:
            lat, long = round(lat, BLOCK_DECIMALS), round(long, BLOCK_DECIMALS)
    return redact(address), lat, long


def block(address: str) -> str:
    """The address to the block: "1234 N Main St Apt 5, Springfield" is "1200 block of N Main St"."""
    parts = [_LEADING_UNIT.sub("", part.strip()) for part in address.split(",")]
    parts = [part for part in parts if part]
    if not parts:
        return ""
    # The street is the part with a house number ("Apt 5, 1234 Main St"); the city and the unit are dropped.
    street = next((part for part in parts if part[:1].isdigit()), parts[0])
    street = _UNIT.sub("", street).strip()
    if _ALREADY_BLOCK.search(street):
        return street
    number, name = _house_and_street(street)
    if number is None:
        return street  # an intersection, a numbered highway or a named place: no house in it to hide
    hundreds = number // 100 * 100
    return f"{hundreds if hundreds else '1-99'} block of {name}"


def _house_and_street(street: str) -> tuple[int | None, str]:
    first = _HOUSE_FIRST.match(street)
    if first:
        return int(first.group(1)), first.group(2).strip()
    last = _HOUSE_LAST.match(street)
    if last and last.group(1).split()[-1].lower() not in _NUMBERED_ROADS:
        return int(last.group(2)), last.group(1).strip()
    inside = _HOUSE_FIRST.search(street)  # "in front of 1234 Main St"
    if inside:
        return int(inside.group(1)), inside.group(2).strip()
    return None, street
