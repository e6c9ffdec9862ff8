"""Load generator: whole scripted calls and texts through signed webhooks at rising open-loop rates, beside a bare
Starlette endpoint measured in the same run.

    .venv/bin/python bench/load.py [--rates 100,250,500,750] [--seconds 60] [--web N] [--url URL] [--quick]

Residents arrive at random (Poisson) at a rate that makes the asked-for webhook requests a second; each plays one of
the scenarios in scenarios/ (questions by speech and by key, a pothole report, ticket status, texts...) with the
simulator's TwiML driver, pausing `--think` seconds on average before each step, and every answer is checked as
`run.py scenarios run` checks it: a wrong answer counts as an error. Each resident has their own number and is marked
as a test run of their own (so reports at the scenarios' real addresses are never one another's duplicates; their
tickets stay out of the CRM outbox and the figures, as test traffic does). Without --url it starts `run.py --web N`
itself (PostgreSQL and Redis when DATABASE_URL / REDIS_URL are set, else the embedded defaults) in a temporary
folder; it only ever sends to this machine. Prints a table per step (p50/p95/p99 per webhook kind, errors), the
memory of each server process at the start and the end, and writes load.csv and load.svg to --out.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import itertools
import math
import os
import random
import re
import secrets
import shutil
import signal
import sys
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from twilio.request_validator import RequestValidator

ROOT = Path(__file__).resolve().parents[1]
BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(BENCH))

import load_report  # noqa: E402
from load_usage import cpu_seconds, database_cpu, memory, used_since  # noqa: E402
from servers import start_bare, start_ours, stop  # noqa: E402

from core import test_traffic  # noqa: E402
from simulator.scenarios import LiveStage, Scenario, Service, load, run_one  # noqa: E402
from simulator.target import signing_base, url_problem  # noqa: E402
from simulator.transport import IDEMPOTENCY_HEADER, DriverError  # noqa: E402

NUMBER = "+15555550311"
ACCOUNT_SID = "AC" + "0" * 32
TIMEOUT_SECONDS = 30  # an answer not begun by then is lost
TWILIO_GIVES_UP = 15  # seconds: Twilio's webhook timeout, so a slower answer is an error, whatever it said
SATURATED = 0.5  # a step answering less than half the offered rate ends the run: higher rates would only pile up
DRAIN_SECONDS = 60  # after a step, sessions still playing get this long to finish before they are cut off
# How often each scenario (by file) comes up; Spanish a quarter as often as English. A resident mostly asks.
WEIGHTS = {"question-by-speech": 6, "question-by-key": 3, "texts": 2, "report-a-problem": 2, "ticket-status": 1,
           "emergency": 1, "callback-keep-my-place": 1}
SPANISH_SHARE = 0.25


# ----- measuring


def kind_of(path: str, form: dict[str, str]) -> str:
    """The webhook kind a request is counted under."""
    if path.startswith("/sms/"):
        return "text"
    if path.startswith("/voice/incoming"):
        return "call start"
    if path.startswith("/voice/status"):
        return "call status"
    if "SpeechResult" in form:
        return "speech"
    if "Digits" in form:
        return "keys"
    return "other voice"


@dataclass
class Stats:
    """What one step measured: latency per webhook kind, errors by kind and reason, sessions played."""

    window: tuple[float, float] = (0.0, math.inf)  # requests started in it count (monotonic times)
    latency: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: Counter = field(default_factory=Counter)
    reasons: Counter = field(default_factory=Counter)
    sessions: Counter = field(default_factory=Counter)
    failed_sessions: Counter = field(default_factory=Counter)
    first_failure: str = ""
    answered: int = 0  # every request of the step, in the window or not (for CPU per request)

    def add(self, kind: str, started: float, seconds: float, error: str) -> None:
        """One request's latency, and its error if it failed, when it started in the measured window."""
        self.answered += 1
        if not self.window[0] <= started < self.window[1]:
            return
        self.latency[kind].append(seconds)
        if error:
            self.errors[kind] += 1
            self.reasons[error] += 1

    @property
    def requests(self) -> int:
        """Requests measured."""
        return sum(len(samples) for samples in self.latency.values())


