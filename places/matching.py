"""Matching what a resident said or typed to the city's map: an address, an intersection or a named place, with a
confidence. One clear match is read back; two or three close ones are offered; none close enough asks again. A
street is found through an index keyed by its name (exact, then fuzzy over the names), never a scan of the points."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import numpy as np
from rapidfuzz import fuzz, process

from places.geo import metres
from places.index import Place, PlaceIndex, Point, Street, phonetic_key
from places.words import (
    CROSS,
    DIRECTIONS,
    FILLER,
    PLACE_KINDS,
    STATES,
    STREET_TYPES,
    UNIT_WORDS,
    fold,
    house_number,
    ordinal_word,
)

SURE = 85.0  # a best score at or above this, clear of the next one by MARGIN, is read back as the match
MARGIN = 10.0
CLOSE = 62.0  # candidates at or above this are offered as choices
FUZZY_CUTOFF = 60.0
MAX_CHOICES = 3
CORNER_METRES = 110.0  # two streets whose points come this close meet (a block is about 150 m)
SAME_CORNER_METRES = 60.0


class MatchKind(StrEnum):
    FOUND = "found"  # one point, read back for a yes
    CHOICES = "choices"  # two or three close: the resident chooses
    NOT_FOUND = "not_found"  # nothing close enough: ask again
    OUTSIDE = "outside"  # the address names a neighbouring body


class PlaceKind(StrEnum):
    ADDRESS = "address"
    INTERSECTION = "intersection"
    NAMED = "named"


@dataclass(frozen=True)
class Candidate:
    """A point on the map the words may mean."""

    label: str  # as the map writes it: '1205 N Main St', '5th St & N Main St', 'Oak Street Library'
    spoken: str  # as it is read back: '1205 North Main Street'
    latitude: float
    longitude: float
    confidence: float  # 0..1
    kind: PlaceKind = PlaceKind.ADDRESS


@dataclass(frozen=True)
class Neighbour:
    """A body next to the city: the words that name it, and who to call."""

    name: str
    number: str
    words: tuple[str, ...]


@dataclass(frozen=True)
class Match:
    kind: MatchKind
    candidates: tuple[Candidate, ...] = ()
    neighbour: Neighbour | None = None

    @property
    def best(self) -> Candidate | None:
        """The match read back, when there is one."""
        return self.candidates[0] if self.kind is MatchKind.FOUND else None


NOT_FOUND = Match(MatchKind.NOT_FOUND)


@dataclass(frozen=True)
class _Said:
    """A street as said: its directional, name words, type and trailing directional (each may be missing)."""

    predir: str
    key: str
    kind: str
    postdir: str


class Matcher:
    """Matches words to an index; `city_words` are the city's own name and ZIP codes, dropped from the words."""

    def __init__(self, index: PlaceIndex, *, neighbours: tuple[Neighbour, ...] = (),
                 city_words: tuple[str, ...] = ()) -> None:
        self.index = index
        self.neighbours = neighbours
        self.city_words = {w for phrase in city_words for w in fold(phrase).split()}

    def match(self, text: str) -> Match:
        """What the words mean on the map."""
        folded = fold(text)[:300]
        padded = f" {folded} "
        for neighbour in self.neighbours:
            if any(f" {fold(word)} " in padded for word in neighbour.words):
                return Match(MatchKind.OUTSIDE, neighbour=neighbour)
        words = [w for w in folded.split() if w not in self.city_words and w not in STATES]
        if not words:
            return NOT_FOUND
        text = " ".join(words)
        parts = [p.strip() for p in CROSS.split(text) if p.strip()]
        if len(parts) == 2 and not house_number(_strip_filler(parts[0].split()))[0]:
            found = self._intersection(parts[0], parts[1])
            if found.kind is not MatchKind.NOT_FOUND:
                return found
        kind = _place_kind(text)
        words = _from_number(_strip_filler(words))
        number, used = house_number(words)
        if not number:
            return self._named(kind, text)
        return self._address(number, words[used:])

    # ----- house number and street

    def _address(self, number: str, words: list[str]) -> Match:
        words, unit = _unit(words)
        said = _street(words)
        if not said.key:
            return NOT_FOUND
        scored: list[tuple[float, Point]] = []
        near: list[tuple[float, Point]] = []
        for street, name_score in self._streets(said.key):
            score = name_score + _agreement(said, street)
            points = street.numbers.get(number)
            if points:
                point = _unit_point(points, unit)
                scored.append((score - (3 if unit and not point.unit else 0), point))
            elif name_score >= SURE:
                near.extend((score - 20, p) for p in _near_numbers(street, number))
        if not scored:
            return self._decide(near, force_choice=True)
        return self._decide(scored)

    def _streets(self, key: str) -> list[tuple[Street, float]]:
        """The streets whose name may be this one, with how well the name matches (0..100)."""
        found: dict[str, float] = {}
        if key in self.index.by_key:
            found[key] = 100.0
        for name, score, _ in process.extract(key, self.index.keys, scorer=fuzz.ratio, limit=6,
                                              score_cutoff=FUZZY_CUTOFF):
            found[name] = max(found.get(name, 0.0), float(score) - 4)  # a slip costs something, however slight
        sound = phonetic_key(key)
        for _, score, i in process.extract(sound, self.index.sounds, scorer=fuzz.ratio, limit=6,
                                                score_cutoff=80):
            name = self.index.keys[i]
            found[name] = max(found.get(name, 0.0), float(score) * 0.88)
        return [(street, score) for name, score in found.items() for street in self.index.by_key[name]]

    def _decide(self, scored: list[tuple[float, Point | Candidate]], *, force_choice: bool = False) -> Match:
        best: dict[str, tuple[float, Candidate]] = {}
        for score, item in scored:
            candidate = item if isinstance(item, Candidate) else _candidate(item, score)
            if candidate.label not in best or best[candidate.label][0] < score:
                best[candidate.label] = (score, candidate)
        ranked = sorted(best.values(), key=lambda pair: -pair[0])
        if not ranked or ranked[0][0] < CLOSE:
            return NOT_FOUND
        top = ranked[0][0]
        clear = len(ranked) == 1 or top - ranked[1][0] >= MARGIN
        if top >= SURE and clear and not force_choice:
            return Match(MatchKind.FOUND, (ranked[0][1],))
        close = [c for score, c in ranked if score >= max(CLOSE, top - 25)][:MAX_CHOICES]
        return Match(MatchKind.CHOICES, tuple(close))

    # ----- intersections

    def _intersection(self, first: str, second: str) -> Match:
        a, b = _street(_strip_filler(first.split())), _street(_strip_filler(second.split()))
        if not a.key or not b.key:
            return NOT_FOUND
        corners: list[tuple[float, Candidate]] = []
        for sa, score_a in self._streets(a.key):
            for sb, score_b in self._streets(b.key):
                if sa.key == sb.key or min(score_a, score_b) < CLOSE:
                    continue
                corner = self._corner(sa, sb)
                if corner is None:
                    continue
                score = (min(score_a + _agreement(a, sa), score_b + _agreement(b, sb))
                         + min(score_a, score_b)) / 2
                # A corner is where it is: the directionals (which half of each street) add nothing to it.
                label = f"{sa.name} {sa.kind} & {sb.name} {sb.kind}".replace("  ", " ").strip()
                spoken = f"{Street.say('', sa.name, sa.kind, '')} and {Street.say('', sb.name, sb.kind, '')}"
                corners.append((score, Candidate(label, spoken, corner[0], corner[1], min(1.0, score / 100),
                                                 PlaceKind.INTERSECTION)))
        # Two segments of one street (North and South Main) meet a cross street at one corner: one candidate.
        corners.sort(key=lambda pair: -pair[0])
        kept: list[tuple[float, Candidate]] = []
        for score, candidate in corners:
            if all(metres(candidate.latitude, candidate.longitude, k.latitude, k.longitude) > SAME_CORNER_METRES
                   for _, k in kept):
                kept.append((score, candidate))
        return self._decide(kept)

    def _corner(self, a: Street, b: Street) -> tuple[float, float] | None:
        pair = (id(a), id(b))
        if pair not in self.index.corners:
            self.index.corners[pair] = self._find_corner(a, b)
        return self.index.corners[pair]

    def _find_corner(self, a: Street, b: Street) -> tuple[float, float] | None:
        la, lb = a.lat_lon(), b.lat_lon()
        if not len(la) or not len(lb):
            return None
        xa, xb = self.index.xy(la), self.index.xy(lb)
        distances = np.hypot(xa[:, None, 0] - xb[None, :, 0], xa[:, None, 1] - xb[None, :, 1])
        i, j = np.unravel_index(int(np.argmin(distances)), distances.shape)
        if distances[i, j] > CORNER_METRES:
            return None
        middle = (xa[i] + xb[j]) / 2
        crossing = _crossing(_near(xa, middle), _near(xb, middle))
        at = crossing if crossing is not None and np.hypot(*(crossing - middle)) < CORNER_METRES else middle
        return float(at[1] / self.index.per_degree[0]), float(at[0] / self.index.per_degree[1])

    # ----- named places

    def _named(self, kind: str | None, text: str) -> Match:
        kind_words = {w for phrase in PLACE_KINDS for w in phrase.split()}
        rest = " ".join(w for w in text.split() if w not in FILLER and w not in kind_words and w not in STREET_TYPES)
        scored: list[tuple[float, Candidate]] = []
        for place in self.index.places:
            if kind and place.kind != kind:
                continue
            name_words = " ".join(w for w in fold(place.name).split() if w not in kind_words and w not in FILLER)
            if kind is None:
                score = fuzz.token_sort_ratio(_strip_words(text), fold(place.name)) if name_words else 0.0
                if score < 90:
                    continue
            elif not rest:
                score = 90.0
            else:
                street = _street(fold(place.address).split()[1:]).key
                score = max(fuzz.ratio(rest, name_words), fuzz.ratio(rest, street),
                            fuzz.token_set_ratio(rest, name_words))
            scored.append((float(score), _place_candidate(place, score)))
        if kind and not rest and len(scored) > 1:
            return Match(MatchKind.CHOICES, tuple(c for _, c in scored[:MAX_CHOICES])) if len(scored) <= MAX_CHOICES \
                else NOT_FOUND
        return self._decide(scored)


