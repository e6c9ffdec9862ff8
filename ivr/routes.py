"""Voice webhooks: read Twilio's signed form, run one step, answer with TwiML."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from core import replay
from core.twilio_auth import signed_form
from ivr import calls

TWIML = "application/xml"


async def _form(request: Request) -> dict[str, str]:
    form = await signed_form(request)
    if not form.get("CallSid"):
        raise HTTPException(400, "CallSid is required")
    return form


async def incoming(request: Request) -> Response:
    form = await _form(request)
    ctx = request.app.state.ctx
    key = replay.request_key(request.url.path, form)
    return Response(await replay.once(ctx.redis, key, lambda: calls.incoming(ctx, form)), media_type=TWIML)


async def step(request: Request) -> Response:
    form = await _form(request)
    ctx = request.app.state.ctx
    node = request.query_params.get("node", "main")[:80]
    key = replay.request_key(f"{request.url.path}?{request.url.query}", form)
    return Response(await replay.once(ctx.redis, key, lambda: calls.step(ctx, form, node)), media_type=TWIML)


async def status(request: Request) -> Response:
    form = await _form(request)
    ctx = request.app.state.ctx
    key = replay.request_key(request.url.path, form)

    async def record() -> str:
        await calls.status(ctx, form)
        return ""

    await replay.once(ctx.redis, key, record)
    return Response(status_code=204)


routes = [
    Route("/voice/incoming", incoming, methods=["POST"]),
    Route("/voice/step", step, methods=["POST"]),
    Route("/voice/status", status, methods=["POST"]),
]
