"""What the service says, per language: flows/wording/<code>.toml, overridden by config.toml's [wording]."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from core import text_rules

WORDING_DIR = Path(__file__).resolve().parent / "wording"


def _tidy(text: str) -> str:
    # A value ending a sentence inside a template ("The crew's note: Filled it." + ".") must not double the stop.
    return re.sub(r"(?<!\.)([.!?])\.(?!\.)", r"\1", text)


def _check(phrases: dict, where: str) -> None:
    # Every phrase is spoken or texted: one the calls and texts cannot carry stops the start, naming its key.
    for key, value in phrases.items():
        if problem := text_rules.refusal(str(value)):
            raise ValueError(f"{where}{key}: {problem}")


class Wording:
    """Phrases by language and key; a missing key falls back to the first language so nothing is silent."""

    def __init__(self, phrases: dict[str, dict[str, str]], fallback: str) -> None:
        self._phrases = phrases
        self._fallback = fallback

    @classmethod
    def load(cls, languages: list[str], overrides: dict[str, dict[str, str]], directory: Path = WORDING_DIR):
        """Read each language's wording file and apply the configured overrides."""
        phrases = {}
        for code in languages:
            with open(directory / f"{code}.toml", "rb") as fh:
                shipped = tomllib.load(fh)
            _check(shipped, f"flows/wording/{code}.toml: ")
            _check(overrides.get(code, {}), f"wording.{code}.")
            phrases[code] = {k: " ".join(str(v).split()) for k, v in shipped.items()}
            phrases[code].update(overrides.get(code, {}))
        return cls(phrases, languages[0])

    def __call__(self, language: str, phrase: str, /, **values: object) -> str:
        """The phrase for key in language, with {placeholders} filled in."""
        template = self._phrases.get(language, {}).get(phrase) or self._phrases[self._fallback][phrase]
        return _tidy(template.format(**values)) if values else template

    def has(self, language: str, key: str) -> bool:
        """Whether the language defines this phrase itself."""
        return key in self._phrases.get(language, {})

    @classmethod
    def of(cls, ctx) -> Wording:
        """The wording of this process (web or worker), for its configured languages, loaded once."""
        codes = [language.code for language in ctx.settings.languages]
        return ctx.memo("flows.wording", lambda: cls.load(codes, ctx.settings.wording))
