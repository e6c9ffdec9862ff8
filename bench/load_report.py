"""bench/load.py's output: the progress bar, the tables, the memory report, load.csv and a small SVG chart."""

from __future__ import annotations

import csv
import html
import math
import os
import platform
import re
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

KINDS = ("call start", "speech", "keys", "other voice", "call status", "text")
GROWTH_FLAG = 1.5  # memory at the end above 1.5x the start (and 30 MB more) is flagged
GROWTH_MB = 30
GOAL_MS = 100  # issue 19: 750 webhooks a second at p99 under 100 ms


@dataclass
class StepResult:
    """One rate: what our server and the bare endpoint measured, the load generator's CPU, memory after it."""

    rate: float
    ours: object  # load.Stats
    bare: object
    client_cpu: float
    memory: dict[str, float]
    server_ms: float = math.nan  # server CPU per request, all our processes (PostgreSQL's is database_ms)
    web_ms: float = math.nan  # of which the web processes'
    bare_ms: float = math.nan
    database_ms: float = math.nan  # PostgreSQL's on this machine per request (nan: SQLite, inside ours, or elsewhere)
    client_ms: float = math.nan  # the load generator's per request: it shares the cores

    @property
    def box_ms(self) -> float:
        """CPU per request of everything the run needs on this machine: ours, PostgreSQL's here, the generator's."""
        return self.server_ms + _or_zero(self.database_ms) + _or_zero(self.client_ms)


def _or_zero(value: float) -> float:
    return 0.0 if math.isnan(value) else value


@dataclass
class Run:
    """The whole run: the scenario mix, each step, memory at the start and the end."""

    mix: list[tuple[str, float, int]]
    dropped: list[str]
    steps: list[StepResult] = field(default_factory=list)
    memory_start: dict[str, float] = field(default_factory=dict)
    memory_end: dict[str, float] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        """Every step ran without an error (a status, a lost connection, a wrong or late answer, a resident cut off
        or never started)."""
        return bool(self.steps) and all(not (s.ours.errors or s.ours.failed_sessions or s.ours.reasons)
                                        for s in self.steps)


def cuts(samples: list[float]) -> tuple[float, float, float]:
    """p50, p95, p99 in milliseconds (nan when there are too few samples)."""
    if len(samples) < 2:
        return (samples[0] * 1e3,) * 3 if samples else (math.nan,) * 3
    points = statistics.quantiles(samples, n=100, method="inclusive")
    return points[49] * 1e3, points[94] * 1e3, points[98] * 1e3


def elapsed(stats) -> float:
    """The measured window's length in seconds."""
    return stats.window[1] - stats.window[0]


def rows(result: StepResult) -> list[tuple]:
    """(name, requests, req/s, p50, p95, p99, errors) for each webhook kind, all of ours, and the bare endpoint."""
    ours, bare = result.ours, result.bare
    out = []
    for kind in [*KINDS, *sorted(set(ours.latency) - set(KINDS))]:
        if ours.latency.get(kind):
            samples = ours.latency[kind]
            out.append((kind, len(samples), len(samples) / elapsed(ours), *cuts(samples), ours.errors[kind]))
    every = sum(ours.latency.values(), [])
    out.append(("all webhooks", len(every), len(every) / elapsed(ours), *cuts(every), sum(ours.errors.values())))
    plain = sum(bare.latency.values(), [])
    out.append(("bare Starlette", len(plain), len(plain) / elapsed(bare), *cuts(plain), sum(bare.errors.values())))
    return out


