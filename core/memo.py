"""Per-process values a higher package builds once and keeps on the one context it is given (web or worker)."""

from __future__ import annotations

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
