"""Emergencies: a resident describing a fire, a gas smell, someone not breathing, a crime in progress or a live wire
down is told at once to call 911, whatever the menu, before anything else is said.

The vocabulary is data, per language, in the knowledge files (`[[emergency]]`): each kind lists cues, a cue being a
few words that must all appear (in any form: "breathing", "breathes"), and phrases that rule it out ("fire hydrant").
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from knowledge.matching import stems


class EmergencyVocabularyError(ValueError):
    """A knowledge file whose [[emergency]] entries cannot be used; the message names the file and the entry."""


@dataclass(frozen=True)
class EmergencyKind:
    """One kind of emergency in one language: what to say, and the cues that recognise it."""

    name: str
    language: str
    say: str  # the wording key said first ("emergency", "emergency_gas")
    cues: tuple[frozenset[str], ...]
    unless: tuple[frozenset[str], ...]

    def heard_in(self, words: set[str]) -> bool:
        """Whether stemmed words describe this emergency (a cue's words all there, no ruling-out phrase)."""
        return any(cue <= words for cue in self.cues) and not any(rule <= words for rule in self.unless)


@dataclass(frozen=True)
class Emergency:
    """A recognised emergency: its kind, the language it was described in, and the wording key to say."""

    kind: str
    language: str
    say: str


class EmergencyWords:
    """Every configured language's emergency vocabulary."""

    def __init__(self, kinds: list[EmergencyKind]) -> None:
        self.kinds = kinds

    @classmethod
    def load(cls, directory: Path, languages: list[str]) -> EmergencyWords:
        """Read `[[emergency]]` from each language's knowledge file; every language must have some."""
        kinds = []
        for code in languages:
            path = Path(directory) / f"{code}.toml"
            entries = tomllib.loads(path.read_text(encoding="utf-8")).get("emergency")
            if not isinstance(entries, list) or not entries:
                raise EmergencyVocabularyError(f"{path}: [[emergency]]: no emergency vocabulary for {code}")
            kinds += [_kind(path, code, i, entry) for i, entry in enumerate(entries)]
        return cls(kinds)

    def detect(self, text: str, language: str) -> Emergency | None:
        """The emergency the text describes, checked in the resident's language first, then in the others."""
        ordered = sorted(self.kinds, key=lambda k: k.language != language)
        words_by_language: dict[str, set[str]] = {}
        for kind in ordered:
            if kind.language not in words_by_language:
                words_by_language[kind.language] = set(stems(text[:2000], kind.language))
            if kind.heard_in(words_by_language[kind.language]):
                return Emergency(kind.name, kind.language, kind.say)
        return None


def _kind(path: Path, language: str, index: int, entry) -> EmergencyKind:
    where = f"{path}: [[emergency]] {index + 1}"
    if not isinstance(entry, dict) or not isinstance(entry.get("kind"), str):
        raise EmergencyVocabularyError(f"{where}: needs kind = \"...\"")
    cues = entry.get("cues")
    if not isinstance(cues, list) or not cues or not all(isinstance(c, str) and c.strip() for c in cues):
        raise EmergencyVocabularyError(f"{where} ({entry['kind']}): cues must be a list of words or short phrases")
    unless = entry.get("unless", [])
    if not isinstance(unless, list) or not all(isinstance(u, str) for u in unless):
        raise EmergencyVocabularyError(f"{where} ({entry['kind']}): unless must be a list of words or short phrases")
    return EmergencyKind(
        name=entry["kind"],
        language=language,
        say=str(entry.get("say", "emergency")),
        cues=tuple(frozenset(stems(cue, language)) for cue in cues),
        unless=tuple(frozenset(stems(rule, language)) for rule in unless),
    )