class Pool:
    """Keep-alive HTTP/1.1 connections to one server, at most `limit` open; a request waits for a free one.

    A connection idle longer than IDLE_SECONDS is closed rather than reused (the server closes idle ones after its
    keep-alive, 5 s by default), and a reused one that fails before any answer is retried once on a new connection,
    as an HTTP client does: neither is the server's error.
    """

    IDLE_SECONDS = 3.0

    def __init__(self, host: str, port: int, limit: int):
        self.host, self.port = host, port
        self.idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter, float]] = []
        self.free = asyncio.Semaphore(limit)

    def _reusable(self):
        while self.idle:
            reader, writer, since = self.idle.pop()
            if time.monotonic() - since < self.IDLE_SECONDS and not writer.is_closing():
                return reader, writer
            writer.close()
        return None

    async def post(self, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, str]:
        """POST and read the whole answer; a connection that failed or said close is not reused."""
        async with self.free:
            connection = self._reusable()
            if connection is not None:
                try:
                    return await self._send(connection, path, body, headers)
                except (ConnectionError, asyncio.IncompleteReadError) as exc:
                    if isinstance(exc, asyncio.IncompleteReadError) and exc.partial:
                        raise  # the server began to answer: a real failure
            connection = await asyncio.open_connection(self.host, self.port)
            return await self._send(connection, path, body, headers)

    async def _send(self, connection, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, str]:
        try:
            status, text, keep = await asyncio.wait_for(self._exchange(connection, path, body, headers),
                                                        TIMEOUT_SECONDS)
        except BaseException:
            connection[1].close()
            raise
        if keep:
            self.idle.append((*connection, time.monotonic()))
        else:
            connection[1].close()
        return status, text

    async def _exchange(self, connection, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, str, bool]:
        reader, writer = connection
        head = f"POST {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\nContent-Length: {len(body)}\r\n"
        head += "".join(f"{name}: {value}\r\n" for name, value in headers.items())
        writer.write(head.encode() + b"\r\n" + body)
        raw = await reader.readuntil(b"\r\n\r\n")
        status = int(raw[9:12])
        lines = raw.decode("latin-1").lower().split("\r\n")
        fields = dict(line.split(": ", 1) for line in lines[1:] if ": " in line)
        if fields.get("transfer-encoding") == "chunked":
            content = b""
            while size := int((await reader.readuntil(b"\r\n")).strip(), 16):
                content += (await reader.readexactly(size + 2))[:-2]
            await reader.readuntil(b"\r\n")
        else:
            content = await reader.readexactly(int(fields.get("content-length", "0")))
        return status, content.decode(errors="replace"), fields.get("connection") != "close"

    def close(self) -> None:
        """Close every idle connection."""
        for _, writer, _ in self.idle:
            writer.close()
        self.idle.clear()


@dataclass
class ResidentTransport:
    """One resident's share of the measured transport: every webhook marked as their own test run."""

    shared: MeasuredTransport
    run: str

    async def post(self, url_or_path: str, form: dict[str, str]) -> tuple[int, str]:
        """Send as the shared transport does, with this resident's mark."""
        return await self.shared.post(url_or_path, form, self.run)


class MeasuredTransport:
    """The simulator's Transport: each form signed as Twilio signs it, sent on the pool, timed by webhook kind."""

    def __init__(self, pool: Pool, auth_token: str, public_base_url: str, stats: Stats):
        self.pool = pool
        self.auth_token = auth_token
        self.validator = RequestValidator(auth_token)
        self.public = public_base_url.rstrip("/")
        self.stats = stats

    async def post(self, url_or_path: str, form: dict[str, str], run: str | None = None) -> tuple[int, str]:
        """Sign, send and time one webhook (marked as test run `run`'s, if given); an HTTP error or a lost connection
        counts as that kind's error."""
        parts = urlsplit(url_or_path)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Twilio-Signature": self.validator.compute_signature(f"{self.public}{path}", form),
            IDEMPOTENCY_HEADER: secrets.token_hex(16),
        }
        if run is not None:
            mark = test_traffic.TrafficMark(run)  # the real time: only the run is the resident's own
            headers[test_traffic.HEADER] = test_traffic.header_value(self.auth_token, headers["X-Twilio-Signature"],
                                                                     mark)
        kind, started = kind_of(path, form), time.monotonic()
        try:
            status, text = await self.pool.post(path, urlencode(form).encode(), headers)
        except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError) as exc:
            self.stats.add(kind, started, time.monotonic() - started, type(exc).__name__)
            raise DriverError(f"{path}: {type(exc).__name__}") from None
        took = time.monotonic() - started
        error = f"HTTP {status}" if status >= 400 else f"over {TWILIO_GIVES_UP} s" if took > TWILIO_GIVES_UP else ""
        self.stats.add(kind, started, took, error)
        return status, text


