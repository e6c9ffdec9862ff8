"""Development mode: whether agents are on duty now, in words, and putting them on duty from the browser phone."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from core import audit, duty
from core.calendar import BusinessCalendar
from core.context import AppContext
from core.db import run_db
from core.defaults import SIMULATOR_ON_DUTY_HOURS
from flows.spoken_time import agent_hours_sentence, spoken_when


@dataclass(frozen=True)
class Duty:
    """Agents on duty now or not, whether the browser phone put them there, and the sentence saying so."""

    on: bool
    put_on_duty: bool
    text: str


def describe(calendar: BusinessCalendar, wording, language: str, now: dt.datetime) -> Duty:
    """Whether agents answer at `now`, said for a developer: why, until when, or when they are next on duty."""
    state = calendar.state(now)
    zone = calendar.zone
    if state.on_duty_until is not None:
        until = spoken_when(state.on_duty_until, now, zone, wording, language)
        text = f"Agents are on duty until {until} (put on duty from this page); then config.toml [hours] apply again."
        return Duty(on=True, put_on_duty=True, text=text)
    if state.is_open:
        return Duty(on=True, put_on_duty=False, text="Agents are on duty now (config.toml [hours]).")
    why = f"a holiday, {state.holiday}" if state.holiday else "config.toml [hours]"
    hours = agent_hours_sentence(calendar, wording, language, "agent_hours")
    following = calendar.next_open(now)
    later = f" Next on duty {spoken_when(following, now, zone, wording, language)}." if following else ""
    text = f"Agents are off duty now ({why}): pressing 0 leads to the after-hours menu. {hours}{later}"
    return Duty(on=False, put_on_duty=False, text=text)


async def current(ctx) -> Duty:
    """The duty of agents now, as every process sees it (the override read from Redis)."""
    await duty.refresh(ctx.calendar, ctx.redis, dev_mode=ctx.settings.dev_mode)
    return describe(ctx.calendar, ctx.wording, ctx.settings.default_language.code, ctx.now())


async def put_on_duty(ctx: AppContext, *, actor: str) -> None:
    """Agents answer for the next few hours, in every process (development mode only; audited)."""
    now = ctx.now()
    until = now + dt.timedelta(hours=SIMULATOR_ON_DUTY_HOURS)
    await duty.put_on_duty(ctx.redis, until=until, now=now)
    after = {"on_duty_until": until.isoformat()}
    await run_db(ctx.engine, audit.record, actor=actor, action="agents.on_duty", subject="agents", after=after)


async def back_to_hours(ctx: AppContext, *, actor: str) -> None:
    """Agents answer by config.toml's [hours] again (audited)."""
    await duty.back_to_hours(ctx.redis)
    after = {"on_duty_until": None}
    await run_db(ctx.engine, audit.record, actor=actor, action="agents.on_duty", subject="agents", after=after)
