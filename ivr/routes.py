"""Voice webhooks: read Twilio's signed form, check its fields at the edge, run one step, answer with TwiML."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from twilio.twiml.voice_response import VoiceResponse

from core import deliveries, replay, text_rules, twilio_fields
from core.twilio_auth import signed_form
from ivr import agent_line, callback_calls, calls, queue_calls

TWIML = "application/xml"


async def _form(request: Request) -> dict[str, str]:
    # A CallSid names keys and rows, so a bad one is refused (400, nothing stored); other fields are read by the
    # modules below through core.twilio_fields, where a bad optional value counts as absent.
    form = twilio_fields.clean(await signed_form(request))
    twilio_fields.require_sid(form, "CallSid", "CA")
    twilio_fields.check_account(form)
    return form


async def _once(request: Request, form: dict[str, str], produce, *, already: str, loop: bool = False,
                session_read: bool = False) -> str:
    # Only a retry of one delivery is a replay. Every URL this service writes into TwiML for a step that can come round
    # again carries a step number, so the signed URL and fields name one delivery: a retry gets the first answer from
    # Redis for ten minutes, and the database remembers the step for good, so a signed re-send later acts no more. The
    # agent line's loop (the same URL, the same fields every 20 s) is also told apart by Twilio's idempotency token.
    ctx = request.app.state.ctx
    signed = f"{request.url.path}?{request.url.query}"
    if not loop:
        reads, new_if = (), None
        if session_read:  # the call's session comes with the claim, and may show the step is new (calls.unhandled)
            seq = request.query_params.get("seq", "")
            reads, new_if = (calls.store(ctx).key(form["CallSid"]),), lambda values: calls.unhandled(values[0], seq)
        key = deliveries.voice_key(form["CallSid"], signed, form)
        durable = replay.Durable(ctx.engine, key, already, reads=reads, new_if=new_if)
        return await replay.once(ctx.redis, replay.request_key(signed, form), produce, durable=durable)
    token = request.headers.get(replay.TOKEN_HEADER, "")
    if not token and "seq" not in request.query_params:
        return await produce()  # a loop URL without a step number (older TwiML) and no token: each request is new
    return await replay.once(ctx.redis, replay.request_key(signed, form, token), produce)


async def _twiml_once(request: Request, form: dict[str, str], produce, *, loop: bool = False,
                      session_read: bool = False) -> Response:
    ctx = request.app.state.ctx
    already = ctx.memo("ivr.already_handled", lambda: _already_handled(ctx))  # the same words on every request
    answer = await _once(request, form, produce, already=already, loop=loop, session_read=session_read)
    return Response(answer, media_type=TWIML)


def _already_handled(ctx) -> str:
    # The answer to a step acted on long ago (its call is over): nothing is done again; a goodbye, never silence.
    language = ctx.settings.default_language
    response = VoiceResponse()
    response.say(ctx.wording(language.code, "goodbye", city=ctx.settings.city_name), voice=language.voice,
                 language=language.code)
    response.hangup()
    return text_rules.xml_document(response)


async def _recorded_once(request: Request, form: dict[str, str], record) -> Response:
    async def produce() -> str:
        await record()
        return ""

    await _once(request, form, produce, already="")
    return Response(status_code=204)


async def incoming(request: Request) -> Response:
    form = await _form(request)
    return await _twiml_once(request, form, lambda: calls.incoming(request.app.state.ctx, form))


async def step(request: Request) -> Response:
    form = await _form(request)
    node = request.query_params.get("node", "main")[:80]
    language = request.query_params.get("lang")  # only to apologise in it if the session was lost; checked there
    return await _twiml_once(request, form, lambda: calls.step(request.app.state.ctx, form, node, language),
                             session_read=True)


async def status(request: Request) -> Response:
    form = await _form(request)
    return await _recorded_once(request, form, lambda: calls.status(request.app.state.ctx, form))


async def _queued_call(request: Request) -> tuple[dict[str, str], str, str]:
    form = await _form(request)
    ctx = request.app.state.ctx
    names = ctx.settings.queue.names
    language = request.query_params.get("lang", ctx.settings.default_language.code)
    queue = request.query_params.get("queue") or names.get(language, "")
    if language not in names or queue not in {*names.values(), ctx.settings.queue.callback_queue}:
        raise HTTPException(400, "unknown queue or language")
    return form, queue, language


async def queue_wait(request: Request) -> Response:
    form, queue, language = await _queued_call(request)
    twiml = await queue_calls.wait(request.app.state.ctx, form, queue=queue, language=language)
    return Response(twiml, media_type=TWIML)


async def queue_keys(request: Request) -> Response:
    form, queue, language = await _queued_call(request)
    twiml = await queue_calls.keys(request.app.state.ctx, form, queue=queue, language=language)
    return Response(twiml, media_type=TWIML)


async def queue_result(request: Request) -> Response:
    form, queue, language = await _queued_call(request)
    ctx = request.app.state.ctx
    return await _twiml_once(request, form, lambda: queue_calls.result(ctx, form, queue=queue, language=language))


async def agent(request: Request) -> Response:
    form = await _form(request)
    return await _twiml_once(request, form, lambda: agent_line.agent_line(request.app.state.ctx, form))


async def agent_next(request: Request) -> Response:
    form = await _form(request)
    raw = request.query_params.get("seq", "0")
    seq = int(raw[:9]) if raw.isascii() and raw.isdigit() else 0
    ctx = request.app.state.ctx
    return await _twiml_once(request, form, lambda: agent_line.next_caller(ctx, form, seq=seq), loop=True)


async def agent_pin(request: Request) -> Response:
    form = await _form(request)
    raw = request.query_params.get("attempt", "1")
    attempt = int(raw[:4]) if raw.isascii() and raw.isdigit() else 1
    return await _twiml_once(request, form, lambda: agent_line.pin(request.app.state.ctx, form, attempt=attempt))


async def agent_connect(request: Request) -> Response:
    form, queue, _ = await _queued_call(request)
    return Response(await agent_line.connect(request.app.state.ctx, form, queue=queue), media_type=TWIML)


async def _callback_call(request: Request) -> tuple[dict[str, str], int, int]:
    form = await _form(request)
    try:
        return form, int(request.query_params["callback"]), int(request.query_params["attempt"])
    except (KeyError, ValueError):
        raise HTTPException(400, "callback and attempt must be numbers") from None


async def callback_answer(request: Request) -> Response:
    form, callback_id, attempt = await _callback_call(request)
    ctx = request.app.state.ctx
    return await _twiml_once(
        request, form, lambda: callback_calls.answer(ctx, form, callback_id=callback_id, attempt=attempt)
    )


async def callback_connect(request: Request) -> Response:
    form, callback_id, attempt = await _callback_call(request)
    ctx = request.app.state.ctx
    tries = request.query_params.get("tries", "")
    tries = int(tries) if tries.isdigit() else 1
    return await _twiml_once(
        request, form, lambda: callback_calls.connect(ctx, form, callback_id=callback_id, attempt=attempt, tries=tries)
    )


async def callback_wait(request: Request) -> Response:
    form, callback_id, attempt = await _callback_call(request)
    twiml = await callback_calls.wait(request.app.state.ctx, form, callback_id=callback_id, attempt=attempt)
    return Response(twiml, media_type=TWIML)


async def callback_queued(request: Request) -> Response:
    form, callback_id, attempt = await _callback_call(request)
    ctx = request.app.state.ctx
    language = ctx.settings.language(request.query_params.get("lang")).code
    return await _twiml_once(
        request,
        form,
        lambda: callback_calls.queued(ctx, form, callback_id=callback_id, attempt=attempt, language=language),
    )


async def callback_status(request: Request) -> Response:
    form, callback_id, attempt = await _callback_call(request)
    ctx = request.app.state.ctx
    return await _recorded_once(
        request, form, lambda: callback_calls.status(ctx, form, callback_id=callback_id, attempt=attempt)
    )


routes = [
    Route("/voice/incoming", incoming, methods=["POST"]),
    Route("/voice/step", step, methods=["POST"]),
    Route("/voice/status", status, methods=["POST"]),
    Route("/voice/queue/wait", queue_wait, methods=["POST"]),
    Route("/voice/queue/keys", queue_keys, methods=["POST"]),
    Route("/voice/queue/result", queue_result, methods=["POST"]),
    Route("/voice/agent", agent, methods=["POST"]),
    Route("/voice/agent/pin", agent_pin, methods=["POST"]),
    Route("/voice/agent/next", agent_next, methods=["POST"]),
    Route("/voice/agent/connect", agent_connect, methods=["POST"]),
    Route("/voice/callback/answer", callback_answer, methods=["POST"]),
    Route("/voice/callback/connect", callback_connect, methods=["POST"]),
    Route("/voice/callback/wait", callback_wait, methods=["POST"]),
    Route("/voice/callback/queued", callback_queued, methods=["POST"]),
    Route("/voice/callback/status", callback_status, methods=["POST"]),
]
