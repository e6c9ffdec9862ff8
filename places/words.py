"""The words of an address: house numbers said as words, directionals, street types, ordinals, units, fillers."""

from __future__ import annotations

import re
import unicodedata

_UNITS = {
    "zero": 0, "oh": 0, "o": 0, "cero": 0,
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
    "uno": 1, "una": 1, "un": 1, "dos": 2, "tres": 3, "cuatro": 4, "cinco": 5, "seis": 6, "siete": 7, "ocho": 8,
    "nueve": 9,
}
_TEENS = {
    "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16,
    "seventeen": 17, "eighteen": 18, "nineteen": 19,
    "diez": 10, "once": 11, "doce": 12, "trece": 13, "catorce": 14, "quince": 15, "dieciseis": 16, "diecisiete": 17,
    "dieciocho": 18, "diecinueve": 19, "veinte": 20, "veintiuno": 21, "veintidos": 22, "veintitres": 23,
    "veinticuatro": 24, "veinticinco": 25, "veintiseis": 26, "veintisiete": 27, "veintiocho": 28, "veintinueve": 29,
}
_TENS = {
    "twenty": 20, "thirty": 30, "forty": 40, "fourty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80,
    "ninety": 90,
    "treinta": 30, "cuarenta": 40, "cincuenta": 50, "sesenta": 60, "setenta": 70, "ochenta": 80, "noventa": 90,
}
_HUNDREDS = {  # Spanish says its hundreds in one word
    "cien": 100, "ciento": 100, "doscientos": 200, "trescientos": 300, "cuatrocientos": 400, "quinientos": 500,
    "seiscientos": 600, "setecientos": 700, "ochocientos": 800, "novecientos": 900,
}
_HUNDRED = {"hundred", "hundreds"}
_THOUSAND = {"thousand", "mil"}

DIRECTIONS = {
    "n": "N", "north": "N", "norte": "N", "s": "S", "south": "S", "sur": "S", "e": "E", "east": "E", "este": "E",
    "w": "W", "west": "W", "oeste": "W", "ne": "NE", "northeast": "NE", "nw": "NW", "northwest": "NW",
    "se": "SE", "southeast": "SE", "sw": "SW", "southwest": "SW",
}
DIRECTION_NAMES = {"N": "North", "S": "South", "E": "East", "W": "West", "NE": "Northeast", "NW": "Northwest",
                   "SE": "Southeast", "SW": "Southwest"}
STREET_TYPES = {
    "st": "St", "street": "St", "str": "St", "streat": "St", "calle": "St",
    "ave": "Ave", "av": "Ave", "avenue": "Ave", "avenida": "Ave",
    "blvd": "Blvd", "boulevard": "Blvd", "bulevar": "Blvd",
    "rd": "Rd", "road": "Rd", "camino": "Rd",
    "dr": "Dr", "drive": "Dr",
    "ln": "Ln", "lane": "Ln",
    "ct": "Ct", "court": "Ct",
    "pl": "Pl", "place": "Pl",
    "way": "Way", "pkwy": "Pkwy", "parkway": "Pkwy", "ter": "Ter", "terrace": "Ter", "cir": "Cir", "circle": "Cir",
    "hwy": "Hwy", "highway": "Hwy",
}
TYPE_NAMES = {"St": "Street", "Ave": "Avenue", "Blvd": "Boulevard", "Rd": "Road", "Dr": "Drive", "Ln": "Lane",
              "Ct": "Court", "Pl": "Place", "Way": "Way", "Pkwy": "Parkway", "Ter": "Terrace", "Cir": "Circle",
              "Hwy": "Highway"}
ORDINALS = {
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7, "eighth": 8,
    "ninth": 9, "tenth": 10, "eleventh": 11, "twelfth": 12, "thirteenth": 13, "fourteenth": 14, "fifteenth": 15,
    "sixteenth": 16, "seventeenth": 17, "eighteenth": 18, "nineteenth": 19, "twentieth": 20,
    "primera": 1, "primero": 1, "segunda": 2, "segundo": 2, "tercera": 3, "tercero": 3, "cuarta": 4, "cuarto": 4,
    "quinta": 5, "quinto": 5, "sexta": 6, "sexto": 6, "septima": 7, "septimo": 7, "octava": 8, "octavo": 8,
    "novena": 9, "noveno": 9, "decima": 10, "decimo": 10, "undecima": 11, "duodecima": 12,
}
UNIT_WORDS = {"apt", "apartment", "unit", "suite", "ste", "no", "number", "apartamento", "departamento", "depto",
              "unidad", "numero", "#"}
FILLER = {"the", "at", "on", "near", "by", "in", "of", "front", "its", "it", "is", "im", "i", "am", "my", "address",
          "el", "la", "los", "las", "de", "del", "en", "frente", "cerca", "mi", "direccion", "es", "a", "al",
          "please", "um", "uh", "located", "thats", "there", "corner", "esquina", "lives", "live", "vivo", "house"}