def _strip_filler(words: list[str]) -> list[str]:
    return [w for w in words if w not in FILLER]


def _strip_words(text: str) -> str:
    return " ".join(_strip_filler(text.split()))


def _from_number(words: list[str]) -> list[str]:
    """The words from the house number on: a typed 'pothole at 1205 Main' starts at 1205."""
    for i, word in enumerate(words[:6]):
        if word[:1].isdigit() and word.isdigit():
            return words[i:]
    return words


def _place_kind(text: str) -> str | None:
    padded = f" {text} "
    for phrase, kind in PLACE_KINDS.items():
        if f" {phrase} " in padded:
            return kind
    return None


def _unit(words: list[str]) -> tuple[list[str], str]:
    """The words without a trailing unit ('apt 4', '# 2b', 'unit three'), and the unit as digits/letters."""
    for i, word in enumerate(words):
        if word in UNIT_WORDS and i + 1 < len(words) and i > 0:
            value, used = house_number(words[i + 1:])
            unit = value if used else words[i + 1]
            return words[:i], unit.upper()
    return words, ""


def _unit_point(points: list[Point], unit: str) -> Point:
    if unit:
        for point in points:
            if point.unit.split()[-1:] == [unit]:
                return point
    return points[0]


def _street(words: list[str]) -> _Said:
    """A street as said: 'north main street' -> N, 'main', St; 'calle quinta' -> St, '5th'; 'fifth' -> '5th'."""
    words = [w for w in words if w not in FILLER or w in STREET_TYPES]
    words = [w for w in words if not (len(w) == 5 and w.isdigit())]  # a ZIP code
    predir = kind = postdir = ""
    if len(words) > 1 and words[0] in STREET_TYPES:  # Spanish puts the type first: "avenida Lincoln"
        kind, words = STREET_TYPES[words[0]], words[1:]
    if len(words) > 1 and words[0] in DIRECTIONS:
        predir, words = DIRECTIONS[words[0]], words[1:]
    if len(words) > 1 and words[-1] in DIRECTIONS:
        postdir, words = DIRECTIONS[words[-1]], words[:-1]
    if len(words) > 1 and words[-1] in STREET_TYPES:
        kind, words = STREET_TYPES[words[-1]], words[:-1]
    spelled, used = house_number(words)
    if spelled and used == len(words) and not words[0].isdigit() and int(spelled) <= 200:
        words = [_ordinal(int(spelled))]  # "calle ocho", "twelve street": a numbered street said as a number
    names = []
    for word in words:
        if word in STREET_TYPES and names:
            continue
        ordinal = ordinal_word(word)
        if ordinal is None and word.isdigit() and len(word) <= 3:
            ordinal = ordinal_word(f"{int(word)}th") and _ordinal(int(word))
        names.append(ordinal or word)
    return _Said(predir, " ".join(names), kind, postdir)


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _agreement(said: _Said, street: Street) -> float:
    """Points for the directional and type as said: a wrong one costs, a missing one does not."""
    score = 0.0
    # Before or after the name is how a language orders it ("Main Norte"): only which way it says counts.
    said_way, street_way = said.predir or said.postdir, street.predir or street.postdir
    if said_way:
        score += 1 if said_way == street_way else -20
    if said.kind:
        score += 1 if said.kind == street.kind else -6
    return score