class Progress:
    """One line redrawn in place: the step, a bar for its time, requests, errors and residents playing."""

    def __init__(self, steps: int):
        self.steps = steps
        self.tty = sys.stdout.isatty()
        self.last = 0.0

    def show(self, number: int, rate: float, seconds: float, what: str):
        """The callback a step calls as it goes."""

        def draw(done: float, stats, playing: int) -> None:
            now = time.monotonic()
            if now - self.last < (0.25 if self.tty else 5):
                return
            self.last = now
            filled = int(30 * min(1.0, done / seconds))
            errors = sum(stats.errors.values())
            line = (f"step {number}/{self.steps} {rate:>6g} req/s {what:<4} [{'#' * filled}{'.' * (30 - filled)}] "
                    f"{done:5.0f}/{seconds:g} s  {stats.requests:>7} requests  {errors:>4} errors  "
                    f"{playing:>5} playing")
            print(f"\r{line}" if self.tty else line, end="" if self.tty else "\n", flush=True)

        return draw

    def done(self) -> None:
        """End the redrawn line."""
        if self.tty:
            print()


def describe(args) -> None:
    """The machine, its load and what is measured."""
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    target = args.url or ("run.py --web " + str(args.web) if args.web else "run.py (one web process per core)")
    data = "PostgreSQL + Redis" if os.environ.get("DATABASE_URL") and os.environ.get("REDIS_URL") else "embedded"
    print(f"Python {platform.python_version()} on {platform.platform()}, {os.cpu_count()} CPUs, load average {load}")
    steps = ", ".join(f"{r:g}" for r in args.rates)
    print(f"target: {target}" + ("" if args.url else f" on {data}") + f"; steps {steps} req/s,"
          f" {args.seconds:g} s each (bare endpoint {args.bare_seconds:g} s); residents pause {args.think:g} s "
          "on average before each step")


def print_mix(run: Run, per_session: float) -> None:
    """The scenarios played and their shares."""
    total = sum(weight for _, weight, _ in run.mix)
    print(f"mix ({per_session:.1f} webhooks a resident on average):")
    for name, weight, webhooks in run.mix:
        print(f"  {weight / total:5.1%}  {name} ({webhooks} webhooks)")
    for reason in run.dropped:
        print(f"  left out (it fails on this server now): {reason}")


def print_step(result: StepResult) -> None:
    """The step's table."""
    print(f"\n{result.rate:g} req/s offered; load generator CPU {result.client_cpu:.0%} of one core"
          + (" (near its limit: these figures are partly the client's)" if result.client_cpu > 0.8 else ""))
    print(f"  {'webhook':<16}{'requests':>9}{'req/s':>8}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'errors':>8}")
    for name, count, rate, p50, p95, p99, errors in rows(result):
        print(f"  {name:<16}{count:>9}{rate:>8.1f}{p50:>9.1f}{p95:>9.1f}{p99:>9.1f}{errors:>8}")
    ours, bare = rows(result)[-2], rows(result)[-1]
    if bare[5] and not math.isnan(bare[5]):
        print(f"  ours/bare at this rate: p50 {ours[3] / bare[3]:.1f}x, p99 {ours[5] / bare[5]:.1f}x")
    if not math.isnan(result.server_ms):
        cores = os.cpu_count() or 1
        database = "" if math.isnan(result.database_ms) else f", PostgreSQL {result.database_ms:.1f} ms"
        print(f"  server CPU per webhook: ours {result.server_ms:.1f} ms (web processes {result.web_ms:.1f}, the rest "
              f"worker, cron, Redis){database}, the load generator {result.client_ms:.1f} ms, bare "
              f"{result.bare_ms:.2f} ms; on {cores} idle cores all of ours together is at most "
              f"{cores * 1e3 / result.box_ms:.0f} webhooks a second (our processes alone "
              f"{cores * 1e3 / result.server_ms:.0f}), {cores * 1e3 / result.bare_ms:.0f} for bare")
    sessions, failed = sum(result.ours.sessions.values()), sum(result.ours.failed_sessions.values())
    print(f"  residents: {sessions} played, {failed} failed" + (f" (first: {result.ours.first_failure})"
                                                               if failed else ""))
    reasons = {**result.ours.reasons}
    if reasons:
        print("  errors: " + ", ".join(f"{count} {why}" for why, count in sorted(reasons.items())))


