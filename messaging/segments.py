"""SMS encoding and segmentation: what a reply costs in segments, and how to split or trim it to a budget.

Pure functions, stdlib only. The rules follow GSM 03.38 (3GPP TS 23.038) as Twilio applies them: a message is GSM-7
when every character is in the default alphabet or its extension table, otherwise the whole message goes out as UCS-2,
counted in UTF-16 code units. A single segment holds 160 septets or 70 code units; in a multipart message each segment
loses room to the concatenation header and holds 153 septets or 67 code units. The empty string costs 0 segments.
"""

from __future__ import annotations

import string
import unicodedata
from enum import Enum


class Encoding(str, Enum):
    GSM7 = "GSM-7"
    UCS2 = "UCS-2"


# The default alphabet in table order, 0x00-0x7F. 0x1B (escape to the extension table) is left out: it is not text.
_GSM_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅå"
    "Δ_ΦΓΛΩΠΨΣΘΞÆæßÉ"
    " !\"#¤%&'()*+,-./"
    "0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
# The extension table: each goes out as ESC + char, so it costs two septets and the pair can't straddle segments.
_GSM_EXTENDED = frozenset("\f^{}\\[~]|€")

_SINGLE = {Encoding.GSM7: 160, Encoding.UCS2: 70}
_MULTI = {Encoding.GSM7: 153, Encoding.UCS2: 67}

_SENTENCE_END = frozenset(".!?…")
# Trimmed from the end of a truncated text before the ellipsis, so we never send "word, ..." or "word ...".
_TRAILING = string.whitespace + ",;:"
_ZWJ = "\u200d"


def encoding(text: str) -> Encoding:
    """Return GSM-7 if every character is in the GSM 03.38 alphabet or its extension table, else UCS-2."""
    if all(ch in _GSM_BASIC or ch in _GSM_EXTENDED for ch in text):
        return Encoding.GSM7
    return Encoding.UCS2


def _weights(text: str, enc: Encoding) -> list[int]:
    # Per-character cost in the encoding's unit. Each weight is indivisible: an escape pair or a surrogate pair
    # must land whole in one segment, which is why we count per character and never per unit.
    if enc is Encoding.GSM7:
        return [2 if ch in _GSM_EXTENDED else 1 for ch in text]
    return [2 if ord(ch) > 0xFFFF else 1 for ch in text]


def _pack(weights: list[int], size: int) -> int:
    # Greedy packing of indivisible characters, as the sender does: a 2-unit character that doesn't fit in the
    # current segment's last slot opens the next one, so 134 code units with an emoji on the boundary take 3 segments.
    count, used = 1, 0
    for w in weights:
        if used + w > size:
            count, used = count + 1, 0
        used += w
    return count


def segment_count(text: str) -> int:
    """Return how many SMS segments text is billed as (0 for the empty string)."""
    if not text:
        return 0
    enc = encoding(text)
    weights = _weights(text, enc)
    if sum(weights) <= _SINGLE[enc]:
        return 1
    return _pack(weights, _MULTI[enc])


def _is_regional_indicator(ch: str) -> bool:
    return 0x1F1E6 <= ord(ch) <= 0x1F1FF


def _can_cut(text: str, i: int) -> bool:
    # A cut between code points can still break what the reader sees as one character: an accent combining with the
    # letter before it, a skin tone or variation selector, a ZWJ emoji sequence, or the two halves of a flag.
    ch, prev = text[i], text[i - 1]
    code = ord(ch)
    if unicodedata.combining(ch) or ch == _ZWJ or prev == _ZWJ:
        return False
    if 0xFE00 <= code <= 0xFE0F or 0x1F3FB <= code <= 0x1F3FF or 0xE0020 <= code <= 0xE007F:
        return False
    if _is_regional_indicator(ch) and _is_regional_indicator(prev):
        run = 0
        while i - run - 1 >= 0 and _is_regional_indicator(text[i - run - 1]):
            run += 1
        return run % 2 == 0  # flags pair up from the left, so only an even run before i ends on a whole flag
    return True


def _hard_cut(text: str, start: int, end: int) -> int:
    # Back off from end to the nearest cut that keeps visible characters whole; give up (cut at end) only when a
    # single cluster is longer than the whole budget.
    cut = end
    while cut > start + 1 and not _can_cut(text, cut):
        cut -= 1
    return cut if _can_cut(text, cut) else end


