"""Prometheus metrics every process records (prometheus-client), gathered across processes for one scrape.

Under `run.py` every child shares one folder named by PROMETHEUS_MULTIPROC_DIR (emptied at each start), so a scrape
of any web process reports the sums of all of this machine's processes: every web process, the workers and the
cron. Without it (tests, a bare `uvicorn`), a scrape reports the process that answers it.

Latency is labelled by route template (`/voice/step`, `/api/callbacks/{id:int}/cancel`), never by the raw path: a
path holds ticket numbers and ids, and one series per value would grow without bound.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from starlette.routing import BaseRoute, Match, Mount
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CONTENT_TYPE = CONTENT_TYPE_LATEST  # what a scrape's answer says it is
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
UNMATCHED = "unmatched"  # every path no route serves, in one series
# Seconds: Twilio's timeout is 15 s; the goal is well under 0.1 s.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 15.0)

REQUEST_SECONDS = Histogram(
    "onecall_http_request_duration_seconds", "Time to answer an HTTP request, by route template and method",
    ["route", "method"], buckets=LATENCY_BUCKETS,
)
REQUESTS = Counter("onecall_http_requests", "HTTP requests answered, by route template, method and status class",
                   ["route", "method", "status"])
ERRORS = Counter("onecall_errors", "Errors: unhandled exceptions in web requests, texts and calls Twilio refused",
                 ["kind"])
TEXTS_SENT = Counter("onecall_texts_sent", "Texts Twilio accepted (or the development outbox kept)")
CALLS_PLACED = Counter("onecall_calls_placed", "Outbound calls (call-backs) Twilio accepted")


class ErrorKind:
    """The `kind` label of ERRORS."""

    WEB = "web_exception"
    TEXT = "text_refused"
    CALL = "call_not_placed"


def prepare_folder(env: dict[str, str], var_dir: Path) -> Path:
    """Give the children of one `run.py` a shared, empty metrics folder (a previous run's files describe dead pids).

    A folder already named in the environment (a process manager's) is used as it is and emptied the same way."""
    folder = Path(env.get(MULTIPROC_ENV) or var_dir / "metrics")
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    for stale in folder.glob("*.db"):  # prometheus-client's files only: the folder may be a process manager's
        stale.unlink()
    env[MULTIPROC_ENV] = str(folder)
    return folder


def process_exited(pid: int) -> None:
    """Forget a dead child's live gauges (its counters and histograms keep counting in the sums)."""
    if os.environ.get(MULTIPROC_ENV):
        multiprocess.mark_process_dead(pid)


def exposition(*extra) -> bytes:
    """The text a scrape gets: every process's metrics on this machine (or this process's), then `extra` collectors."""
    if os.environ.get(MULTIPROC_ENV):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = CollectorRegistry()
        registry.register(_Delegate(REGISTRY))
    for collector in extra:
        registry.register(collector)
    return generate_latest(registry)


class _Delegate:
    """Another registry's metrics inside a registry of our own, so `extra` never lands in the process-wide one."""

    def __init__(self, registry) -> None:
        self.registry = registry

    def collect(self):
        """Everything the other registry holds."""
        return self.registry.collect()


def route_templates(routes: list[BaseRoute], prefix: str = "") -> dict[int, str]:
    """Each route (by identity) to its full path template, mounts included: the only values the route label takes."""
    found: dict[int, str] = {}
    for route in routes:
        path = getattr(route, "path", "")
        if isinstance(route, Mount):
            found.update(route_templates(route.routes, prefix + path))
        found[id(route)] = prefix + path or "/"
    return found


def _template(scope: Scope, templates: dict[int, str], routes: list[BaseRoute]) -> str:
    route = scope.get("route")  # set by Starlette's router on the route that answered
    if route is not None and id(route) in templates:
        return templates[id(route)]
    for candidate in routes:  # refused before routing (body limit, host check): match it ourselves
        match, _ = candidate.matches(scope)
        if match is not Match.NONE:
            return templates.get(id(candidate), UNMATCHED)
    return UNMATCHED


class RequestMetrics:
    """ASGI middleware: each HTTP request's time and status, labelled by the route template it matched."""

    def __init__(self, app: ASGIApp, routes: list[BaseRoute]) -> None:
        self.app = app
        self.routes = routes
        self.templates = route_templates(routes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Time the request, then record it under its template; a crash counts as a 500."""
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        started = time.perf_counter()
        status = 500

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        except Exception:
            ERRORS.labels(ErrorKind.WEB).inc()
            raise
        finally:
            route = _template(scope, self.templates, self.routes)
            method = scope["method"] if scope["method"] in KNOWN_METHODS else "other"
            REQUEST_SECONDS.labels(route, method).observe(time.perf_counter() - started)
            REQUESTS.labels(route, method, f"{status // 100}xx").inc()


KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
