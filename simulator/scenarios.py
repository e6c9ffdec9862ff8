"""Scenarios: a resident's call or texts written down step by step, with what they must hear, played by the driver.

A scenario file is TOML: one scenario (top-level keys and [[step]] tables) or several ([[scenario]] tables, each
with [[scenario.step]]); the format is in docs/browser-phone-and-scenarios.md, "Scenarios". `load` explains every
mistake with the file and step.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
import time
import tomllib
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from core import test_traffic
from simulator.call import CallDriver
from simulator.line import Line
from simulator.switchboard import Switchboard
from simulator.texts import send_text
from simulator.transport import DriverError, Transport

ACTIONS = ("press", "say", "silence", "wait", "text", "hang_up")
STEP_KEYS = {*ACTIONS, "confidence", "as", "hears", "not_hears", "waiting_for", "keep", "note"}
SCENARIO_KEYS = {"name", "description", "language", "caller", "at", "surge", "step", "trainer_notes"}
WAITING_FOR = ("gather", "record", "queue", "dial", "bridged", "ended")
RESIDENT = "resident"
TEXT_PAUSE = 8  # seconds a resident takes to type a text (in-process runs), so a chat keeps under the rate limit
# A Tuesday in an ordinary week: scenarios without `at` run at 10 a.m. on it (agents answer), others on its week.
BASE_DATE = dt.date(2026, 11, 17)
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")

# Named expectations: `hears = ["ticket number"]` checks a pattern, in the scenario's language where it differs.
# "about N minutes" and "number N in line" take any number in place of N.
_TICKET = r"\b\d \d \d, \d \d \d, \d \d \d\b|\b\d{3}-\d{3}-\d{3}\b|\b\d{9}\b"
VOCABULARY: dict[str, dict[str, str]] = {
    "greeting": {"": r"Thank you for calling|Gracias por llamar"},  # callers hear it before choosing a language
    "ticket number": {"": _TICKET},
    "expected date": {"en": r"We expect this to be done by \w+, \w+ \d+", "es": r"Esperamos que esté resuelto para el"},
    "wait estimate": {"en": r"Your wait (is|should be)", "es": r"Su espera (es|debe ser)"},
    "about a minute": {"en": r"about a minute", "es": r"más o menos un minuto"},
    "about N minutes": {"en": r"about (N|N to \d+|\d+ to N) minutes", "es": r"unos (N|N a \d+|\d+ a N) minutos"},
    "number N in line": {"en": r"You are number N in line", "es": r"el número N en la fila"},
    "911": {"": r"\b9 1 1\b|\b911\b"},
    "goodbye": {"en": r"\bGoodbye\b", "es": r"\bAdiós\b"},
    "agents closed": {
        "en": r"agents are not available|call center is closed",
        "es": r"no hay agentes disponibles|está cerrado",
    },
    "call-back booked": {"en": r"You're all set\.|We'll call you", "es": r"Listo\.|Le llamaremos"},
    "call ended": {"": r"\bcall ended\b"},
    "in the queue": {"": r"\bwaiting in the queue\b"},
}


class ScenarioError(ValueError):
    """A scenario file that cannot be played, with where and why."""


@dataclass
class Step:
    """One thing the resident does (or nothing: listen), and what they must hear then."""

    number: int
    action: str  # "listen" | one of ACTIONS
    value: str = ""
    confidence: float = 0.9
    party: str = RESIDENT
    hears: list[str] = field(default_factory=list)
    not_hears: list[str] = field(default_factory=list)
    waiting_for: str | None = None
    keep: str | None = None  # a named expectation whose match later steps use as {name} (digits only)
    note: str = ""

    def describe(self) -> str:
        """The step as a trainer reads it: press 1, say "...", wait 60 s."""
        who = "" if self.party == RESIDENT else f"[{self.party}] "
        if self.action in ("press", "text"):
            return f"{who}{self.action} {self.value}" if self.action == "press" else f'{who}text "{self.value}"'
        if self.action == "say":
            return f'{who}say "{self.value}"'
        if self.action == "wait":
            return f"{who}wait {self.value} s"
        return who + self.action.replace("_", " ")


@dataclass
class Scenario:
    """A conversation to play: who calls or texts, when, in what conditions, and its steps."""

    name: str
    path: str
    steps: list[Step]
    description: str = ""
    language: str = "en-US"
    caller: str | None = None
    at: str | None = None
    surge: str | None = None
    trainer_notes: str = ""

    @property
    def longest_wait(self) -> float:
        """The longest `wait` step, in seconds."""
        return max((float(step.value) for step in self.steps if step.action == "wait"), default=0.0)


@dataclass
class StepResult:
    """How one step went: passed or not, what was heard, and why it failed."""

    number: int
    action: str
    status: str  # "passed" | "failed" | "not run"
    heard: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        """The step did what it had to."""
        return self.status == "passed"


@dataclass
class ScenarioResult:
    """How one scenario went."""

    name: str
    path: str
    status: str  # "passed" | "failed" | "skipped"
    reason: str = ""
    steps: list[StepResult] = field(default_factory=list)


@dataclass
class Report:
    """Every scenario's result, in the order played."""

    results: list[ScenarioResult] = field(default_factory=list)

    def count(self, status: str) -> int:
        """How many scenarios ended with this status."""
        return sum(1 for result in self.results if result.status == status)

    @property
    def passed(self) -> bool:
        """No scenario failed (skipped ones do not count against it)."""
        return self.count("failed") == 0


