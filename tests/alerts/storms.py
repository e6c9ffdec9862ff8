"""Replays through the simulator's TwiML driver on the test's clock: a storm of callers on one topic, and an ordinary
day's callers spread over many topics, with the alert watch evaluated every 30 s of simulated time as cron runs it."""

from __future__ import annotations

import datetime as dt
import random

from sqlmodel import Session, select

from alerts.models import AlertEpisode
from console import watch
from core import write_behind
from core.worker import configure
from tests.simulator.phones import run

# What callers say, by the article it is answered with (each is answered directly, no confirm question).
ASKS = {
    "water-main-break": "water main break on my street",
    "pothole": "there is a pothole on my street",
    "library-hours": "library hours",
    "missed-trash-pickup": "my trash was not picked up",
    "streetlight-out": "the streetlight is out",
    "dog-license": "how do I get a dog license",
    "voter-registration": "how do I register to vote",
    "noise-complaint": "my neighbours are too loud at night",
}
# A real break: calls come fast at first, then keep coming (14 in 10 minutes, where about 1 an hour is usual).
STORM_OFFSETS = [10, 25, 45, 60, 80, 100, 130, 170, 220, 280, 350, 420, 500, 580]
# The example at its hardest: 14 callers spread evenly over 10 minutes (only 3 in the first 2 minutes).
EVEN_STORM_OFFSETS = [round(600 * i / 14) for i in range(14)]


def ask(phones, number: int, words: str) -> None:
    """One resident calls, picks English, asks, and hangs up after the answer."""
    call = phones.call(caller=f"+1312555{number:04d}")
    run(call.press("1"))
    run(call.say(words))
    run(call.hang_up())


def replay(phones, settings, redis, clock, arrivals: list[tuple[float, str]], *,
           until: float) -> list[tuple[float, str]]:
    """Play each (seconds from now, words) call at its time, evaluating the watch every 30 s; return (seconds, key)
    for every alert episode started, at the evaluation that started it."""
    ctx = configure(settings)
    start = clock.now
    raised: list[tuple[float, str]] = []
    pending = sorted(arrivals)
    tick, number = 0.0, 0
    while tick <= until:
        while pending and pending[0][0] <= tick:
            at, words = pending.pop(0)
            clock.now = start + dt.timedelta(seconds=at)
            number += 1
            ask(phones, number, words)
        clock.now = start + dt.timedelta(seconds=tick)
        write_behind.drain(ctx.engine, redis, consumer="tests")  # as the drain job does every second
        before = _started(ctx)
        watch.evaluate(ctx, redis)
        raised += [(tick, key) for key in _started(ctx) - before]
        tick += 30
    return raised


def _started(ctx) -> set[str]:
    with Session(ctx.engine) as session:
        return {f"{row.id}:{row.key}" for row in session.exec(select(AlertEpisode)).all()}


def ordinary_day(seed: int, hours: float, per_hour: float) -> list[tuple[float, str]]:
    """Calls at random (Poisson) times, on topics picked at random: what an ordinary stretch of a day sounds like."""
    rng, at, calls = random.Random(seed), 0.0, []
    while True:
        at += rng.expovariate(per_hour / 3600)
        if at >= hours * 3600:
            return calls
        calls.append((at, rng.choice(list(ASKS.values()))))
