"""Removing what identifies a resident from what they said or typed: e-mails, phone numbers (in digits or words),
introduced names, and for reports also addresses and any long number. Pure functions; stored records keep every word.

Residents type and say their own details ("my name is Ana Ruiz, call me at three one two ..."). Redaction errs on
the side of removing: a long run of digits is removed whether or not it is a phone number.
"""

from __future__ import annotations

import re

REMOVED = "[removed]"
MIN_DIGITS = 7  # a local phone number; shorter runs are house numbers, times, counts
MAX_NAME_WORDS = 4

# Each pattern starts only where a word starts (the look-behinds) and repeats a bounded number of times, so its work
# grows with the length of the text, not with its square.
_EMAIL = re.compile(r"(?<![\w.+'-])[\w.+'-]+@[\w-]+(?:\.[\w-]+)+")
# "ana dot ruiz at gmail dot com", "ana arroba gmail punto com": how an address sounds in a transcript.
_SPOKEN_EMAIL = re.compile(
    r"(?<![\w.+-])[\w.+-]+(?:\s+(?:dot|punto)\s+[\w-]+){0,4}\s+(?:at|arroba)\s+[\w-]+(?:\s+(?:dot|punto)\s+[\w-]+){0,4}"
    r"\s+(?:dot|punto)\s+(?:com|net|org|edu|gov|us|mx|info|io)(?!\w)",
    re.IGNORECASE,
)

# How many digits a word stands for when a number is spelled out or spoken.
_ONE = (
    "zero oh o one two three four five six seven eight nine cero uno una dos tres cuatro cinco seis siete ocho nueve"
).split()
_TWO = (
    "ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen "
    "twenty thirty forty fifty sixty seventy eighty ninety hundred "
    "diez once doce trece catorce quince dieciséis dieciseis diecisiete dieciocho diecinueve "
    "veinte treinta cuarenta cincuenta sesenta setenta ochenta noventa cien "
    "veintiuno veintidós veintidos veintitrés veintitres veinticuatro veinticinco veintiséis veintiseis "
    "veintisiete veintiocho veintinueve"
).split()
_DIGIT_WORDS = {**dict.fromkeys(_ONE, 1), **dict.fromkeys(_TWO, 2), "thousand": 3, "ciento": 3, "mil": 3}
_REPEATS = {"double": 1, "doble": 1, "triple": 2}  # "double five" is two digits: one for "double", one for "five"
_JOINERS = {"y"}  # "treinta y dos"
_TOKEN = re.compile(r"[^\W_]+")
_NUMBER_GAP = re.compile(r"[\s,.\-/()+]*")  # what may sit between the parts of one number
_DATE = re.compile(r"\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}")

# Phrases that introduce a name. Strong ones are followed by a name whatever its case ("my name is ana ruiz");
# weak ones only by capitalised words ("this is Ana" is a name, "this is a pothole" is not).
_STRONG = re.compile(r"\b(?:my name is|my name's|me llamo|mi nombre es|le habla)\s+", re.IGNORECASE)
_WEAK = re.compile(r"\b(?:this is|soy|i am|i'm)\s+", re.IGNORECASE)
_CALL = re.compile(
    r"\b(?:call|text|contact|ask for|llame a|llamar a|pregunte por)\s+((?:[^\W\d_][\w'’-]*\s+){1,3}?)(?:at|on|al|en)\b",
    re.IGNORECASE,
)
_FOLLOWERS = {"calling", "speaking", "here", "llamando", "hablando"}  # "this is ana calling": a name, lower case
_NOT_NAMES = set(
    """
    a an the and or but i i'm im me my mine we us our you your he him his she her they them their it its this that
    these those there here who what when where which from at on in to of for with about by as is was are be been
    calling call speaking here again back now today tonight tomorrow later anytime any time someone somebody anyone
    everyone nobody please thanks thank yes no not very so just also still really only
    city police office department landlord manager owner building tenant neighbor neighbour resident
    y e o de del la las el los un una uno mi mis su sus tu que en con por para al es soy estoy vivo llamo aquí aqui
    señor señora don doña
    """.split()
)
_PARTICLES = {"de", "del", "la", "las", "los", "van", "von", "da", "di", "du", "le"}
_WORD = re.compile(r"[^\W\d_][\w'’-]*")
_SPACES = re.compile(r"[ \t]+")
_STREET_WORDS = set(
    "street st avenue ave road rd boulevard blvd drive dr lane ln court ct place pl parkway pkwy highway hwy "
    "terrace ter way park alley calle avenida".split()
)


def personal(text: str | None) -> str | None:
    """Free text with e-mail addresses, phone numbers (in digits or in words) and introduced names replaced."""
    if not text:
        return text
    text = _EMAIL.sub(REMOVED, text)
    text = _SPOKEN_EMAIL.sub(REMOVED, text)
    text = _replace(text, _number_spans(text))
    text = _replace(text, _name_spans(text))
    return text


