"""How accurate is the wait we tell callers? A SimPy call center, our estimator and the published baselines.

Run from the repo root: `.venv/bin/python bench/ewt_accuracy.py [--seed N] [--reps N] [--config-aht S]`. Fixed
seeds: the figures are reproducible (tune on other seeds than the default). Each scenario is simulated several hours,
several times, with 10 agents and a true mean handle time of 240 s; every caller hears a wait at entry, and we
score what they hear against the caller's actual wait. What is spoken is what counts: "about 4 to 7 minutes" is
scored by its midpoint, 5.5 minutes, "about 2 minutes" as 2 minutes, "less than a minute" as 30 s (MAE over callers
who were answered), and every baseline's number is put into words the same way (a number with no spread) and scored
the same way. Our estimator is configured with 10 agents and 240 s unless --config-aht says otherwise (a robustness
check: the baselines keep the true figures). The wording steps (core/defaults.py) and the estimator's constants were
chosen on TUNING_SEEDS (1-6); the default seed is held out, so its figures are out of sample.

Baselines, all announced at entry:
  QL-true   place x true mean handle time / configured agents (Ibrahim & Whitt's QL with the true rates; in
            scenario 3 it keeps assuming 10 agents after half have left, as a staffing plan would)
  LES       the wait of the caller most recently answered (last to enter service)
  Asterisk  app_queue's holdtime: (3*old + new)/4 over answered callers' waits
  Twilio    AvgQueueTime: the mean time the callers now in queue have waited so far
Before any caller is answered, LES and Asterisk say what QL-true says.

Also printed: each method's own number before it is put into words ("own"), the share of answered callers whose wait
fell inside what the words cover ("in range": a range as said, "about N" one step either side, "less than a minute"
0 to 60 s), and of the callers told a wait under a minute ("about 30 seconds", "less than a minute"), the share who
then waited more than 3 minutes (a broken promise).
"""

from __future__ import annotations

import argparse
import math
import random
import sys
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

import simpy

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from queueing.estimator import (  # noqa: E402
    SHORT_WAIT,
    Estimate,
    EstimatorConfig,
    SpokenWait,
    WaitEstimator,
    spoken_range,
)

AGENTS, AHT = 10, 240.0
BASELINES = ("QL-true", "LES", "Asterisk", "Twilio")
METHODS = ("ours", *BASELINES)
LONG_WAIT = 180.0  # "less than a minute" followed by more than this is a broken promise
HOUR = 3600.0
TUNING_SEEDS = range(1, 7)  # constants are chosen on these; the default --seed is held out


@dataclass(frozen=True)
class Scenario:
    name: str
    load: float  # offered load per configured agent
    hours: float = 8.0
    surge: tuple[float, float, float] | None = None  # (start s, end s, arrival multiplier)
    leave_at: float | None = None  # time half the agents log off for good
    service: str = "exp"  # "exp" or "lognormal" (same mean, CV ~1.8)
    patience: float | None = None  # mean of exponential patience, seconds; None: nobody hangs up


SCENARIOS = (
    Scenario("1 steady M/M/10", load=0.9),
    Scenario("2 surge x3, 30 min", load=0.85, surge=(2 * HOUR, 2.5 * HOUR, 3.0)),
    Scenario("3 half agents leave", load=0.8, hours=6.0, leave_at=3 * HOUR),
    Scenario("4 lognormal handle", load=0.9, service="lognormal"),
    Scenario("5 abandonment", load=1.25, patience=480.0),
    # More surges, of other sizes and lengths, on other lines.
    Scenario("6 surge x2, 1 h", load=0.8, surge=(1.5 * HOUR, 2.5 * HOUR, 2.0)),
    Scenario("7 surge x4, 15 min", load=0.85, surge=(3 * HOUR, 3.25 * HOUR, 4.0)),
    Scenario("8 surge, hang-ups", load=0.9, surge=(2 * HOUR, 2.75 * HOUR, 2.5), patience=300.0),
    Scenario("9 surge, lognormal", load=0.85, surge=(2 * HOUR, 2.5 * HOUR, 3.0), service="lognormal"),
)


@dataclass
class Caller:
    t_join: float
    said: dict = field(default_factory=dict)  # method -> announced seconds
    est: object = None  # our Estimate
    answered_at: float | None = None
    left_at: float | None = None


@dataclass
class Baselines:
    les: float | None = None
    asterisk: float | None = None

    def on_answer(self, waited: float) -> None:
        self.les = waited
        self.asterisk = waited if self.asterisk is None else (3.0 * self.asterisk + waited) / 4.0


