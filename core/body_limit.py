"""Request body limits, counted while the body streams in, so no request makes a process buffer more than its limit."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from starlette.responses import PlainTextResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Answers a refused body on some paths (Open311 has its own error format): (scope, status, reason) -> response.
Refusal = Callable[[Scope, int, str], Response]

_PLAIN_NUMBER = re.compile(rb"[0-9]{1,15}")  # ASCII digits only; 15 digits is far past any limit


def plain_refusal(scope: Scope, status: int, reason: str) -> Response:
    """The default answer to a refused body: the reason as plain text."""
    return PlainTextResponse(reason, status_code=status)


@dataclass(frozen=True)
class Limit:
    """The largest body accepted under a path prefix, and how a refusal is worded there."""

    prefix: str
    max_bytes: int
    refusal: Refusal = plain_refusal


class BodyTooLarge(Exception):
    """Raised from receive() when the body passes its limit; BodyLimit turns it into a 413."""


class BodyLimit:
    """ASGI middleware: a 413 as soon as a body is announced or read past its limit, a 400 for untrustworthy framing."""

    def __init__(self, app: ASGIApp, *, default: int, limits: Sequence[Limit] = ()) -> None:
        self.app = app
        self.default = Limit("", default)
        # The longest matching prefix wins, so a narrower rule can sit inside a wider one.
        self.limits = sorted(limits, key=lambda limit: len(limit.prefix), reverse=True)

    def limit_for(self, path: str) -> Limit:
        """The limit that applies to a request path."""
        return next((limit for limit in self.limits if path.startswith(limit.prefix)), self.default)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["path"])
        problem = framing_problem(scope["headers"], limit.max_bytes)
        if problem is not None:
            await _refuse(limit, scope, receive, send, *problem)
            return
        received = 0
        started = False

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit.max_bytes:
                    raise BodyTooLarge()
            return message

        async def watched(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, watched)
        except BodyTooLarge:
            if started:  # the app began its answer before reading on: it stands (unfinished, the server drops it)
                return
            await _refuse(limit, scope, receive, send, 413, _too_large(limit.max_bytes))


def framing_problem(headers: Sequence[tuple[bytes, bytes]], max_bytes: int) -> tuple[int, str] | None:
    """(status, reason) when the request's framing must be refused before its body is read; else None."""
    lengths = [value.strip() for name, value in headers if name.lower() == b"content-length"]
    chunked = any(name.lower() == b"transfer-encoding" for name, _ in headers)
    if not lengths:
        return None
    # A proxy and this server could each believe a different one of two framings (request smuggling): trust neither.
    if chunked:
        return 400, "Content-Length together with Transfer-Encoding is not accepted"
    if len(lengths) > 1 or not _PLAIN_NUMBER.fullmatch(lengths[0]):
        return 400, "Content-Length must be one plain number"
    if int(lengths[0]) > max_bytes:
        return 413, _too_large(max_bytes)
    return None


def _too_large(max_bytes: int) -> str:
    return f"the request body is larger than {max_bytes // 1024} KB"


async def _refuse(limit: Limit, scope: Scope, receive: Receive, send: Send, status: int, reason: str) -> None:
    response = limit.refusal(scope, status, reason)
    # The rest of the body is never read, so the connection cannot carry another request.
    response.headers["connection"] = "close"
    await response(scope, receive, send)
