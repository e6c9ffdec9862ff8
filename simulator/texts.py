"""A text to the service, delivered as Twilio delivers an SMS; its <Message> replies read back."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from simulator.line import Line
from simulator.transport import ACCOUNT_SID, DriverError, Transport, new_sid


async def send_text(
    transport: Transport,
    *,
    sender: str,
    to: str,
    body: str,
    account_sid: str = ACCOUNT_SID,
    path: str = "/sms/incoming",
) -> list[Line]:
    """Text the service as Twilio delivers an SMS; the <Message> replies as Lines (none when it sends no reply)."""
    form = {
        "MessageSid": new_sid("SM"),
        "AccountSid": account_sid,
        "From": sender,
        "To": to,
        "Body": body,
        "NumMedia": "0",
        "ApiVersion": "2010-04-01",
    }
    status, text = await transport.post(path, form)
    if status >= 400:
        raise DriverError(f"the server answered {status} to {path}", status)
    if not text.strip():
        return []
    try:
        root = ET.fromstring(text)
    except ET.ParseError:
        raise DriverError(f"{path} did not answer with TwiML: {text[:120]!r}") from None
    return [_reply(message) for message in root.iter("Message")]


def _reply(message: ET.Element) -> Line:
    body = message.find("Body")
    return Line("service", (body.text if body is not None else message.text) or "", None, "text")
