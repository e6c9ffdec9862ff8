"""Values worked out once and kept in this process: per-context values a higher package builds (`ProcessMemo`), and
the answers of pure functions of a short string (`keep_short_answers`: a phone number, a menu's word)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")


class ProcessMemo:
    """Mixed into the web and the worker contexts: `memo(key, factory)` builds a value once per process."""

    def memo(self, key: str, factory: Callable[[], T]) -> T:
        """The value stored under key, built by factory the first time (its wording, its catalogue)."""
        values: dict[str, Any] = self.__dict__.setdefault("_memo_values", {})
        if key not in values:
            values[key] = factory()
        return values[key]


def keep_short_answers(*, longest: int, most: int):
    """Decorator: keep `most` recent answers of fn(text, *args) for texts of up to `longest` characters; a longer text
    (junk, or a resident's whole sentence) is worked out each time and never crowds the kept ones out."""

    def decorate(fn):
        kept = functools.lru_cache(maxsize=most)(fn)

        @functools.wraps(fn)
        def answer(text, *args):
            return kept(text, *args) if len(text or "") <= longest else fn(text, *args)

        return answer

    return decorate
