"""The scenarios page: the scenario files, and "Run all" playing them against this service, with the step report.

The calls and texts go to the service's own webhooks in this process (httpx over ASGI), signed with its Twilio token,
so they pass through everything a real call does, as test traffic at each scenario's simulated time (core.test_traffic:
kept out of every figure, their tickets removed at the end). Scenarios that switch a preset on are skipped here with
the reason (a preset would reach residents too); `make test` plays those.
"""

from __future__ import annotations

import httpx
from starlette.authentication import requires
from starlette.requests import Request
from starlette.responses import Response

from console import action_limits
from console import service as console_service
from console.pages.forms import checked_form
from console.pages.render import page
from core import test_traffic
from core.defaults import SCENARIO_RUNS_PER_MINUTE
from settings import ROOT
from simulator.driver import signed_transport
from simulator.scenarios import LiveStage, ScenarioError, Service, load, run

FOLDER = ROOT / "scenarios"


def _read() -> tuple[list, str]:
    """The scenarios in the folder, or why they cannot be read."""
    if not FOLDER.is_dir():
        return [], ""
    try:
        return load([FOLDER]), ""
    except ScenarioError as exc:
        return [], str(exc)


def _shown(path: str) -> str:
    """A scenario file's path as the page shows it: relative to the project when it is inside it."""
    try:
        return str(FOLDER.joinpath(path).resolve().relative_to(ROOT))
    except ValueError:
        return path


@requires("messages")
async def scenarios_page(request: Request) -> Response:
    """The scenario files and a button to run them all."""
    items, problem = _read()
    return page(request, "scenarios.html", scenarios=items, problem=problem, report=None, shown=_shown, refused="")


@requires("messages")
async def run_scenarios(request: Request) -> Response:
    """Play every scenario against this service now; the page with the report of each step."""
    await checked_form(request)
    items, problem = _read()
    # Every run makes real calls, tickets and call-backs: one account may start SCENARIO_RUNS_PER_MINUTE a minute.
    wait = await action_limits.take(
        request.app.state.ctx.redis, kind="scenarios", who=f"account:{request.user.who.id}",
        per_minute=SCENARIO_RUNS_PER_MINUTE,
    )
    if wait is not None:
        refused = f"The scenarios were run a moment ago; run them again in {wait} seconds."
        response = page(
            request, "scenarios.html", 429, scenarios=items, problem=problem, report=None, shown=_shown, refused=refused
        )
        response.headers["Retry-After"] = str(wait)
        return response
    report = None
    if items:
        settings = request.app.state.ctx.settings
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=request.app), base_url=settings.public_base_url, timeout=30
        ) as client:
            transport = signed_transport(
                client, auth_token=settings.auth_token, public_base_url=settings.public_base_url
            )
            service = Service(transport, number=settings.numbers[0], account_sid=settings.account_sid)
            with test_traffic.isolated():  # the run's marks stay with its webhooks, not this page's audit line
                report = await run(items, service, LiveStage(settings.timezone))
        counts = {status: report.count(status) for status in ("passed", "failed", "skipped")}
        await console_service.record_audit(
            request.app.state.ctx, actor=request.user.actor, action="run scenarios", subject="scenarios", after=counts
        )
    return page(request, "scenarios.html", scenarios=items, problem=problem, report=report, shown=_shown, refused="")