def print_memory(run: Run) -> None:
    """Memory of each server process at the start and the end; growth past the flag is named."""
    if not run.memory_start:
        print("\nmemory: not measured (a server started elsewhere)")
        return
    print("\nmemory (RSS MB)    start      end")
    for name in sorted(set(run.memory_start) | set(run.memory_end)):
        start, end = run.memory_start.get(name, math.nan), run.memory_end.get(name, math.nan)
        flag = "  GROWTH" if end > start * GROWTH_FLAG and end - start > GROWTH_MB else ""
        print(f"  {name:<14}{start:>9.0f}{end:>9.0f}{flag}")


def write_csv(run: Run, path: Path) -> None:
    """One row per step and webhook kind (and the bare endpoint), then memory per process."""
    with path.open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["offered_req_s", "webhook", "requests", "req_s", "p50_ms", "p95_ms", "p99_ms", "errors"])
        for result in run.steps:
            for name, count, rate, p50, p95, p99, errors in rows(result):
                writer.writerow([f"{result.rate:g}", name, count, f"{rate:.1f}", f"{p50:.2f}", f"{p95:.2f}",
                                 f"{p99:.2f}", errors])
        writer.writerow([])
        writer.writerow(["offered_req_s", "server_cpu_ms_per_request", "web_cpu_ms_per_request",
                         "bare_cpu_ms_per_request", "client_cpu_share", "database_cpu_ms_per_request",
                         "client_cpu_ms_per_request"])
        for result in run.steps:
            writer.writerow([f"{result.rate:g}", f"{result.server_ms:.2f}", f"{result.web_ms:.2f}",
                             f"{result.bare_ms:.3f}", f"{result.client_cpu:.2f}", f"{result.database_ms:.2f}",
                             f"{result.client_ms:.2f}"])
        writer.writerow([])
        writer.writerow(["process", "rss_mb_start", "rss_mb_end"])
        for name in sorted(set(run.memory_start) | set(run.memory_end)):
            writer.writerow([name, f"{run.memory_start.get(name, math.nan):.1f}",
                             f"{run.memory_end.get(name, math.nan):.1f}"])


