"""Only requests addressed to this service by one of its own names are served; any other Host header gets 400.

A web page on an attacker's domain can re-point that domain's DNS at this server (DNS rebinding, aimed at one
running on a laptop or an office network in development mode) and then read its answers as same-origin; the
browser still sends the attacker's name as Host, so refusing foreign names ends the attack. The names: the host of
PUBLIC_BASE_URL, this machine's loopback names (a proxy on this machine may forward with them), the address the
process listens on, and ALLOWED_HOSTS. The port is not compared: a rebinding attacker cannot choose the name.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import urlsplit

from starlette.datastructures import Headers
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Receive, Scope, Send

LOOPBACK = frozenset({"localhost", "127.0.0.1", "::1"})
WILDCARDS = frozenset({"", "0.0.0.0", "::"})  # listening on every address names no host
_HOST = re.compile(r"^(?:\[(?P<ipv6>[0-9a-f:.]+)\]|(?P<name>[^:\[\]]+))(?::\d{1,5})?$")


def host_name(header: str) -> str | None:
    """The name in a Host header without its port, lower-case (IPv6 without brackets); None when malformed."""
    match = _HOST.match(header.strip().lower())
    if match is None:
        return None
    return match["ipv6"] or match["name"].rstrip(".")


def allowed_hosts(public_base_url: str, configured: Iterable[str] = (), listening: Iterable[str] = ()) -> frozenset:
    """Every name this service answers to."""
    public = urlsplit(public_base_url).hostname or ""
    bound = {name.strip("[]").lower() for name in listening} - WILDCARDS
    return LOOPBACK | {public.lower()} | {name.lower() for name in configured} | bound


class HostCheck:
    """ASGI middleware refusing (400) any HTTP or WebSocket request whose Host header is not one of ours."""

    def __init__(self, app: ASGIApp, *, hosts: frozenset[str]) -> None:
        self.app = app
        self.hosts = hosts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            name = host_name(Headers(scope=scope).get("host", ""))
            if name not in self.hosts:
                response = PlainTextResponse("Invalid host header", status_code=400)
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)