def _break_point(text: str, start: int, end: int) -> int:
    # text[start:end] fits and text[end] does not. Prefer a sentence end in the back half of the window (so parts
    # don't come out tiny), then the last whitespace, then a hard cut only for a word longer than the budget.
    spaces = [i for i in range(start + 1, end + 1) if text[i].isspace()]
    sentences = [i for i in spaces if text[i] == "\n" or text[i - 1] in _SENTENCE_END]
    if sentences and sentences[-1] - start >= (end - start) // 2:
        return sentences[-1]
    if spaces:
        return spaces[-1]
    return _hard_cut(text, start, end)


def _skip_space(text: str, i: int) -> int:
    while i < len(text) and text[i].isspace():
        i += 1
    return i


def _split(text: str, weights: list[int], budget: int) -> list[str]:
    parts: list[str] = []
    start = _skip_space(text, 0)
    while start < len(text):
        end, used = start, 0
        while end < len(text) and used + weights[end] <= budget:
            used += weights[end]
            end += 1
        if end == len(text):
            tail = text[start:].rstrip()
            if tail:
                parts.append(tail)
            break
        cut = _break_point(text, start, end)
        parts.append(text[start:cut].rstrip())
        start = _skip_space(text, cut)
    return parts


def split(text: str, limit: int | None = None, *, numbered: bool = False) -> list[str]:
    """Split text into parts that each fit one segment sent on its own, breaking at sentences or words if possible."""
    # limit tightens the per-part budget (in the text's unit: septets or code units) but never above one segment.
    # Whitespace at a break is dropped. A text that fits whole comes back unchanged, without "(1/1) " numbering.
    if not text:
        return []
    enc = encoding(text)
    budget = _SINGLE[enc] if limit is None else min(limit, _SINGLE[enc])
    if budget < 2:
        raise ValueError(f"limit {limit} can't hold a two-unit character")
    weights = _weights(text, enc)
    if sum(weights) <= budget:
        return [text]
    if not numbered:
        return _split(text, weights, budget)
    # The "(i/n) " prefix is ASCII, one unit per character in either encoding, and its width depends on n, which
    # depends on the prefix width: reserve room for d-digit numbers and widen until n fits in d digits.
    digits = 1
    while True:
        room = budget - (2 * digits + 4)
        if room < 2:
            raise ValueError(f"limit {limit} leaves no room for text after the numbering")
        parts = _split(text, weights, room)
        if len(str(len(parts))) <= digits:
            break
        digits += 1
    if len(parts) == 1:
        return parts
    return [f"({i}/{len(parts)}) {part}" for i, part in enumerate(parts, 1)]


def _word_cut(text: str, n: int) -> int:
    # Cut at or before n on whitespace so no word is chopped; a text with no space before n gets a clean hard cut.
    if n >= len(text) or text[n].isspace():
        return n
    for i in range(n - 1, 0, -1):
        if text[i].isspace():
            return i
    return _hard_cut(text, 0, n) if n > 0 else 0


def fit(text: str, max_segments: int, ellipsis: str = "…") -> str:
    """Truncate text at a word boundary, adding the ellipsis, so it costs at most max_segments segments."""
    if max_segments < 1:
        raise ValueError("max_segments must be at least 1")
    if segment_count(text) <= max_segments:
        return text
    # "…" is not in GSM-7: appending it to GSM-7 text would flip the whole message to UCS-2 and cut its room to 70.
    if encoding(text) is Encoding.GSM7 and encoding(ellipsis) is Encoding.UCS2:
        ellipsis = "..."

    def fits(n: int) -> bool:
        return segment_count(text[:n].rstrip(_TRAILING) + ellipsis) <= max_segments

    if not fits(0):
        raise ValueError(f"ellipsis {ellipsis!r} alone exceeds {max_segments} segment(s)")
    # Cost only grows with the prefix (the trimmed prefix only extends, and the encoding only flips toward UCS-2),
    # so binary-search the longest prefix that fits, then back off to a word boundary.
    lo, hi = 0, len(text)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (mid, hi) if fits(mid) else (lo, mid)
    return text[: _word_cut(text, lo)].rstrip(_TRAILING) + ellipsis