class Center:
    """A FIFO queue, agents who take the head of the line, callers who may hang up."""

    def __init__(self, env: simpy.Environment, sc: Scenario, rng: random.Random, config_aht: float = AHT):
        self.env, self.sc, self.rng = env, sc, rng
        self.queue: deque[Caller] = deque()
        self.idle: deque[tuple[int, simpy.Event]] = deque()
        self.callers: list[Caller] = []
        self.est = WaitEstimator(EstimatorConfig(agents=AGENTS, handle_time=config_aht))
        self.base = Baselines()
        leaving = set(range(AGENTS // 2)) if sc.leave_at is not None else set()
        for i in range(AGENTS):
            env.process(self.agent(i, sc.leave_at if i in leaving else math.inf))
        if sc.leave_at is not None:
            env.process(self.log_off(leaving))
        env.process(self.arrivals())

    def handle_time(self) -> float:
        if self.sc.service == "lognormal":
            sigma = 1.2
            return self.rng.lognormvariate(math.log(AHT) - sigma * sigma / 2.0, sigma)
        return self.rng.expovariate(1.0 / AHT)

    def rate(self, t: float) -> float:
        lam = self.sc.load * AGENTS / AHT
        if self.sc.surge and self.sc.surge[0] <= t < self.sc.surge[1]:
            lam *= self.sc.surge[2]
        return lam

    def arrivals(self):
        # Thinning gives an exact piecewise-constant Poisson process across the surge boundaries.
        top = self.sc.load * AGENTS / AHT * (self.sc.surge[2] if self.sc.surge else 1.0)
        end = self.sc.hours * HOUR
        while True:
            yield self.env.timeout(self.rng.expovariate(top))
            if self.env.now >= end:
                return
            if self.rng.random() * top <= self.rate(self.env.now):
                self.arrive()

    def arrive(self) -> None:
        now, position = self.env.now, len(self.queue) + 1
        c = Caller(now)
        self.est.joined(now)
        c.est = self.est.estimate(position, now)
        fallback = position * AHT / AGENTS
        c.said = {
            "ours": c.est.seconds,
            "QL-true": fallback,
            "LES": fallback if self.base.les is None else self.base.les,
            "Asterisk": fallback if self.base.asterisk is None else self.base.asterisk,
            "Twilio": sum(now - w.t_join for w in self.queue) / len(self.queue) if self.queue else 0.0,
        }
        self.callers.append(c)
        if self.idle:
            _, ev = self.idle.popleft()
            ev.succeed(c)
        else:
            self.queue.append(c)
            if self.sc.patience:
                self.env.process(self.patience(c, self.rng.expovariate(1.0 / self.sc.patience)))

    def answer(self, c: Caller) -> None:
        c.answered_at = self.env.now
        waited = c.answered_at - c.t_join
        self.est.answered(self.env.now, waited)
        self.base.on_answer(waited)

    def patience(self, c: Caller, p: float):
        yield self.env.timeout(p)
        if c.answered_at is None:
            self.queue.remove(c)
            c.left_at = self.env.now
            self.est.abandoned(self.env.now, c.left_at - c.t_join)

    def agent(self, i: int, leave_at: float):
        while self.env.now < leave_at:
            if self.queue:
                c = self.queue.popleft()
            else:
                ev = self.env.event()
                self.idle.append((i, ev))
                c = yield ev
                if c is None:
                    return
            self.answer(c)
            yield self.env.timeout(self.handle_time())

    def log_off(self, leaving: set[int]):
        yield self.env.timeout(self.sc.leave_at)
        for item in [x for x in self.idle if x[0] in leaving]:
            self.idle.remove(item)
            item[1].succeed(None)


def simulate(sc: Scenario, seed: int, config_aht: float = AHT) -> list[Caller]:
    """One run of a scenario; returns every caller who arrived."""
    env = simpy.Environment()
    center = Center(env, sc, random.Random(seed), config_aht)
    env.run()
    return center.callers


def said(seconds: float) -> SpokenWait:
    """A baseline's number put into words the same way as ours: a number with no spread around it."""
    return spoken_range(Estimate(seconds, seconds, seconds, "baseline"))


def score(callers: list[Caller]) -> dict[str, float]:
    """Per method, the MAE of what is spoken and of its own number; our range coverage and broken promises."""
    answered = [c for c in callers if c.answered_at is not None]
    waits = [c.answered_at - c.t_join for c in answered]
    out: dict[str, float] = {}
    for m in METHODS:
        spoken = [spoken_range(c.est) if m == "ours" else said(c.said[m]) for c in answered]
        out[m] = sum(abs(h.midpoint - w) for h, w in zip(spoken, waits, strict=True)) / len(answered)
        out[f"{m} own"] = sum(abs(c.said[m] - w) for c, w in zip(answered, waits, strict=True)) / len(answered)
    ours = [spoken_range(c.est).span for c in answered]
    out["cover"] = sum(lo <= w <= hi for (lo, hi), w in zip(ours, waits, strict=True)) / len(answered)
    widths = [(hi - lo) / 60.0 for lo, hi in ours if hi > SHORT_WAIT]
    out["width"] = sum(widths) / len(widths) if widths else 0.0
    short = [c for c in callers if spoken_range(c.est).within_a_minute]
    broken = sum(1 for c in short if ((c.answered_at or c.left_at or math.inf) - c.t_join) > LONG_WAIT)
    out["short"] = len(short) / len(callers)
    out["broken"] = broken / len(short) if short else 0.0
    out["n"] = len(answered)
    out["abandoned"] = 1.0 - len(answered) / len(callers)
    return out


def run(seed: int, reps: int, config_aht: float = AHT) -> bool:
    """Simulate every scenario, print the table and the goal checks; True when every goal is met."""
    started = time.monotonic()
    print(
        f"EWT accuracy: MAE (s) of the wait spoken at entry (the midpoint of what the caller hears), over answered "
        f"callers. Seed {seed}, {reps} runs per scenario; estimator configured with {AGENTS} agents x "
        f"{config_aht:g} s (true mean handle time {AHT:g} s)."
    )
    if seed in TUNING_SEEDS:
        print(f"Seed {seed} is one the constants were chosen on (seeds {TUNING_SEEDS.start}-{TUNING_SEEDS.stop - 1}).")
    else:
        print(
            f"Held out: the constants were chosen on seeds {TUNING_SEEDS.start}-{TUNING_SEEDS.stop - 1}, never on "
            f"seed {seed}."
        )
    print(
        f"{'scenario':<22}{'answered':>9}{'ours':>7}"
        + "".join(f"{b:>9}" for b in BASELINES)
        + f"{'best base':>10}{'vs best':>8}{'ours own':>9}{'best own':>9}{'in range':>9}{'width':>7}"
        + f"{'<1min':>6}{'<1min>3m':>9}"
    )
    rows = []
    for i, sc in enumerate(SCENARIOS):
        m = score([c for r in range(reps) for c in simulate(sc, seed * 1000 + i * 100 + r, config_aht)])
        rows.append(m)
        best = min(BASELINES, key=lambda b: m[b])
        best_own = min(m[f"{b} own"] for b in BASELINES)
        print(
            f"{sc.name:<22}{m['n']:>9}{m['ours']:>7.1f}"
            + "".join(f"{m[b]:>9.1f}" for b in BASELINES)
            + f"{best:>10}{(m['ours'] / m[best] - 1) * 100:>+7.1f}%{m['ours own']:>9.1f}{best_own:>9.1f}"
            + f"{m['cover'] * 100:>8.1f}%{m['width']:>5.1f}mn{m['short'] * 100:>5.1f}%{m['broken'] * 100:>8.2f}%"
        )
    met = print_summary(rows)
    print(f"[{time.monotonic() - started:.0f} s]")
    return met


def print_summary(rows: list[dict[str, float]]) -> bool:
    """The averages and each goal of the spoken wait, checked; True when all are met."""
    n = len(rows)
    print(
        "columns: ours and the baselines = MAE of the midpoint of what is spoken; own = MAE of the method's own "
        "number before it is put into words (best own: the best baseline's); in range = answered callers whose wait "
        "fell inside what our words cover; width = its mean width when over a minute; <1min = share told under a "
        'minute ("about 30 seconds", "less than a minute"); <1min>3m = of those, share who then waited > 3 min'
    )
    avg = sum(r["ours"] for r in rows) / n
    base_avg = {b: sum(r[b] for r in rows) / n for b in BASELINES}
    best_base = min(base_avg, key=base_avg.get)
    per_scenario_best = sum(min(r[b] for b in BASELINES) for r in rows) / n
    print(
        f"average spoken MAE: ours {avg:.1f} s vs best baseline {best_base} {base_avg[best_base]:.1f} s "
        f"({(1 - avg / base_avg[best_base]) * 100:.1f}% better); vs the best baseline of each scenario "
        f"{per_scenario_best:.1f} s ({(1 - avg / per_scenario_best) * 100:.1f}% better)"
    )
    never_worse = [r["ours"] <= min(r[b] for b in BASELINES) for r in rows]
    marks = ", ".join(
        f"{sc.name.split()[0]} {'yes' if ok else 'NO'}" for sc, ok in zip(SCENARIOS, never_worse, strict=True)
    )
    worst_broken = max(r["broken"] for r in rows)
    lowest_cover = min(r["cover"] for r in rows)
    goals = [
        (
            "spoken MAE at least 10% below the best baseline on average",
            avg <= 0.9 * base_avg[best_base],
            f"{(1 - avg / base_avg[best_base]) * 100:.1f}% below {best_base}",
        ),
        (
            "never worse than the best baseline in any scenario",
            all(never_worse),
            marks,
        ),
        (
            'told under a minute ("about 30 seconds", "less than a minute") then waited > 3 min: under 2% everywhere',
            worst_broken < 0.02,
            f"worst {worst_broken * 100:.2f}%",
        ),
        (
            "actual wait inside the spoken range for at least 80% of callers in every scenario",
            lowest_cover >= 0.8,
            f"lowest {lowest_cover * 100:.1f}%",
        ),
    ]
    for name, ok, detail in goals:
        print(f"goal: {name}: {'MET' if ok else 'NOT MET'} ({detail})")
    met = all(ok for _, ok, _ in goals)
    print(f"all goals: {'MET' if met else 'NOT MET'}")
    return met


def main() -> None:
    """Parse the command line and run the benchmark."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=311, help="base seed (tune on others)")
    parser.add_argument("--reps", type=int, default=10, help="runs per scenario")
    parser.add_argument("--config-aht", type=float, default=AHT, help="handle time the estimator is configured with")
    args = parser.parse_args()
    run(args.seed, args.reps, args.config_aht)


if __name__ == "__main__":
    main()
