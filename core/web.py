"""Serving HTTP with uvicorn on uvloop and httptools, hardened against slow clients: header and body read deadlines,
a header size cap, a connection cap."""

from __future__ import annotations

import socket

import h11
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from core.defaults import WEB_SHUTDOWN_GRACE_SECONDS
from settings import WebSettings

TIMEOUT_408 = b"HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"


class _Deadlines:
    """A deadline for the phase a request is in (its headers, its body), for the whole phase, not the gap between
    bytes, so trickling does not reset it; at the deadline the connection is closed (408 if no request came)."""

    header_timeout: float = 10.0
    body_timeout: float = 10.0

    def _set_phase(self, phase: str | None) -> None:
        if phase == self._phase:
            return
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None
        self._phase = phase
        if phase is not None:
            seconds = self.header_timeout if phase == "headers" else self.body_timeout
            self._deadline = self.loop.call_later(seconds, self._expire, phase)

    def _expire(self, phase: str) -> None:
        self._deadline = None
        if self.transport.is_closing():
            return
        self.logger.info("closing a connection from %s: request %s not received in time", self.client, phase)
        if phase == "headers":
            self.transport.write(TIMEOUT_408)  # no request yet, so nothing else is writing
        self.transport.close()


class DeadlineH11Protocol(_Deadlines, H11Protocol):
    """uvicorn's h11 protocol plus deadlines for reading a request, which uvicorn does not have.

    Without them a client that connects and sends nothing, or trickles its headers or body a byte at a time,
    holds a connection (and a slot of max_connections) forever. The deadline is for the whole phase, not the
    gap between bytes, so trickling does not reset it.
    """

    def connection_made(self, transport) -> None:  # type: ignore[override]
        """Start the header deadline as the connection opens."""
        self._phase: str | None = None
        self._deadline = None
        super().connection_made(transport)
        self._watch()

    def data_received(self, data: bytes) -> None:
        """Feed h11 as uvicorn does, then move the deadline to the phase the request is now in."""
        super().data_received(data)
        self._watch()

    def on_response_complete(self) -> None:
        """After a response: the keep-alive timer runs until the next request's first byte."""
        super().on_response_complete()
        self._watch()

    def connection_lost(self, exc: Exception | None) -> None:
        """Cancel the deadline with the connection."""
        self._set_phase(None)
        super().connection_lost(exc)

    def _watch(self) -> None:
        if self.transport is None or self.transport.is_closing():
            return self._set_phase(None)
        theirs = self.conn.their_state
        if theirs is h11.IDLE and self.conn.our_state is h11.IDLE:
            # Waiting for a request: a new connection, or a keep-alive one whose next request has begun to arrive
            # (an idle keep-alive connection is uvicorn's keep-alive timer's business).
            waiting = self.cycle is None or bool(self.conn.trailing_data[0]) or self._phase == "headers"
            self._set_phase("headers" if waiting else None)
        elif theirs is h11.SEND_BODY:
            self._set_phase("body")
        else:
            self._set_phase(None)  # the request is in; answering it is the app's time, not the client's

class HeadersTooLarge(ValueError):
    """The request line and headers passed max_header_bytes (uvicorn answers 400 and closes, as h11 does)."""


class DeadlineHttpToolsProtocol(_Deadlines, HttpToolsProtocol):
    """uvicorn's httptools protocol (C parser, the fast one) with DeadlineH11Protocol's deadlines and a header cap.

    httptools has no states to ask, so the phase follows its callbacks: from the first byte of a request (or the
    connection opening) to its headers' end, then to its message's end; the app's time and an idle keep-alive
    connection have no deadline here. httptools has no header size limit of its own: max_header_bytes counts the URL
    and every header name and value.
    """

    max_header_bytes: int = 16384

    def connection_made(self, transport) -> None:  # type: ignore[override]
        """Start the header deadline as the connection opens."""
        self._phase: str | None = None
        self._deadline = None
        self._header_bytes = 0
        super().connection_made(transport)
        self._set_phase("headers")

    def data_received(self, data: bytes) -> None:
        """A first byte after an answered request starts the next request's header deadline; then parse."""
        if self._phase is None and (self.cycle is None or self.cycle.response_complete) and not self.pipeline:
            self._header_bytes = 0
            self._set_phase("headers")
        super().data_received(data)

    def on_message_begin(self) -> None:
        """A new request: its headers are counted afresh."""
        self._header_bytes = 0
        super().on_message_begin()

    def on_url(self, url: bytes) -> None:
        """Count the URL against max_header_bytes."""
        self._count(len(url))
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        """Count each header against max_header_bytes."""
        self._count(len(name) + len(value) + 4)
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        """The headers are in: the body deadline runs until the message is complete."""
        super().on_headers_complete()
        if self._phase == "headers":
            self._set_phase("body")

    def on_message_complete(self) -> None:
        """The request is in; answering it is the app's time, not the client's."""
        super().on_message_complete()
        self._set_phase(None)

    def connection_lost(self, exc: Exception | None) -> None:
        """Cancel the deadline with the connection."""
        self._set_phase(None)
        super().connection_lost(exc)

    def _count(self, size: int) -> None:
        self._header_bytes += size
        if self._header_bytes > self.max_header_bytes:
            raise HeadersTooLarge(f"request headers over {self.max_header_bytes} bytes")  # httptools: a parse error


def protocol_for(web: WebSettings, http: str = "httptools") -> type[DeadlineHttpToolsProtocol | DeadlineH11Protocol]:
    """The protocol class with this configuration's deadlines (uvicorn instantiates it per connection); `http` is
    "httptools" (served) or "h11" (pure Python, kept for a machine without the C parser)."""
    base = DeadlineHttpToolsProtocol if http == "httptools" else DeadlineH11Protocol
    limits = {"header_timeout": web.header_timeout, "body_timeout": web.body_timeout}
    if base is DeadlineHttpToolsProtocol:
        limits["max_header_bytes"] = web.max_header_bytes
    return type(f"Configured{base.__name__}", (base,), limits)


def uvicorn_config(app, web: WebSettings, **extra) -> uvicorn.Config:
    """uvicorn's configuration from config.toml [web]."""
    options = {
        "http": protocol_for(web),
        "loop": "uvloop",
        "timeout_keep_alive": web.keep_alive,
        "limit_concurrency": web.max_connections,
        "h11_max_incomplete_event_size": web.max_header_bytes,  # with protocol_for(web, "h11")
        "proxy_headers": True,  # X-Forwarded-For/-Proto from a proxy on this machine (forwarded_allow_ips)
        "log_level": "info",
        # No handlers of uvicorn's own: its lines (the access log too) go through core.logs, redacted and timestamped.
        "log_config": None,
        # At a stop, requests still running get a few seconds; an endless one (the console's live event stream) is
        # then ended, and its browser reconnects to the next web process.
        "timeout_graceful_shutdown": WEB_SHUTDOWN_GRACE_SECONDS,
    }
    return uvicorn.Config(app, **{**options, **extra})


def serve(app, web: WebSettings, sock: socket.socket) -> None:
    """Serve app on an already listening socket until SIGTERM or Ctrl-C."""
    host, port = sock.getsockname()[:2]  # so uvicorn's "running on" line names the real address
    uvicorn.Server(uvicorn_config(app, web, host=host, port=port)).run(sockets=[sock])
