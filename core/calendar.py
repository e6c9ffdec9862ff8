"""The city's business calendar: agent hours, holidays, and which days count towards service levels."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import holidays as holidays_lib

from settings import Settings


@dataclass(frozen=True)
class OpenState:
    is_open: bool
    holiday: str | None
    on_duty_until: dt.datetime | None = None  # development mode: agents put on duty whatever [hours] say (core.duty)


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

    def local(self, when: dt.datetime) -> dt.datetime:
        """The moment in the city's time zone."""
        return when.astimezone(self.zone)

    def holiday(self, day: dt.date) -> str | None:
        """The holiday's name on this date, if the city is closed for one."""
        return self._extra.get(day) or self._holidays.get(day)

    def is_business_day(self, day: dt.date) -> bool:
        """Whether this date counts towards service-level agreements: a working weekday that is no holiday."""
        return day.weekday() in self.workdays and self.holiday(day) is None

    def opening(self, day: dt.date) -> tuple[dt.datetime, dt.datetime] | None:
        """When agents answer on this local date (opening, closing), or None when closed all day."""
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
            span = self.opening(local.date() + dt.timedelta(days=offset))
            if span is None:
                continue
            opens, closes = span
            if local < closes:
                return max(opens, local).astimezone(when.tzinfo or dt.UTC)
        return None

    def state(self, when: dt.datetime) -> OpenState:
        """Whether agents are answering at this moment, and the holiday if that is why not."""
        if self._forced(when):
            return OpenState(is_open=True, holiday=None, on_duty_until=self.on_duty_until)
        local = self.local(when)
        name = self.holiday(local.date())
        span = self.hours.get(local.weekday())
        is_open = name is None and span is not None and span[0] <= local.time() < span[1]
        return OpenState(is_open=is_open, holiday=name)

    def _forced(self, when: dt.datetime) -> bool:
        return self.on_duty_until is not None and when < self.on_duty_until