def _replace(text: str, spans: list[tuple[int, int]]) -> str:
    for start, end in sorted(spans, reverse=True):
        text = text[:start] + REMOVED + text[end:]
    return text


def _number_spans(text: str) -> list[tuple[int, int]]:
    """Runs of digits and number words that add up to a phone number's length or more."""
    spans = []
    run: list[re.Match] = []
    digits = 0

    def close() -> None:
        if run and digits >= MIN_DIGITS:
            start, end = run[0].start(), run[-1].end()
            only_digits = all(m.group().isdigit() for m in run)
            if not (only_digits and _DATE.fullmatch(text[start:end])):  # 2026-11-17 is a date, not a number
                if start > 0 and text[start - 1] in "+(":
                    start -= 1
                spans.append((start, end))

    previous_end = None
    for match in _TOKEN.finditer(text):
        word = match.group().lower()
        joined = previous_end is not None and _NUMBER_GAP.fullmatch(text, previous_end, match.start())
        value = _digits_of(word)
        if value is None and not (word in _JOINERS and run):
            close()
            run, digits, previous_end = [], 0, None
            continue
        if not joined:
            close()
            run, digits = [], 0
        if value is not None:
            run.append(match)
            digits += value
        previous_end = match.end()
    close()
    return spans


def _digits_of(word: str) -> int | None:
    if word.isascii() and word.isdigit():
        return len(word)
    if word in _DIGIT_WORDS:
        return _DIGIT_WORDS[word]
    if word in _REPEATS:
        return _REPEATS[word]
    return None


def _name_spans(text: str) -> list[tuple[int, int]]:
    spans = []
    for match in _STRONG.finditer(text):
        spans.extend(_name_after(text, match.end(), any_case=True))
    for match in _WEAK.finditer(text):
        spans.extend(_name_after(text, match.end(), any_case=False))
    for match in _CALL.finditer(text):
        words = match.group(1).split()
        if words and not any(w.lower() in _NOT_NAMES for w in words):
            spans.append((match.start(1), match.start(1) + len(match.group(1).rstrip())))
    return spans


def _name_after(text: str, position: int, *, any_case: bool) -> list[tuple[int, int]]:
    """The span of the name that starts at `position`, if the words there look like one."""
    words = _words_at(text, position)
    if not any_case:
        # After "this is" a lower-case name counts only when a word such as "calling" confirms it.
        for size in (1, 2):
            if len(words) > size and words[size].group().lower() in _FOLLOWERS and all(map(_nameish, words[:size])):
                return [(words[0].start(), words[size - 1].end())]
    taken: list[re.Match] = []
    for word in words[:MAX_NAME_WORDS]:
        lower = word.group().lower()
        if taken and lower in _PARTICLES:
            taken.append(word)  # "Ana de la Cruz"
            continue
        if not _nameish(word) or not (any_case or word.group()[:1].isupper()):
            break
        taken.append(word)
    while taken and taken[-1].group().lower() in _PARTICLES:
        taken.pop()
    if not taken:
        return []
    following = words[len(taken)].group().lower() if len(words) > len(taken) else ""
    if following in _STREET_WORDS:
        return []  # "this is Main Street": a place, not a person
    return [(taken[0].start(), taken[-1].end())]


def _words_at(text: str, position: int) -> list[re.Match]:
    """The words from `position` on that follow one another with only spaces between them."""
    words = []
    while len(words) <= MAX_NAME_WORDS:
        match = _WORD.match(text, position)
        if match is None:
            break
        words.append(match)
        gap = _SPACES.match(text, match.end())
        if gap is None:
            break
        position = gap.end()
    return words


def _nameish(word: re.Match) -> bool:
    lower = word.group().lower()
    return lower not in _NOT_NAMES and lower not in _STREET_WORDS


_STREET = (
    "street|st|avenue|ave|road|rd|boulevard|blvd|lane|ln|drive|dr|court|ct|way|place|pl|parkway|pkwy|terrace|"
    "highway|hwy|circle|cir|calle|avenida|camino"
)
_ADDRESS = re.compile(rf"\b\d+[a-z]?\s+(?:[\w.'-]+\s+){{0,4}}?(?:{_STREET})\b\.?", re.IGNORECASE)
_SPANISH_ADDRESS = re.compile(r"\b(?:calle|avenida|camino)\s+(?:[\w.'-]+\s+){0,3}?\d+\b", re.IGNORECASE)
_LONG_NUMBER = re.compile(r"\b\d{3,}\b")
_REPEATED = re.compile(r"(?:\[removed\][\s,.]*){2,}")


def for_report(text: str) -> str:
    """What a report may show of a resident's words: personal details, addresses and numbers of 3+ digits removed."""
    text = personal(text) or ""
    for pattern in (_ADDRESS, _SPANISH_ADDRESS, _LONG_NUMBER):
        text = pattern.sub(REMOVED, text)
    return _REPEATED.sub(REMOVED + " ", text).strip()
