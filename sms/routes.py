"""The messaging webhook: read Twilio's signed form, check its fields at the edge, answer with TwiML <Message>."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from twilio.twiml.messaging_response import MessagingResponse

from core import deliveries, replay, text_rules, twilio_fields
from core.twilio_auth import signed_form
from sms import messages

EMPTY = str(MessagingResponse())  # no reply


async def incoming(request: Request) -> Response:
    form = twilio_fields.clean(await signed_form(request))
    twilio_fields.require_sid(form, "MessageSid", "SM", "MM")  # MM: a message with pictures
    twilio_fields.check_account(form)
    if not form.get("From"):
        raise HTTPException(400, "From is required")
    ctx = request.app.state.ctx

    async def answer() -> str:
        response = MessagingResponse()
        reply = await messages.handle(ctx, form)
        if reply:
            response.message(reply)
        return text_rules.xml_document(response)

    # Twilio may deliver one message twice: the same MessageSid gets one reply and one record. Redis keeps the reply
    # for ten minutes (REPLAY_TTL); the database keeps the MessageSid for good, so a signed re-send later (a STOP,
    # START, REPORT, CALL ME...) is answered with silence and changes nothing.
    # The texter's conversation is read with the claim, in its round trip.
    conversation = messages.sessions(ctx).key(messages.texter(form))
    durable = replay.Durable(ctx.engine, deliveries.sms_key(form["MessageSid"]), EMPTY, reads=(conversation,))
    twiml = await replay.once(ctx.redis, f"replay:sms:{form['MessageSid']}", answer, durable=durable)
    return Response(twiml, media_type="application/xml")


routes = [Route("/sms/incoming", incoming, methods=["POST"])]