def _near_numbers(street: Street, number: str) -> list[Point]:
    """Up to three house numbers on the street close to one that is not on it (the same side first)."""
    if not number.isdigit():
        return []
    wanted = int(number)
    numbers = [n for n in street.numbers if n.isdigit() and abs(int(n) - wanted) <= 20]
    numbers.sort(key=lambda n: (int(n) % 2 != wanted % 2, abs(int(n) - wanted)))
    return [street.numbers[n][0] for n in numbers[:MAX_CHOICES]]


def _candidate(point: Point, score: float) -> Candidate:
    return Candidate(point.label(), point.spoken(), point.latitude, point.longitude, min(1.0, score / 100))


def _place_candidate(place: Place, score: float) -> Candidate:
    return Candidate(place.name, f"{place.name}, {place.address}", place.latitude, place.longitude,
                     min(1.0, score / 100), PlaceKind.NAMED)


def _near(xy: np.ndarray, middle: np.ndarray) -> np.ndarray:
    d = np.hypot(xy[:, 0] - middle[0], xy[:, 1] - middle[1])
    return xy[d < 400]


def _crossing(a: np.ndarray, b: np.ndarray) -> np.ndarray | None:
    """Where the lines through two sets of points cross (each line fitted through its points), or None."""
    if len(a) < 2 or len(b) < 2:
        return None
    lines = []
    for pts in (a, b):
        centre = pts.mean(axis=0)
        _, _, vt = np.linalg.svd(pts - centre)
        lines.append((centre, vt[0]))
    (p, r), (q, s) = lines
    cross = r[0] * s[1] - r[1] * s[0]
    if abs(cross) < 0.2:  # nearly parallel: no single crossing
        return None
    t = ((q[0] - p[0]) * s[1] - (q[1] - p[1]) * s[0]) / cross
    return p + t * r
