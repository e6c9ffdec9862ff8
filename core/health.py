"""GET /healthz: 200 when the database and Redis both answer, 503 naming the one that does not."""

from __future__ import annotations

from sqlalchemy import text
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from core.db import run_db


def _ping_db(session) -> None:
    session.exec(text("SELECT 1"))


async def healthz(request: Request) -> JSONResponse:
    ctx = request.app.state.ctx
    state = {"database": "ok", "redis": "ok"}
    try:
        await run_db(ctx.engine, _ping_db)
    except Exception as exc:  # any failure means "down"; say which
        state["database"] = f"down: {type(exc).__name__}"
    try:
        await ctx.redis.ping()
    except Exception as exc:
        state["redis"] = f"down: {type(exc).__name__}"
    healthy = all(v == "ok" for v in state.values())
    return JSONResponse({"status": "ok" if healthy else "unavailable", **state}, status_code=200 if healthy else 503)


routes = [Route("/healthz", healthz, methods=["GET"])]
