"""The one clock: every record and every rule asks it for the time, so a test (or a replay) can pin it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from contextvars import ContextVar

Clock = Callable[[], dt.datetime]


def system_clock() -> dt.datetime:
    """The real time, in UTC, timezone-aware."""
    return dt.datetime.now(dt.UTC)


_current: Clock = system_clock
# A test-traffic request plays at its scenario's time (core.test_traffic): the moment it was sent for, for that request.
_simulated: ContextVar[dt.datetime | None] = ContextVar("simulated_now", default=None)


def install(clock: Clock | None) -> None:
    """Make `clock` the time source of this process (None restores the real time)."""
    global _current
    _current = clock or system_clock


def simulate(moment: dt.datetime | None) -> None:
    """For the rest of the current request (or task), now() is this moment; None restores the installed clock."""
    _simulated.set(moment)


def simulated() -> dt.datetime | None:
    """The current request's simulated time, if it has one."""
    return _simulated.get()


def now() -> dt.datetime:
    """The current time from the installed clock (or the request's simulated time), always timezone-aware."""
    value = _simulated.get() or _current()
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