class LoadStage(LiveStage):
    """Real time, with a resident's pause (exponential, `think` s on average) before each step."""

    def __init__(self, think: float):
        super().__init__()
        self.think = think

    async def before(self, step) -> None:
        if self.think > 0:
            await asyncio.sleep(random.expovariate(1 / self.think))


# ----- the residents


@dataclass(frozen=True)
class Mix:
    """The scenarios played, how often each comes up, and how many webhooks each takes."""

    scenarios: list[Scenario]
    weights: list[float]
    webhooks: list[int]

    @property
    def per_session(self) -> float:
        """Webhook requests a resident makes on average."""
        return sum(w * n for w, n in zip(self.weights, self.webhooks, strict=True)) / sum(self.weights)

    def pick(self) -> Scenario:
        """A scenario at random by weight."""
        return random.choices(self.scenarios, self.weights)[0]


def weight(scenario: Scenario) -> float:
    """How often this scenario comes up (0: not played under load)."""
    stem = Path(scenario.path).stem
    share = SPANISH_SHARE if scenario.language.startswith("es") else 1.0
    return WEIGHTS.get(stem, 0) * share


AREA_CODES = (312, 773, 872, 630, 708, 847, 224, 331, 779)  # Illinois; with 555 numbers, 90,000 residents
_numbers = itertools.count(random.randrange(len(AREA_CODES) * 10**4))


def resident() -> str:
    """A fresh caller number for each resident, so per-number limits (texts, call-backs) are rarely shared."""
    n = next(_numbers) % (len(AREA_CODES) * 10**4)
    return f"+1{AREA_CODES[n // 10**4]}555{n % 10**4:04d}"  # loopback only: nothing is ever dialled or texted


# Scenarios are written for a Tuesday in November on the test clock; a live run hears today's dates instead.
DATED = re.compile(r"\b(January|February|March|April|May|June|July|August|September|October|November|December|enero|"
                   r"febrero|marzo|abril|mayo|junio|julio|agosto|septiembre|octubre|noviembre|diciembre)\b", re.I)


def personal(scenario: Scenario) -> Scenario:
    """The scenario for one resident: their own number, without expectations of the test clock's dates."""
    steps = [dataclasses.replace(step, hears=[h for h in step.hears if not DATED.search(h)])
             for step in scenario.steps]
    return dataclasses.replace(scenario, caller=resident(), steps=steps)


def run_name() -> str:
    """A test run of one resident's own. Every resident reports at the scenario's real address on the city's map, so
    each is marked as a run of its own: a run's report is a duplicate only of its own run's (core.test_traffic)."""
    return f"load-{secrets.token_hex(8)}"


async def play(scenario: Scenario, transport: MeasuredTransport, stage: LoadStage, stats: Stats) -> bool:
    """One resident's whole call or texts; False (the first failure kept) when a step failed."""
    mine = personal(scenario)
    result = await run_one(mine, Service(ResidentTransport(transport, run_name()), NUMBER, ACCOUNT_SID), stage)
    stats.sessions[scenario.name] += 1
    if result.status == "failed":
        stats.failed_sessions[scenario.name] += 1
        failed = next(step for step in result.steps if step.status == "failed")
        if not stats.first_failure:
            heard = " | ".join(failed.heard)[:300]
            why = "; ".join(failed.problems)
            stats.first_failure = f"{scenario.name}, step {failed.number}: {why} (heard: {heard})"
        if not any(p.startswith(("the server answered", "/")) for p in failed.problems):
            stats.errors["wrong answer"] += 1  # TwiML that was not what the resident should hear
            stats.reasons["wrong answer"] += 1
        return False
    return True


async def calibrate(scenarios: list[Scenario], pool: Pool, token: str, public: str) -> tuple[Mix, list[str]]:
    """Play every weighted scenario once, one after the other: the mix is those that pass, with their webhook counts."""
    kept, weights, counts, dropped = [], [], [], []
    for scenario in scenarios:
        if weight(scenario) <= 0:
            continue
        stats = Stats()
        transport = MeasuredTransport(pool, token, public, stats)
        if await LoadStage(0).prepare(scenario):
            continue  # needs a clock or a preset: in-process only
        if not await play(scenario, transport, LoadStage(0), stats):
            dropped.append(stats.first_failure)
            continue
        kept.append(scenario)
        weights.append(weight(scenario))
        counts.append(stats.requests)
    return Mix(kept, weights, counts), dropped