# ----- reading scenario files


def scenario_files(paths: Iterable[str | Path]) -> list[Path]:
    """The .toml files named, and those in the folders named (sorted)."""
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found += sorted(path.rglob("*.toml"))
        elif path.exists():
            found.append(path)
        else:
            raise ScenarioError(f"{path}: no such file or folder")
    return found


def load(paths: Iterable[str | Path]) -> list[Scenario]:
    """Every scenario in these files and folders; a ScenarioError names the file and step of the first mistake."""
    scenarios = []
    for path in scenario_files(paths):
        scenarios += parse(path.read_text(encoding="utf-8"), str(path))
    names = {}
    for scenario in scenarios:
        if scenario.name in names:
            raise ScenarioError(f"{scenario.path}: the name {scenario.name!r} is also used in {names[scenario.name]}")
        names[scenario.name] = scenario.path
    return scenarios


def parse(text: str, path: str = "<scenario>") -> list[Scenario]:
    """The scenarios in one TOML text."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"{path}: not valid TOML: {exc}") from None
    if "scenario" in data:
        extra = set(data) - {"scenario"}
        if extra:
            raise ScenarioError(f"{path}: with [[scenario]] tables, put {', '.join(sorted(extra))} inside them")
        if not isinstance(data["scenario"], list):
            raise ScenarioError(f"{path}: write [[scenario]] (a list of scenarios), not [scenario]")
        return [_scenario(item, path, f"scenario {i}") for i, item in enumerate(data["scenario"], 1)]
    return [_scenario(data, path, "")]


def _scenario(data: dict, path: str, where: str) -> Scenario:
    at = f"{path}: {where}" if where else path
    unknown = set(data) - SCENARIO_KEYS
    if unknown:
        known = ", ".join(sorted(SCENARIO_KEYS))
        raise ScenarioError(f"{at}: unknown key {', '.join(sorted(unknown))} (known: {known})")
    name = data.get("name")
    if not isinstance(name, str) or not name.strip():
        raise ScenarioError(f"{at}: every scenario needs a name")
    at = f"{path}: scenario {name!r}"
    for key in ("description", "language", "caller", "at", "surge", "trainer_notes"):
        if key in data and not isinstance(data[key], str):
            raise ScenarioError(f"{at}: {key} must be text")
    language = data.get("language", "en-US")
    if not re.fullmatch(r"[a-z]{2}(-[A-Z]{2})?", language):
        raise ScenarioError(f"{at}: language {language!r} is not a code like en-US")
    if "caller" in data and not re.fullmatch(r"\+[1-9]\d{6,14}", data["caller"]):
        raise ScenarioError(f"{at}: caller {data['caller']!r} is not a phone number like +13125550147")
    if "at" in data:
        try:
            local_time(data["at"])
        except ValueError as exc:
            raise ScenarioError(f"{at}: at = {data['at']!r}: {exc}") from None
    steps = data.get("step")
    if not isinstance(steps, list) or not steps:
        raise ScenarioError(f"{at}: no steps (add [[step]] tables)")
    parsed = [_step(raw, f"{at}, step {i}", i) for i, raw in enumerate(steps, 1)]
    return Scenario(
        name=name.strip(),
        path=path,
        steps=parsed,
        description=data.get("description", "").strip(),
        language=language,
        caller=data.get("caller"),
        at=data.get("at"),
        surge=data.get("surge"),
        trainer_notes=data.get("trainer_notes", "").strip(),
    )


def _step(raw: dict, at: str, number: int) -> Step:
    if not isinstance(raw, dict):
        raise ScenarioError(f"{at}: a step is a table of keys")
    unknown = set(raw) - STEP_KEYS
    if unknown:
        raise ScenarioError(f"{at}: unknown key {', '.join(sorted(unknown))} (known: {', '.join(sorted(STEP_KEYS))})")
    actions = [key for key in ACTIONS if key in raw]
    if len(actions) > 1:
        raise ScenarioError(f"{at}: one action per step, not {' and '.join(actions)}")
    action = actions[0] if actions else "listen"
    value = raw.get(action, "")
    if action == "press" and not (isinstance(value, str) and re.fullmatch(r"([0-9*#]|\{[a-z -]+\})+", value)):
        raise ScenarioError(f'{at}: press takes keys as text, like press = "1" or press = "123456789#"')
    if action in ("say", "text") and not (isinstance(value, str) and value.strip()):
        raise ScenarioError(f"{at}: {action} takes the words as text")
    if action in ("silence", "hang_up") and value is not True:
        raise ScenarioError(f"{at}: write {action} = true")
    if action == "wait":
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 86400:
            raise ScenarioError(f"{at}: wait takes seconds, like wait = 60")
        value = f"{value:g}"
    confidence = raw.get("confidence", 0.9)
    if "confidence" in raw and action != "say":
        raise ScenarioError(f"{at}: confidence goes with say")
    if isinstance(confidence, bool) or not isinstance(confidence, int | float) or not 0 <= confidence <= 1:
        raise ScenarioError(f"{at}: confidence is a number from 0 to 1")
    hears, not_hears = _phrases(raw, "hears", at), _phrases(raw, "not_hears", at)
    waiting_for = raw.get("waiting_for")
    if waiting_for is not None and waiting_for not in WAITING_FOR:
        raise ScenarioError(f"{at}: waiting_for is one of {', '.join(WAITING_FOR)}")
    keep = raw.get("keep")
    if keep is not None and keep not in VOCABULARY:
        raise ScenarioError(f'{at}: keep names an expectation to remember, like keep = "ticket number"')
    party = raw.get("as", RESIDENT)
    if not isinstance(party, str) or not re.fullmatch(r"[a-z][a-z0-9 _-]{0,30}", party):
        raise ScenarioError(f'{at}: as names a caller in lower case, like as = "neighbour"')
    return Step(
        number=number,
        action=action,
        value=value if isinstance(value, str) else "",
        party=party,
        confidence=float(confidence),
        hears=hears,
        not_hears=not_hears,
        waiting_for=waiting_for,
        keep=keep,
        note=str(raw.get("note", "")),
    )


def _phrases(raw: dict, key: str, at: str) -> list[str]:
    value = raw.get(key, [])
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise ScenarioError(f'{at}: {key} is a list of phrases, like {key} = ["ticket number"]')
    for phrase in value:
        if phrase.startswith("re:"):
            try:
                re.compile(phrase[3:])
            except re.error as exc:
                raise ScenarioError(f"{at}: {key} {phrase!r} is not a valid pattern: {exc}") from None
    return value


def local_time(at: str) -> dt.datetime:
    """The local (naive) time a scenario's `at` means: "16:55", "saturday 10:00" (that day of the base week), or
    "2026-11-26 10:00"."""
    text = " ".join(at.lower().split())
    match = re.fullmatch(r"(?:(\d{4}-\d{2}-\d{2})[ t]|([a-z]+) )?(\d{1,2}):(\d{2})(?: ?(a\.?m\.?|p\.?m\.?))?", text)
    if not match:
        raise ValueError('write a time like "16:55", "4:55 pm", "saturday 10:00" or "2026-11-26 10:00"')
    iso, weekday, hour, minute, half = match.groups()
    hour, minute = int(hour), int(minute)
    if half:
        if not 1 <= hour <= 12:
            raise ValueError("with a.m./p.m. the hour is 1 to 12")
        hour = hour % 12 + (12 if half.startswith("p") else 0)
    if hour > 23 or minute > 59:
        raise ValueError("not a time of day")
    if iso:
        day = dt.date.fromisoformat(iso)
    elif weekday:
        if weekday not in WEEKDAYS:
            raise ValueError(f"{weekday!r} is not a day of the week")
        day = BASE_DATE + dt.timedelta(days=WEEKDAYS.index(weekday) - BASE_DATE.weekday())
    else:
        day = BASE_DATE
    return dt.datetime.combine(day, dt.time(hour, minute))


# ----- what was heard


def expectation(phrase: str, language: str) -> re.Pattern:
    """The pattern a `hears` phrase stands for: a named expectation, `re:` and a pattern, or the words themselves."""
    if phrase.startswith("re:"):
        return re.compile(phrase[3:], re.IGNORECASE)
    key = " ".join(phrase.lower().split())
    number = None if key in VOCABULARY else re.search(r"\b(\d+)\b", key)
    named = re.sub(r"\b\d+\b", "N", key, count=1) if number else key
    if named in VOCABULARY:
        patterns = VOCABULARY[named]
        pattern = patterns.get(language.split("-")[0]) or patterns.get("") or "|".join(patterns.values())
        if number:
            pattern = pattern.replace("N", number.group(1))
        return re.compile(pattern, re.IGNORECASE)
    return re.compile(re.escape(" ".join(phrase.split())).replace(r"\ ", r"\s+"), re.IGNORECASE)


def heard_text(lines: list[Line]) -> list[str]:
    """What the resident heard or read, and the events (call ended), one string each."""
    return [
        line.text if line.kind != "event" else f"({line.text})"
        for line in lines
        if line.speaker != "caller" and line.kind in ("say", "text", "event")
    ]


def check(step: Step, lines: list[Line], language: str, waiting_for: str | None) -> list[str]:
    """Why the step failed (nothing when it passed)."""
    text = " ".join(heard_text(lines))
    problems = [f'did not hear "{p}"' for p in step.hears if not expectation(p, language).search(text)]
    problems += [f'heard "{p}", which it must not' for p in step.not_hears if expectation(p, language).search(text)]
    if step.waiting_for and waiting_for != step.waiting_for:
        problems.append(f"the call waits for {waiting_for or 'nothing'}, not {step.waiting_for}")
    return problems


# ----- where scenarios run


class Stage(Protocol):
    """What the place a scenario runs in can do: tell and move time, set conditions, or say why it cannot."""

    def now(self) -> float: ...

    def simulated_at(self) -> dt.datetime | None:
        """The moment the service must take a webhook to be sent at, or None when its own clock already says it."""

    async def prepare(self, scenario: Scenario) -> str | None:
        """Set the scenario's conditions; the reason it must be skipped, or None."""

    async def advance(self, seconds: float) -> None: ...

    async def before(self, step: Step) -> None:
        """Just before a step is played (time a resident takes)."""

    async def finish(self, scenario: Scenario) -> None: ...