CROSS = re.compile(r"\s+(?:and|at|y|con|esquina|cross|corner)\s+|\s*[&/@]\s*")


def fold(text: str) -> str:
    """Lower case, accents off, punctuation to spaces (keeping '#' and the hyphen inside a word)."""
    text = unicodedata.normalize("NFKD", text.lower())
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = re.sub(r"(\d)(st|nd|rd|th)\b", r"\1 \2", text)  # "5th" kept whole below; split only to re-join
    text = re.sub(r"(\d) (st|nd|rd|th)\b", r"\1\2", text)
    text = re.sub(r"#", " # ", text)
    text = re.sub(r"\s*([&/@])\s*", r" \1 ", text)
    text = re.sub(r"[^\w#&/@\s-]", " ", text).replace("-", " ")
    return " ".join(text.split())


def ordinal(n: int) -> str:
    """5 -> '5th', 12 -> '12th', 22 -> '22nd'."""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def ordinal_word(word: str) -> str | None:
    """'fifth' or '5th' or 'quinta' as '5th'; None when the word is no ordinal."""
    if word in ORDINALS:
        return ordinal(ORDINALS[word])
    match = re.fullmatch(r"(\d{1,3})(st|nd|rd|th|a|o)", word)
    return ordinal(int(match.group(1))) if match else None


def _kind(word: str) -> tuple[str, int] | None:
    if word in _UNITS:
        return "D", _UNITS[word]
    if word in _TEENS:
        return "T", _TEENS[word]
    if word in _TENS:
        return "Y", _TENS[word]
    if word in _HUNDREDS:
        return "C", _HUNDREDS[word]
    if word in _HUNDRED:
        return "H", 100
    if word in _THOUSAND:
        return "K", 1000
    return None


def house_number(words: list[str]) -> tuple[str, int]:
    """The house number at the start of words, as digits ('twelve oh five' -> '1205'), and how many words it took;
    ('', 0) when the words do not start with a number."""
    chunks: list[str] = []
    i = 0
    while i < len(words):
        word = words[i]
        if word.isdigit():
            chunks.append(word)
            i += 1
            continue
        kind = _kind(word)
        if kind is None or kind[0] in ("H", "K") and not chunks and word != "mil":
            break
        if kind[0] == "D" and kind[1] == 0:
            if word in ("o", "oh") and not chunks:
                break  # a leading "oh" is a word, not a zero
            nxt = _kind(words[i + 1]) if i + 1 < len(words) else None
            if nxt and nxt[0] == "D" and nxt[1] > 0 and chunks:
                chunks.append(f"0{nxt[1]}")  # "twelve oh five": 12, 05
                i += 2
                continue
            chunks.append("0")
            i += 1
            continue
        value, i = _compose(words, i)
        if value is None:
            break
        chunks.append(str(value))
    digits = "".join(chunks)
    return (digits, i) if digits and len(digits) <= 6 else ("", 0)


def _compose(words: list[str], i: int) -> tuple[int | None, int]:
    # One spoken group: "twelve hundred five", "one thousand two hundred", "twenty one", "mil doscientos cinco".
    total, current, last = 0, 0, None
    while i < len(words):
        kind = _kind(words[i])
        if words[i] in ("and", "y") and last in ("H", "K", "Y", "C") and i + 1 < len(words) and _kind(words[i + 1]):
            i += 1
            continue
        if kind is None:
            break
        k, v = kind
        if k == "D" and v > 0 and last in (None, "Y", "H", "K", "C"):
            current += v
        elif k == "T" and last in (None, "H", "K", "C"):
            current += v
        elif k == "Y" and last in (None, "H", "K", "C"):
            current += v
        elif k == "C" and last in (None, "K"):
            current += v
        elif k == "H" and last in ("D", "T", "Y") and current < 100:
            current *= 100
        elif k == "K" and total == 0 and last in (None, "D", "T", "Y", "H", "C"):
            total, current = (current or 1) * 1000, 0
        else:
            break
        last = k
        i += 1
    value = total + current
    return (value if last is not None else None), i


PLACE_KINDS = {  # words residents use for a kind of named place
    "library": "library", "libraries": "library", "biblioteca": "library",
    "park": "park", "parque": "park",
    "city hall": "city_hall", "town hall": "city_hall", "ayuntamiento": "city_hall", "alcaldia": "city_hall",
    "municipalidad": "city_hall", "palacio municipal": "city_hall",
}
STATES = {"il", "illinois", "usa", "us"}


def phonetic(word: str) -> str:
    """A rough sound key, so a misheard 'Oke' or 'Mane' still finds Oak or Main: first letter, then consonants."""
    if not word:
        return ""
    if word[0].isdigit():
        return word
    word = re.sub(r"ph", "f", word)
    word = re.sub(r"ck|q|c(?=[aou])", "k", word)
    word = re.sub(r"c", "s", word).replace("z", "s").replace("gh", "")
    rest = re.sub(r"[aeiouyhw]", "", word[1:])
    rest = re.sub(r"(.)\1+", r"\1", rest)
    return word[0] + rest
