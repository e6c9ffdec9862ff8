"""GET /healthz: 200 when the database and Redis both answer, 503 naming the one that does not."""

from __future__ import annotations

import asyncio

import anyio.to_thread
from sqlalchemy import text
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from core.db import in_session

# A probe must answer quickly even when a server hangs instead of refusing, or the probe itself hangs.
TIMEOUT_SECONDS = 3


def _ping_db(session) -> None:
    session.exec(text("SELECT 1"))


async def _check_db(engine) -> None:
    # abandon_on_cancel: a connect stuck on a dead host must not keep the answer waiting.
    await anyio.to_thread.run_sync(lambda: in_session(engine, _ping_db), abandon_on_cancel=True)


async def healthz(request: Request) -> JSONResponse:
    """200 when the database and Redis answer within a few seconds, else 503 naming the one that does not."""
    ctx = request.app.state.ctx
    state = {"database": "ok", "redis": "ok"}
    checks = {"database": _check_db(ctx.engine), "redis": ctx.redis.ping()}
    results = await asyncio.gather(
        *(asyncio.wait_for(check, TIMEOUT_SECONDS) for check in checks.values()), return_exceptions=True
    )
    for name, result in zip(checks, results, strict=True):
        if isinstance(result, BaseException):  # any failure means "down"; say which
            state[name] = f"down: {type(result).__name__}"
    healthy = all(v == "ok" for v in state.values())
    return JSONResponse({"status": "ok" if healthy else "unavailable", **state}, status_code=200 if healthy else 503)


routes = [Route("/healthz", healthz, methods=["GET"])]