class LiveStage:
    """A running service, played as test traffic on a simulated clock: each scenario starts at its `at` (or 10 a.m.
    on the base Tuesday), its waits move that clock on without sleeping, and every webhook carries the moment it is
    sent for (core.test_traffic), so a run passes on any day at any hour. Presets are not switched on for a live
    service: scenarios that need one are skipped with the reason."""

    def __init__(self, zone: dt.tzinfo = dt.UTC):
        self.zone = zone
        self.offset = 0.0  # simulated minus real seconds

    def now(self) -> float:
        return time.time() + self.offset

    def simulated_at(self) -> dt.datetime | None:
        return dt.datetime.fromtimestamp(self.now(), dt.UTC)

    async def prepare(self, scenario: Scenario) -> str | None:
        if scenario.surge:
            return f"needs the {scenario.surge} preset switched on: runs in-process only (make test)"
        start = local_time(scenario.at or "10:00").replace(tzinfo=self.zone).timestamp()
        self.offset = start - time.time()
        return None

    async def advance(self, seconds: float) -> None:
        self.offset += seconds

    async def before(self, step: Step) -> None:
        if step.action == "text":
            await self.advance(TEXT_PAUSE)

    async def finish(self, scenario: Scenario) -> None:
        return None


class ClockStage:
    """An in-process app with a settable clock (an object with a `now` datetime, as the tests' clock is).

    surge(name) switches a preset on, surge(None) takes every message off the air; without it, scenarios that need a
    preset are skipped.
    """

    def __init__(self, clock, zone: dt.tzinfo, surge: Callable[[str | None], Awaitable[None]] | None = None):
        self.clock, self.zone, self.surge = clock, zone, surge

    def now(self) -> float:
        return self.clock.now.timestamp()

    def simulated_at(self) -> dt.datetime | None:
        return None  # the app reads this clock itself

    async def prepare(self, scenario: Scenario) -> str | None:
        if scenario.surge and self.surge is None:
            return f"needs the {scenario.surge} preset switched on, which this run cannot do"
        local = local_time(scenario.at or "10:00")
        self.clock.now = local.replace(tzinfo=self.zone).astimezone(dt.UTC)
        if scenario.surge:
            await self.surge(scenario.surge)
        return None

    async def advance(self, seconds: float) -> None:
        self.clock.now += dt.timedelta(seconds=seconds)

    async def before(self, step: Step) -> None:
        if step.action == "text":
            await self.advance(TEXT_PAUSE)

    async def finish(self, scenario: Scenario) -> None:
        if scenario.surge:
            await self.surge(None)