async def step(mix: Mix | None, rate: float, seconds: float, pool: Pool, token: str, public: str, think: float,
               progress, max_playing: int = 10_000) -> Stats:
    """Residents arrive at random for `seconds` to make `rate` webhooks a second (mix None: single bare requests);
    requests started once the first residents are well into their calls count."""
    ramp = min(seconds * 0.25, 2 + 1.5 * (mix.per_session * think if mix else 0))  # until residents overlap
    start = time.monotonic()
    stats = Stats(window=(start + ramp, start + seconds))
    transport, stage = MeasuredTransport(pool, token, public, stats), LoadStage(think)
    arrivals = rate / (mix.per_session if mix else 1)
    running: set[asyncio.Task] = set()

    async def bare() -> None:
        with contextlib.suppress(DriverError):
            await transport.post("/voice/incoming", {"CallSid": "CA" + secrets.token_hex(16), "From": resident(),
                                                     "To": NUMBER, "AccountSid": ACCOUNT_SID})

    async def one() -> None:
        with contextlib.suppress(DriverError):
            await play(mix.pick(), transport, stage, stats)

    due = start
    while (now := time.monotonic()) < start + seconds:
        while due <= now:
            due += random.expovariate(arrivals)
            if len(running) >= max_playing:
                stats.reasons["residents not started (too many playing)"] += 1
                continue
            task = asyncio.create_task(one() if mix else bare())
            running.add(task)
            task.add_done_callback(running.discard)
        progress(now - start, stats, len(running))
        await asyncio.sleep(min(0.05, max(0.0, due - time.monotonic())))
    if running:
        done, late = await asyncio.wait(running, timeout=DRAIN_SECONDS)
        for task in late:
            task.cancel()
        if late:
            stats.reasons["cut off after the step"] += len(late)
    return stats


def per_request(cpu: float, stats: Stats) -> float:
    """Server CPU milliseconds per request answered in a step."""
    return cpu * 1e3 / stats.answered if stats.answered else math.nan


# ----- the run


def parse_rates(text: str) -> list[float]:
    """"100,250,500" as request rates, each at least 1 a second."""
    rates = [float(part) for part in text.split(",") if part.strip()]
    if not rates or any(rate < 1 for rate in rates):
        raise argparse.ArgumentTypeError("rates are requests a second, 1 or more, separated by commas")
    return rates


def arguments(argv: list[str] | None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rates", type=parse_rates, default=[100, 250, 500, 750],
                        help="webhook requests a second, step by step (default 100,250,500,750)")
    parser.add_argument("--seconds", type=float, default=60, help="length of each step (default 60)")
    parser.add_argument("--bare-seconds", type=float, default=15,
                        help="length of each step against the bare endpoint (default 15)")
    parser.add_argument("--think", type=float, default=1.0, help="a resident's average pause before a step (s)")
    parser.add_argument("--web", type=int, default=None, help="web processes for the server started here "
                        "(default: run.py's, one per core)")
    parser.add_argument("--url", help="a running server on this machine instead of starting one")
    parser.add_argument("--token", help="its auth token (default TWILIO_AUTH_TOKEN, else var/dev-auth-token)")
    parser.add_argument("--connections", type=int, default=256, help="most open connections (default 256)")
    parser.add_argument("--out", type=Path, default=ROOT / "var" / "load", help="folder for load.csv and load.svg")
    parser.add_argument("--max-playing", type=int, default=10_000,
                        help="most residents playing at once; later arrivals are counted, not started")
    parser.add_argument("--all-steps", action="store_true", help="run every rate even after one saturated")
    parser.add_argument("--max-minutes", type=float, default=60, help="stop after this long, whatever is left")
    parser.add_argument("--quick", action="store_true",
                        help="5 seconds at 20 and 40 requests a second: proves it works, measures nothing")
    args = parser.parse_args(argv)
    if args.quick:
        args.rates, args.seconds, args.bare_seconds, args.think = [20, 40], 5, 2, 0.05
        args.web, args.all_steps = args.web or 1, True
    if args.url and (problem := url_problem(args.url, allow_remote=False)):
        parser.error(problem)
    return args


def token_for(args) -> str:
    """The auth token to sign with for --url."""
    if args.token or os.environ.get("TWILIO_AUTH_TOKEN"):
        return args.token or os.environ["TWILIO_AUTH_TOKEN"]
    path = Path(os.environ.get("ONECALL_VAR_DIR") or ROOT / "var") / "dev-auth-token"
    if not path.exists():
        raise RuntimeError("no auth token: pass --token, set TWILIO_AUTH_TOKEN, or run the server from this checkout")
    return path.read_text().strip()


