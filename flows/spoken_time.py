"""Hours and dates in words, as a resident hears or reads them, in their language."""

from __future__ import annotations

import datetime as dt

from core.calendar import BusinessCalendar


def describe_hours(calendar: BusinessCalendar, wording, language: str) -> str:
    """Agent hours in words, grouping days with the same hours: "Monday through Friday from 8 a.m. to 6 p.m."."""
    days = [d.strip() for d in wording(language, "days").split(",")]
    spans: list[tuple[list[int], tuple[dt.time, dt.time]]] = []
    for day in range(7):
        span = calendar.hours.get(day)
        if span is None:
            continue
        if spans and spans[-1][1] == span and spans[-1][0][-1] == day - 1:
            spans[-1][0].append(day)
        else:
            spans.append(([day], span))
    parts = []
    for group, (opens, closes) in spans:
        names = (
            days[group[0]]
            if len(group) == 1
            else wording(language, "day_range", first=days[group[0]], last=days[group[-1]])
        )
        parts.append(
            wording(
                language,
                "hours_span",
                days=names,
                opens=_time(opens, wording, language),
                closes=_time(closes, wording, language),
            )
        )
    if len(parts) > 1:
        return ", ".join(parts[:-1]) + f" {wording(language, 'list_and')} " + parts[-1]
    return parts[0] if parts else ""


def agent_hours_sentence(calendar: BusinessCalendar, wording, language: str, key: str) -> str:
    """The sentence saying when agents answer (wording `key`), or that the line has no agent hours at all."""
    hours = describe_hours(calendar, wording, language)
    return wording(language, key, hours=hours) if hours else wording(language, "no_agent_hours")


def _time(value: dt.time, wording, language: str) -> str:
    if value == dt.time.max or value == dt.time(0, 0):
        return wording(language, "time_midnight")
    if value == dt.time(12, 0):
        return wording(language, "time_noon")
    hour = value.hour % 12 or 12
    text = f"{hour}" if value.minute == 0 else f"{hour}:{value.minute:02d}"
    key = "time_morning" if value.hour < 12 else "time_afternoon" if value.hour < 18 else "time_evening"
    return wording(language, key, time=text)


def spoken_date(when: dt.datetime, zone, wording, language: str) -> str:
    """A date as a resident hears it: "Thursday, December 3" or "jueves 3 de diciembre"."""
    local = when.astimezone(zone) if zone else when
    days = [d.strip() for d in wording(language, "days").split(",")]
    months = [m.strip() for m in wording(language, "months").split(",")]
    return wording(language, "date_format", weekday=days[local.weekday()], month=months[local.month - 1], day=local.day)


def spoken_when(when: dt.datetime, now: dt.datetime, zone, wording, language: str) -> str:
    """A moment as a resident hears it: "today at 3 p.m.", "tomorrow at 9 a.m.", "Thursday, December 3 at 9:30 a.m."."""
    local, today = when.astimezone(zone), now.astimezone(zone).date()
    time = _time(local.time(), wording, language)
    # "at 1 p.m." but "a la 1", "a las 9", "al mediodía": the preposition follows the hour in some languages.
    at = "when_at_noon" if local.time() == dt.time(12, 0) else "when_at_one" if local.hour % 12 == 1 else "when_at"
    values = {"time": time, "at": wording(language, at)}
    if local.date() == today:
        return wording(language, "when_today", **values)
    if local.date() == today + dt.timedelta(days=1):
        return wording(language, "when_tomorrow", **values)
    return wording(language, "when_day", date=spoken_date(local, zone, wording, language), **values)