def write_svg(run: Run, path: Path) -> None:
    """p50 and p99 of all our webhooks and of the bare endpoint against the offered rate, on a log scale."""
    width, height, left, right, top, bottom = 640, 360, 64, 170, 40, 48
    series = {"ours p99": ("#c0392b", 5), "ours p50": ("#e59866", 3), "bare p99": ("#1f618d", 5),
              "bare p50": ("#7fb3d5", 3)}
    points: dict[str, list[tuple[float, float]]] = {name: [] for name in series}
    for result in run.steps:
        ours, bare = rows(result)[-2], rows(result)[-1]
        for name, row in (("ours", ours), ("bare", bare)):
            for label, index in (("p99", 5), ("p50", 3)):
                if not math.isnan(row[index]):
                    points[f"{name} {label}"].append((result.rate, max(row[index], 0.1)))
    rates = [r.rate for r in run.steps] or [1]
    values = [v for line in points.values() for _, v in line] or [1]
    low, high = 10 ** math.floor(math.log10(min(values))), 10 ** math.ceil(math.log10(max(values)))
    low, high = min(low, GOAL_MS / 10), max(high, low * 10, GOAL_MS * 10)
    plot_w, plot_h = width - left - right, height - top - bottom
    x_max = max(rates) * 1.05

    def x(rate: float) -> float:
        return left + plot_w * rate / x_max

    def y(value: float) -> float:
        return top + plot_h * (1 - (math.log10(value) - math.log10(low)) / (math.log10(high) - math.log10(low)))

    title = "Webhook latency under load: OneCall 311 and a bare Starlette endpoint"
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" role="img" aria-labelledby="t d" font-family="sans-serif" '
             'font-size="12">', f'<title id="t">{html.escape(title)}</title>',
             f'<desc id="d">{html.escape(describe_points(run))}</desc>',
             f'<rect width="{width}" height="{height}" fill="white"/>',
             f'<text x="{left}" y="22" font-size="14" font-weight="bold">{html.escape(title)}</text>']
    decade = low
    while decade <= high:
        parts.append(f'<line x1="{left}" x2="{left + plot_w}" y1="{y(decade):.1f}" y2="{y(decade):.1f}" '
                     'stroke="#ddd"/>')
        parts.append(f'<text x="{left - 6}" y="{y(decade) + 4:.1f}" text-anchor="end">{decade:g}</text>')
        decade *= 10
    if low <= GOAL_MS <= high:
        parts.append(f'<line x1="{left}" x2="{left + plot_w}" y1="{y(GOAL_MS):.1f}" y2="{y(GOAL_MS):.1f}" '
                     'stroke="#27ae60" stroke-dasharray="6 4"/>')
        parts.append(f'<text x="{left + 6}" y="{y(GOAL_MS) + 14:.1f}" fill="#1e8449">'
                     f'goal: p99 under {GOAL_MS:g} ms</text>')
    for rate in rates:
        parts.append(f'<text x="{x(rate):.1f}" y="{top + plot_h + 16}" text-anchor="middle">{rate:g}</text>')
    parts.append(f'<line x1="{left}" x2="{left + plot_w}" y1="{top + plot_h}" y2="{top + plot_h}" stroke="#333"/>')
    parts.append(f'<line x1="{left}" x2="{left}" y1="{top}" y2="{top + plot_h}" stroke="#333"/>')
    parts.append(f'<text x="{left + plot_w / 2}" y="{height - 10}" text-anchor="middle">offered webhook requests a '
                 'second</text>')
    parts.append(f'<text transform="translate(16 {top + plot_h / 2}) rotate(-90)" text-anchor="middle">latency, '
                 'ms (log scale)</text>')
    for number, (name, (colour, stroke)) in enumerate(series.items()):
        line = points[name]
        if line:
            path_data = " ".join(f"{x(r):.1f},{y(v):.1f}" for r, v in line)
            parts.append(f'<polyline points="{path_data}" fill="none" stroke="{colour}" '
                         f'stroke-width="{stroke / 1.5}"/>')
            for r, v in line:
                parts.append(f'<circle cx="{x(r):.1f}" cy="{y(v):.1f}" r="3" fill="{colour}"><title>{name} at {r:g} '
                             f'req/s: {v:.1f} ms</title></circle>')
        ly = top + 10 + number * 20
        parts.append(f'<line x1="{width - right + 16}" x2="{width - right + 40}" y1="{ly}" y2="{ly}" '
                     f'stroke="{colour}" stroke-width="{stroke / 1.5}"/>')
        parts.append(f'<text x="{width - right + 46}" y="{ly + 4}">{name}</text>')
    errors = [sum(r.ours.errors.values()) for r in run.steps]
    parts.append(f'<text x="{width - right + 16}" y="{top + 110}">errors per step:</text>')
    parts.append(f'<text x="{width - right + 16}" y="{top + 126}">{html.escape(", ".join(map(str, errors)))}</text>')
    parts.append("</svg>")
    path.write_text("\n".join(parts) + "\n")


def describe_points(run: Run) -> str:
    """The chart's figures in words, for a screen reader."""
    said = []
    for result in run.steps:
        ours, bare = rows(result)[-2], rows(result)[-1]
        said.append(f"at {result.rate:g} requests a second, ours p50 {ours[3]:.0f} ms, p99 {ours[5]:.0f} ms, "
                    f"{ours[6]} errors; bare p50 {bare[3]:.0f} ms, p99 {bare[5]:.0f} ms")
    return re.sub(r"\s+", " ", "; ".join(said)) or "no steps were measured"