async def measure(args, ours: str, bare: str, token: str, pids: dict[str, int | None]) -> load_report.Run:
    """Calibrate, then each step against ours and the bare endpoint; memory at the start and the end."""
    limit, parts = args.connections, urlsplit(ours)
    pool = Pool(parts.hostname, parts.port, limit)
    database_url = os.environ.get("DATABASE_URL", "")  # the server's, started here or --url on this machine
    public = signing_base(ours) if args.url else ours
    scenarios = load([ROOT / "scenarios"])
    mix, dropped = await calibrate(scenarios, pool, token, public)
    if not mix.scenarios:
        raise RuntimeError("no scenario passed against this server: " + "; ".join(dropped))
    run = load_report.Run(mix=[(s.name, w, n) for s, w, n in zip(mix.scenarios, mix.weights, mix.webhooks,
                                                                   strict=True)], dropped=dropped)
    load_report.print_mix(run, mix.per_session)
    run.memory_start = memory(pids["ours"])
    bare_parts = urlsplit(bare)
    bare_pool = Pool(bare_parts.hostname, bare_parts.port, limit)
    deadline = time.monotonic() + args.max_minutes * 60
    bar = load_report.Progress(len(args.rates))
    for number, rate in enumerate(args.rates, 1):
        if time.monotonic() > deadline:
            print(f"stopped: --max-minutes {args.max_minutes:g} reached before {rate:g} req/s")
            break
        cpu0, server0, web0 = time.process_time(), cpu_seconds(pids["ours"]), cpu_seconds(pids["ours"], "web")
        database0 = database_cpu(database_url)
        stats = await step(mix, rate, args.seconds, pool, token, public, args.think,
                           bar.show(number, rate, args.seconds, "ours"), args.max_playing)
        client = time.process_time() - cpu0
        server, web = cpu_seconds(pids["ours"]) - server0, cpu_seconds(pids["ours"], "web") - web0
        database = used_since(database0, database_cpu(database_url))
        bare0 = cpu_seconds(pids["bare"])
        bare_stats = await step(None, rate, args.bare_seconds, bare_pool, token, public, 0,
                                bar.show(number, rate, args.bare_seconds, "bare"), args.max_playing)
        bare_cpu = cpu_seconds(pids["bare"]) - bare0
        bar.done()
        result = load_report.StepResult(rate, stats, bare_stats, client / args.seconds, memory(pids["ours"]),
                                        server_ms=per_request(server, stats), web_ms=per_request(web, stats),
                                        bare_ms=per_request(bare_cpu, bare_stats),
                                        database_ms=per_request(database, stats), client_ms=per_request(client, stats))
        run.steps.append(result)
        load_report.print_step(result)
        achieved = stats.requests / (stats.window[1] - stats.window[0])
        if achieved < SATURATED * rate and not args.all_steps and number < len(args.rates):
            print(f"saturated: {achieved:.0f} of {rate:g} req/s answered; the higher rates are skipped "
                  "(--all-steps runs them anyway)")
            break
    run.memory_end = memory(pids["ours"])
    pool.close()
    bare_pool.close()
    return run


def main(argv: list[str] | None = None) -> int:
    """Start the servers (unless --url), measure, report, write the CSV and the chart, and clean up."""
    args = arguments(argv)
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, signal.default_int_handler)
    tmp, procs = Path(tempfile.mkdtemp(prefix="onecall-load-")), []
    try:
        with contextlib.suppress(ImportError):
            import uvloop

            asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
        load_report.describe(args)
        if args.url:
            ours, token, pid = args.url.rstrip("/"), token_for(args), None
        else:
            ours, token, pid = start_ours(tmp, args.web, procs)
        bare, bare_pid = start_bare(tmp, procs)
        run = asyncio.run(measure(args, ours, bare, token, {"ours": pid, "bare": bare_pid}))
        load_report.print_memory(run)
        args.out.mkdir(parents=True, exist_ok=True)
        load_report.write_csv(run, args.out / "load.csv")
        load_report.write_svg(run, args.out / "load.svg")
        print(f"wrote {args.out / 'load.csv'} and {args.out / 'load.svg'}")
        return 0 if run.passed else 1
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        return 130
    except RuntimeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        stop(procs)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
