"""Outbound text messages, sent from rq jobs through the Twilio client, never from a web request."""

from __future__ import annotations

from core.worker import context


def send_text(*, to: str, body: str) -> str:
    """Send one SMS from the city's 311 number and return Twilio's message SID."""
    ctx = context()
    message = ctx.twilio.messages.create(to=to, from_=ctx.settings.numbers[0], body=body)
    return message.sid
