"""GET /healthz: 200 when the database and Redis answer and no role's heartbeat is stale, else 503 naming what is not.

Each role (web, worker, cron) beats in Redis (core.heartbeats); the answer names each role's state and last
heartbeat, and "processes" lists every process (host:pid) of each role with its own last heartbeat, so a stopped
worker among several shows. A role never seen is reported as "not seen" but fails nothing (a test, or a topology
without a cron), unless the probe asks for it: `/healthz?require=worker,cron` fails when either has never beaten.
"""

from __future__ import annotations

import asyncio
import datetime as dt

from sqlalchemy import text
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from core import threads
from core.db import in_session
from core.heartbeats import AsyncHeartbeats, required_roles

# A probe must answer quickly even when a server hangs instead of refusing, or the probe itself hangs.
TIMEOUT_SECONDS = 3


def _ping_db(session) -> None:
    session.exec(text("SELECT 1"))


async def _check_db(engine) -> None:
    # abandon_on_cancel: a connect stuck on a dead host must not keep the answer waiting.
    await threads.run(lambda: in_session(engine, _ping_db), abandon_on_cancel=True)


def stamp(at: float | None) -> str | None:
    """A heartbeat's time as ISO 8601 UTC, for people and monitors."""
    return dt.datetime.fromtimestamp(at, dt.UTC).isoformat(timespec="seconds") if at is not None else None


async def healthz(request: Request) -> JSONResponse:
    """200 when the database and Redis answer within a few seconds and no role is stale, else 503 naming them."""
    ctx = request.app.state.ctx
    state: dict[str, object] = {"database": "ok", "redis": "ok"}
    beating = AsyncHeartbeats(ctx.redis)
    checks = {"database": _check_db(ctx.engine), "redis": beating.read(), "processes": beating.processes()}
    results = await asyncio.gather(
        *(asyncio.wait_for(check, TIMEOUT_SECONDS) for check in checks.values()), return_exceptions=True
    )
    for name, result in zip(checks, results, strict=True):
        if isinstance(result, BaseException) and name in state:  # any failure means "down"; say which
            state[name] = f"down: {type(result).__name__}"
    healthy = all(v == "ok" for v in state.values())
    beats = results[1] if not isinstance(results[1], BaseException) else []
    required = required_roles(request.query_params.get("require", ""))
    for beat in beats:
        state[beat.role.value] = beat.describe(required)
        healthy = healthy and not beat.failing(required)
    state["last_heartbeat"] = {beat.role.value: stamp(beat.at) for beat in beats}
    processes = results[2] if not isinstance(results[2], BaseException) else []
    state["processes"] = {
        role: [{"process": p.name, "state": p.describe(), "last_heartbeat": stamp(p.at)}
               for p in processes if p.role.value == role]
        for role in state["last_heartbeat"]
    }
    return JSONResponse({"status": "ok" if healthy else "unavailable", **state}, status_code=200 if healthy else 503)


routes = [Route("/healthz", healthz, methods=["GET"])]
