"""The one clock: every record and every rule asks it for the time, so a test (or a replay) can pin it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

Clock = Callable[[], dt.datetime]


def system_clock() -> dt.datetime:
    """The real time, in UTC, timezone-aware."""
    return dt.datetime.now(dt.UTC)


_current: Clock = system_clock


def install(clock: Clock | None) -> None:
    """Make `clock` the time source of this process (None restores the real time)."""
    global _current
    _current = clock or system_clock


def now() -> dt.datetime:
    """The current time from the installed clock, always timezone-aware."""
    value = _current()
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
