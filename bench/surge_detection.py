"""How fast does surge detection raise a spike, and how often does it cry wolf? Synthetic Poisson traffic.

Run from the repo root: `.venv/bin/python bench/surge_detection.py [--seed N] [--days N] [--storms N]`. Fixed seeds:
the figures are reproducible. The detector is alerts.spikes.detect with config.toml's [alerts], evaluated every 30 s
as the cron runs it (console.watch), on contacts generated here:

  Ordinary days   20 keys with usual rates from 0.5 to 6 contacts an hour (the history is the day before, so each
                  key's usual rate is learnt as in service), 12 open hours a day. Every alert raised is a false alarm.
  Storms          one key (usual 1 an hour, or 6 an hour) suddenly at 14 contacts in 10 minutes (the issue's example:
                  "14 callers about no water in 10 minutes where 1 is usual"), or at 30 in 10 minutes, on top of the
                  ordinary traffic; the delay is from the storm's first contact to the evaluation that raised it.
                  Arrivals are Poisson at a steady storm rate (a real break is front-loaded: faster than this), or
                  "even": exactly evenly spread over the 10 minutes, the hardest case for the 2-minute goal.

Printed: false alarms per day over all keys, and per storm kind the share of storms detected within 2 and 10
minutes and the median and 90th-percentile delay.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import random
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from alerts.spikes import Contact, detect  # noqa: E402
from settings import ROOT  # noqa: E402
from settings.config import read_config_file  # noqa: E402

STEP = dt.timedelta(seconds=30)
START = dt.datetime(2026, 11, 17, 14, 0, tzinfo=dt.UTC)
RATES = [0.5 + 5.5 * i / 19 for i in range(20)]  # usual contacts an hour, per key
OPEN_HOURS = 12  # the day before's hours with contacts: what console.watch passes as open_hours


def poisson_times(rng: random.Random, per_hour: float, start: dt.datetime, hours: float) -> list[dt.datetime]:
    """Arrival times of a Poisson process over `hours` from `start`."""
    times, at = [], 0.0
    while True:
        at += rng.expovariate(per_hour / 3600)
        if at >= hours * 3600:
            return times
        times.append(start + dt.timedelta(seconds=at))


def history(rng: random.Random) -> dict[str, int]:
    """Each key's contacts over the day before (12 open hours of them): the baseline detect() reads."""
    return {f"k{i}": len(poisson_times(rng, rate, START, 12)) for i, rate in enumerate(RATES)}


def run(contacts: list[Contact], known: dict[str, int], settings, start: dt.datetime, hours: float,
        watch: str | None = None) -> tuple[set[str], dt.datetime | None]:
    """Evaluate every 30 s over `hours`; the keys raised, and when `watch` was first raised."""
    contacts.sort(key=lambda c: c.at)
    raised, first, now, lo = set(), None, start, 0
    window = dt.timedelta(minutes=settings.surge_window_minutes)
    while now <= start + dt.timedelta(hours=hours):
        while lo < len(contacts) and contacts[lo].at <= now - window:
            lo += 1
        hi = lo
        while hi < len(contacts) and contacts[hi].at <= now:
            hi += 1
        for firing in detect(contacts[lo:hi], known, settings, now, open_hours=OPEN_HOURS):
            raised.add(firing.key)
            if firing.key == watch and first is None:
                first = now
        now += STEP
    return raised, first


def ordinary(rng: random.Random, start: dt.datetime, hours: float) -> list[Contact]:
    return [Contact(f"k{i}", f"topic {i}", at) for i, rate in enumerate(RATES)
            for at in poisson_times(rng, rate, start, hours)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--days", type=int, default=20)
    parser.add_argument("--storms", type=int, default=40)
    parser.add_argument("--min-count", type=int, help="surge_min_count instead of config.toml's")
    args = parser.parse_args()
    settings = read_config_file(ROOT / "config.toml").alerts
    if args.min_count:
        settings = dataclasses.replace(settings, surge_min_count=args.min_count)
    print(f"surge_min_count {settings.surge_min_count}, surge_p_value {settings.surge_p_value:g}, "
          f"surge_short_p_value {settings.surge_short_p_value:g}, "
          f"surge_usual_per_hour {settings.surge_usual_per_hour:g}")
    rng = random.Random(args.seed)

    false_alarms = 0
    for _ in range(args.days):
        raised, _ = run(ordinary(rng, START, 12), history(rng), settings, START, 12)
        false_alarms += len(raised)
    print(f"ordinary days: {args.days} x 12 h x {len(RATES)} keys (0.5-6 an hour): {false_alarms} false alarms "
          f"({false_alarms / args.days:.2f} a day)")

    print(f"{'storm':<41} {'within 2 min':>12} {'within 10 min':>13} {'median delay':>13} {'p90 delay':>10}")
    for usual, count, even in ((1.0, 14, True), (1.0, 14, False), (6.0, 14, False), (1.0, 30, False),
                               (6.0, 30, False)):
        delays = []
        for _ in range(args.storms):
            storm_start = START + dt.timedelta(minutes=30 + rng.random() * 5)
            contacts = ordinary(rng, START, 1)
            storm = ([storm_start + dt.timedelta(seconds=600 * i / count) for i in range(count)] if even
                     else poisson_times(rng, count * 6, storm_start, 1 / 6))
            contacts += [Contact("storm", "storm", at) for at in storm]
            contacts += [Contact("storm", "storm", at) for at in poisson_times(rng, usual, START, 1)]
            known = {**history(rng), "storm": round(usual * OPEN_HOURS)}
            _, first = run(contacts, known, settings, START, 1, watch="storm")
            arrivals = sorted(c.at for c in contacts if c.key == "storm" and c.at >= storm_start)
            if first is not None and arrivals:
                delays.append((first - arrivals[0]).total_seconds())
        within = sum(d <= 120 for d in delays) / args.storms
        within10 = sum(d <= 600 for d in delays) / args.storms
        median = f"{statistics.median(delays):.0f} s" if delays else "-"
        p90 = f"{sorted(delays)[int(len(delays) * 0.9) - 1]:.0f} s" if len(delays) >= 10 else "-"
        label = f"{count} in 10 min{' (even)' if even else ''}, usually {usual:g}/h"
        print(f"{label:<41} {within:>12.0%} {within10:>13.0%} {median:>13} {p90:>10}")


if __name__ == "__main__":
    main()
