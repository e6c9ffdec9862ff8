"""Queue webhooks: the wait document, keys pressed while waiting, the queue result, and the agent line."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from core import replay
from core.twilio_auth import signed_form
from queueing import agents, waiting

TWIML = "application/xml"


async def _call(request: Request) -> tuple[dict[str, str], str, str]:
    form = await signed_form(request)
    if not form.get("CallSid"):
        raise HTTPException(400, "CallSid is required")
    ctx = request.app.state.ctx
    names = ctx.settings.queue.names
    language = request.query_params.get("lang", ctx.settings.default_language.code)
    queue = request.query_params.get("queue") or names.get(language, "")
    if language not in names or queue not in {*names.values(), ctx.settings.queue.callback_queue}:
        raise HTTPException(400, "unknown queue or language")
    return form, queue, language


async def wait(request: Request) -> Response:
    form, queue, language = await _call(request)
    return Response(await waiting.wait(request.app.state.ctx, form, queue=queue, language=language), media_type=TWIML)


async def keys(request: Request) -> Response:
    form, queue, language = await _call(request)
    return Response(await waiting.keys(request.app.state.ctx, form, queue=queue, language=language), media_type=TWIML)


async def result(request: Request) -> Response:
    form, queue, language = await _call(request)
    ctx = request.app.state.ctx
    key = replay.request_key(f"{request.url.path}?{request.url.query}", form)
    twiml = await replay.once(ctx.redis, key, lambda: waiting.result(ctx, form, queue=queue, language=language))
    return Response(twiml, media_type=TWIML)


async def agent(request: Request) -> Response:
    form = await signed_form(request)
    return Response(await agents.agent_line(request.app.state.ctx, form), media_type=TWIML)


async def connect(request: Request) -> Response:
    form, queue, _ = await _call(request)
    return Response(await agents.connect(request.app.state.ctx, form, queue=queue), media_type=TWIML)


routes = [
    Route("/voice/queue/wait", wait, methods=["POST"]),
    Route("/voice/queue/keys", keys, methods=["POST"]),
    Route("/voice/queue/result", result, methods=["POST"]),
    Route("/voice/agent", agent, methods=["POST"]),
    Route("/voice/agent/connect", connect, methods=["POST"]),
]
