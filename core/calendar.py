"""The city's business calendar: agent hours, holidays, and which days count towards service levels.

Hours come from config.toml's [hours] and [holidays], changed while the service runs by supervisors' hours changes
(the hours/ package stores them; every process loads them into its calendar): a closure ("close now: snow
emergency") wins over everything, an opening ("open late until 22:00") over the regular hours and holidays, and an
added holiday closes a whole day like one of config's.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum

import holidays as holidays_lib

from settings import Settings


class ChangeKind(StrEnum):
    CLOSE = "close"  # agents do not answer in the window, whatever the hours say
    OPEN = "open"  # agents answer in the window (open late, open on a closed day)
    HOLIDAY = "holiday"  # the local day of starts_at is a holiday


@dataclass(frozen=True)
class HoursChange:
    """A change to agent hours from starts_at until ends_at (None: until cancelled); `reason` by language code."""

    kind: ChangeKind
    starts_at: dt.datetime
    ends_at: dt.datetime | None
    reason: dict[str, str] = field(default_factory=dict)
    id: int = 0

    def covers(self, when: dt.datetime) -> bool:
        """Whether the change is in force at this moment."""
        return self.starts_at <= when and (self.ends_at is None or when < self.ends_at)

    def said(self, language: str) -> str:
        """The reason in this language, else in the first language it was given in ("" when none)."""
        return self.reason.get(language) or next(iter(self.reason.values()), "")


@dataclass(frozen=True)
class OpenState:
    is_open: bool
    holiday: str | None
    on_duty_until: dt.datetime | None = None  # development mode: agents put on duty whatever [hours] say (core.duty)
    closure: HoursChange | None = None  # the supervisor's closure in force, with its reason


class BusinessCalendar:
    """When agents answer, built from config.toml's [hours] and [holidays]."""

    def __init__(self, settings: Settings) -> None:
        self.zone = settings.timezone
        self.hours = settings.hours
        self.workdays = settings.workdays
        self.workday_ends = settings.workday_ends
        self._extra = settings.extra_holidays
        self._holidays = holidays_lib.country_holidays(settings.holiday_country, subdiv=settings.holiday_subdivision)
        self.on_duty_until: dt.datetime | None = None  # set from core.duty in development mode only
        self.changes: tuple[HoursChange, ...] = ()  # replaced whole by hours.cache when a supervisor changes hours

    def with_changes(self, changes: Sequence[HoursChange]) -> BusinessCalendar:
        """This calendar's changes replaced (one assignment, so a request in flight sees the old or the new set)."""
        self.changes = tuple(changes)
        return self

    def _of(self, kind: ChangeKind) -> list[HoursChange]:
        return [change for change in self.changes if change.kind is kind]

    def local(self, when: dt.datetime) -> dt.datetime:
        """The moment in the city's time zone."""
        return when.astimezone(self.zone)

    def holiday(self, day: dt.date) -> str | None:
        """The holiday's name on this date, if the city is closed for one."""
        added = self.added_holiday(day)
        if added is not None:
            return added.said("") or "a holiday"
        return self._extra.get(day) or self._holidays.get(day)

    def added_holiday(self, day: dt.date) -> HoursChange | None:
        """The holiday a supervisor added on this date (None if none)."""
        return next((c for c in self._of(ChangeKind.HOLIDAY) if self.local(c.starts_at).date() == day), None)

    def is_business_day(self, day: dt.date) -> bool:
        """Whether this date counts towards service-level agreements: a working weekday that is no holiday."""
        return day.weekday() in self.workdays and self.holiday(day) is None

    def spans(self, day: dt.date) -> list[tuple[dt.datetime, dt.datetime]]:
        """When agents answer on this local date, as (opening, closing) pairs in order, with changes applied."""
        start = dt.datetime.combine(day, dt.time(0), tzinfo=self.zone)
        end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), tzinfo=self.zone)
        regular = self.regular_opening(day)
        pieces = [regular] if regular else []
        for change in self._of(ChangeKind.OPEN):
            opens, closes = max(change.starts_at, start), min(change.ends_at or end, end)
            if opens < closes:
                pieces.append((opens.astimezone(self.zone), closes.astimezone(self.zone)))
        merged: list[tuple[dt.datetime, dt.datetime]] = []
        for opens, closes in sorted(pieces):
            if merged and opens <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(merged[-1][1], closes))
            else:
                merged.append((opens, closes))
        for change in self._of(ChangeKind.CLOSE):
            merged = [piece for span in merged for piece in _minus(span, change.starts_at, change.ends_at)]
        return merged

    def opening(self, day: dt.date) -> tuple[dt.datetime, dt.datetime] | None:
        """When agents answer on this local date (first opening, last closing), or None when closed all day."""
        spans = self.spans(day)
        return (spans[0][0], spans[-1][1]) if spans else None

    def regular_opening(self, day: dt.date) -> tuple[dt.datetime, dt.datetime] | None:
        """config.toml's hours on this local date (opening, closing), holidays applied, or None when closed all day."""
        span = self.hours.get(day.weekday())
        if span is None or self.holiday(day) is not None:
            return None
        opens = dt.datetime.combine(day, span[0], tzinfo=self.zone)
        if span[1] == dt.time.max:  # "24:00": the end of the day
            closes = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), tzinfo=self.zone)
        else:
            closes = dt.datetime.combine(day, span[1], tzinfo=self.zone)
        return opens, closes

    def next_open(self, when: dt.datetime, *, days: int = 14) -> dt.datetime | None:
        """`when` itself if agents answer then, else the next opening within `days` (None if there is none)."""
        if self._forced(when):
            return when
        local = self.local(when)
        for offset in range(days + 1):
            for opens, closes in self.spans(local.date() + dt.timedelta(days=offset)):
                if local < closes:
                    return max(opens, local).astimezone(when.tzinfo or dt.UTC)
        return None

    def state(self, when: dt.datetime) -> OpenState:
        """Whether agents are answering at this moment, and the holiday if that is why not."""
        if self._forced(when):
            return OpenState(is_open=True, holiday=None, on_duty_until=self.on_duty_until)
        local = self.local(when)
        closure = next((change for change in self._of(ChangeKind.CLOSE) if change.covers(when)), None)
        if closure is not None:
            return OpenState(is_open=False, holiday=None, closure=closure)
        is_open = any(opens <= local < closes for opens, closes in self.spans(local.date()))
        return OpenState(is_open=is_open, holiday=None if is_open else self.holiday(local.date()))

    def _forced(self, when: dt.datetime) -> bool:
        return self.on_duty_until is not None and when < self.on_duty_until


def _minus(span: tuple[dt.datetime, dt.datetime], start: dt.datetime, end: dt.datetime | None):
    """The parts of span outside [start, end) (end None: for ever)."""
    opens, closes = span
    if end is not None and end <= opens or start >= closes:
        return [span]
    parts = []
    if start > opens:
        parts.append((opens, start.astimezone(opens.tzinfo)))
    if end is not None and end < closes:
        parts.append((end.astimezone(opens.tzinfo), closes))
    return parts