# ----- playing


@dataclass
class Service:
    """Where the scenarios' calls and texts go: the transport, and the number residents call and text."""

    transport: Transport
    number: str
    account_sid: str = "AC" + "0" * 32


def run_name() -> str:
    """A fresh name for one run's test traffic."""
    return f"scenarios-{secrets.token_hex(6)}"


def caller_number(index: int) -> str:
    """A fictional number (555-01xx) for the index-th caller of a run, so scenarios do not share texting state."""
    return f"+1312555{100 + index % 100:04d}"


async def run(scenarios: list[Scenario], service: Service, stage: Stage) -> Report:
    """Play every scenario in turn as one test run (marked, so the service keeps it out of its figures, and told at
    the end so it removes the run's tickets and call-backs); the report of each step."""
    report = Report()
    # Each run starts at a random number of the hundred, so repeated runs on one day spread the service's
    # per-number limits (call-backs booked, texts) instead of spending the same few numbers' allowance.
    first = secrets.randbelow(100)
    numbers = iter(range(first, first + 10**6))
    name = run_name()
    marked = hasattr(service.transport, "test_mark")
    if marked:
        service.transport.test_mark = lambda: test_traffic.TrafficMark(name, stage.simulated_at())
    try:
        for scenario in scenarios:
            report.results.append(await run_one(scenario, service, stage, numbers))
    finally:
        problem = await _end_run(service, name) if marked else None
        if problem:
            ended = ScenarioResult("End of the run", test_traffic.END_OF_RUN_PATH, "failed", reason=problem)
            report.results.append(ended)
    return report


