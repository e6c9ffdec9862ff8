"""Twilio webhook authentication: every webhook's form is checked against X-Twilio-Signature (and its test-traffic
mark read, core.test_traffic)."""

from __future__ import annotations

import base64
import hashlib
import hmac
from urllib.parse import parse_qsl

from starlette.exceptions import HTTPException
from starlette.requests import Request
from twilio.request_validator import RequestValidator

from core import test_traffic
from core.defaults import WEBHOOK_BODY_LIMIT
from core.forms import FORM_TYPE


def public_url(base_url: str, request: Request) -> str:
    """The URL Twilio signed: the public base URL (behind any TLS proxy) plus path and query."""
    query = request.url.query
    return f"{base_url}{request.url.path}" + (f"?{query}" if query else "")


async def signed_form(request: Request) -> dict[str, str]:
    """The webhook's form fields, or an HTTP error when the body or its signature is not Twilio's."""
    settings = request.app.state.ctx.settings
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != FORM_TYPE:
        raise HTTPException(415, f"expected {FORM_TYPE}")
    body = await request.body()  # at most WEBHOOK_BODY_LIMIT: core.body_limit stops a larger one as it streams in
    if len(body) > WEBHOOK_BODY_LIMIT:
        raise HTTPException(413, "request body too large")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise HTTPException(400, "request body is not UTF-8") from None
    params = dict(parse_qsl(text, keep_blank_values=True))
    signature = request.headers.get("x-twilio-signature", "")
    url = public_url(settings.public_base_url, request)
    if not signature or not (_signed_as_is(settings.auth_token, url, params, signature)
                             or RequestValidator(settings.auth_token).validate(url, params, signature)):
        raise HTTPException(403, "invalid Twilio signature")
    # A scenario run or the browser phone marks its webhooks as test traffic; anything else is a resident.
    marked = request.headers.get(test_traffic.HEADER, "")
    test_traffic.enter(test_traffic.read(settings.auth_token, signature, marked) if marked else None)
    return params


def _signed_as_is(token: str, url: str, params: dict[str, str], signature: str) -> bool:
    # Twilio's HMAC-SHA1 over the URL and the sorted fields, as RequestValidator computes it, once and for the URL as
    # it is: the common case, at a tenth of the validator's cost (it signs each URL twice, with and without a port,
    # and looks every field up through three dictionary types). Anything else is the validator's to decide.
    data = url + "".join(name + params[name] for name in sorted(params))
    expected = base64.b64encode(hmac.new(token.encode(), data.encode(), hashlib.sha1).digest()).decode()
    return hmac.compare_digest(expected, signature.strip())