async def _end_run(service: Service, name: str) -> str | None:
    """Ask the service to remove the run's tickets and call-backs; why it did not, or None."""
    try:
        form = {"Run": name, "AccountSid": service.account_sid}
        status, _ = await service.transport.post(test_traffic.END_OF_RUN_PATH, form)
    except DriverError as exc:
        return f"the run's tickets and call-backs were not removed: {exc}"
    if status != 200:
        return f"the run's tickets and call-backs were not removed: the service answered {status}"
    return None


async def run_one(scenario: Scenario, service: Service, stage: Stage, numbers=None) -> ScenarioResult:
    """Play one scenario: each step's action, then what was heard checked against it; stop at the first failure."""
    numbers = numbers if numbers is not None else iter(range(10**6))
    result = ScenarioResult(scenario.name, scenario.path, "passed")
    reason = await stage.prepare(scenario)
    if reason:
        result.status, result.reason = "skipped", reason
        return result
    board, calls, phones, kept = Switchboard(), {}, {}, {}

    def phone(party: str) -> str:
        if party not in phones:
            phones[party] = scenario.caller if party == RESIDENT and scenario.caller else caller_number(next(numbers))
        return phones[party]

    try:
        for step in scenario.steps:
            if result.status == "failed":
                result.steps.append(StepResult(step.number, step.describe(), "not run"))
                continue
            try:
                await stage.before(step)
                lines, waiting = await _play(_filled(step, kept), service, stage, board, calls, phone)
                problems = check(step, lines, scenario.language, waiting)
                if step.keep and not problems:
                    found = expectation(step.keep, scenario.language).search(" ".join(heard_text(lines)))
                    if found:
                        kept[step.keep] = "".join(c for c in found.group(0) if c.isdigit()) or found.group(0)
                    else:
                        problems.append(f'heard no "{step.keep}" to keep')
            except DriverError as exc:
                lines, problems = [], [str(exc)]
            except KeyError as exc:
                lines, problems = [], [f"no earlier step kept {{{exc.args[0]}}}"]
            status = "failed" if problems else "passed"
            result.steps.append(StepResult(step.number, step.describe(), status, heard_text(lines), problems))
            if problems:
                result.status = "failed"
    finally:
        for call in calls.values():  # nobody is left waiting in a queue after the scenario
            if call.waiting_for not in (None, "ended"):
                try:
                    await call.hang_up()
                except DriverError:
                    pass
        await stage.finish(scenario)
    return result


def _filled(step: Step, kept: dict[str, str]) -> Step:
    """The step with {name} replaced by what an earlier step kept (a KeyError names what was never kept)."""
    if "{" not in step.value:
        return step
    value = re.sub(r"\{([a-z -]+)\}", lambda m: kept[m.group(1)], step.value)
    return Step(**{**step.__dict__, "value": value})


async def _play(
    step: Step, service: Service, stage: Stage, board: Switchboard, calls: dict[str, CallDriver], phone
) -> tuple[list[Line], str | None]:
    if step.action == "text":
        replies = await send_text(
            service.transport,
            sender=phone(step.party),
            to=service.number,
            body=step.value,
            account_sid=service.account_sid,
        )
        call = calls.get(step.party)
        return replies, call.waiting_for if call else None
    lines: list[Line] = []
    call = calls.get(step.party)
    if call is None or call.waiting_for == "ended" and step.action == "listen":
        call = await CallDriver.dial(
            service.transport,
            caller=phone(step.party),
            to=service.number,
            switchboard=board,
            now=stage.now,
            account_sid=service.account_sid,
        )
        calls[step.party] = call
        lines += call.heard
    if step.action == "press":
        lines += await call.press(step.value)
    elif step.action == "say":
        lines += await call.say(step.value, step.confidence)
    elif step.action == "silence":
        lines += await call.silence()
    elif step.action == "hang_up":
        lines += await call.hang_up()
    elif step.action == "wait":
        await stage.advance(float(step.value))
        for party, other in calls.items():  # time passes for every call of the scenario
            heard = await other.tick()
            if party == step.party:
                lines += heard
    return lines, call.waiting_for


# ----- the report, printed


def format_report(report: Report) -> str:
    """The report as a terminal shows it: each scenario, each step, what was heard when a step failed."""
    out = []
    for result in report.results:
        mark = {"passed": "PASS", "failed": "FAIL", "skipped": "SKIP"}[result.status]
        out.append(f"{mark}  {result.name}  ({result.path})")
        if result.reason:
            out.append(f"      {'skipped' if result.status == 'skipped' else 'failed'}: {result.reason}")
        for step in result.steps:
            flag = {"passed": "ok  ", "failed": "FAIL", "not run": "--  "}[step.status]
            out.append(f"      {flag} {step.number}. {step.action}")
            for problem in step.problems:
                out.append(f"           {problem}")
            if step.problems and step.heard:
                out.append("           heard: " + " | ".join(step.heard))
    out.append(f"{report.count('passed')} passed, {report.count('failed')} failed, {report.count('skipped')} skipped")
    return "\n".join(out)
