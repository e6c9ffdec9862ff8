"""Slow clients: a connection that sends nothing, trickles its headers or stalls its body is closed in time."""

from __future__ import annotations

import contextlib
import socket
import threading
import time

import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from core.instance import listen
from core.web import DeadlineHttpToolsProtocol, protocol_for, uvicorn_config
from settings import WebSettings

LIMITS = WebSettings(header_timeout=1, body_timeout=1, keep_alive=5, max_connections=3, max_header_bytes=4096)


async def echo(request: Request) -> PlainTextResponse:
    return PlainTextResponse(f"got {len(await request.body())} bytes")


@pytest.fixture(params=["httptools", "h11"])
def server(request):
    """A real uvicorn on a free port with the [web] limits above, on each HTTP parser; yields (host, port)."""
    sock = listen("127.0.0.1", 0)
    app = Starlette(routes=[Route("/", echo, methods=["GET", "POST"])])
    uv = uvicorn.Server(uvicorn_config(app, LIMITS, log_level="warning", http=protocol_for(LIMITS, request.param)))
    thread = threading.Thread(target=uv.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not uv.started:
        time.sleep(0.01)
    yield sock.getsockname()[:2]
    uv.should_exit = True
    thread.join(10)
    sock.close()


@contextlib.contextmanager
def connect(address):
    with socket.create_connection(address, timeout=5) as conn:
        yield conn


def read_until_closed(conn) -> tuple[bytes, float]:
    """Everything the server sends until it closes, and how long that took."""
    started, data = time.monotonic(), b""
    while chunk := conn.recv(4096):
        data += chunk
    return data, time.monotonic() - started


def test_a_connection_that_sends_nothing_gets_408_and_is_closed(server):
    with connect(server) as conn:
        data, seconds = read_until_closed(conn)
    assert data.startswith(b"HTTP/1.1 408") and seconds < 3


def test_trickled_headers_do_not_extend_the_deadline(server):
    with connect(server) as conn:
        conn.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")
        started = time.monotonic()
        with contextlib.suppress(OSError):
            for i in range(20):  # a header every 0.2 s would keep an idle-gap timer happy for ever
                time.sleep(0.2)
                conn.sendall(b"X-Slow-%d: 1\r\n" % i)
        data, _ = read_until_closed(conn)
    assert time.monotonic() - started < 3
    assert b"200 OK" not in data


def test_a_stalled_body_is_cut_off(server):
    with connect(server) as conn:
        conn.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n0123456789")
        data, seconds = read_until_closed(conn)
    assert seconds < 3 and b"got" not in data


def read_response(conn) -> bytes:
    """One whole HTTP response (headers and Content-Length body), however the bytes were split."""
    data = b""
    while b"\r\n\r\n" not in data:
        data += conn.recv(4096)
    head, body = data.split(b"\r\n\r\n", 1)
    headers = dict(line.split(b": ", 1) for line in head.split(b"\r\n")[1:])
    length = int({k.lower(): v for k, v in headers.items()}[b"content-length"])
    while len(body) < length:
        body += conn.recv(4096)
    return head + b"\r\n\r\n" + body


def test_keep_alive_connections_still_work_after_an_idle_pause(server):
    with connect(server) as conn:
        for _ in range(2):
            conn.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            assert read_response(conn).startswith(b"HTTP/1.1 200 OK")
            time.sleep(1.5)  # longer than header_timeout, shorter than keep_alive


def test_past_max_connections_requests_get_503(server):
    with connect(server), connect(server), connect(server), connect(server) as conn:
        conn.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        assert conn.recv(4096).startswith(b"HTTP/1.1 503")


def test_headers_over_the_cap_are_refused_and_the_connection_closed(server, request):
    if request.node.callspec.params["server"] == "h11":
        pytest.skip("h11 caps only headers still arriving (h11_max_incomplete_event_size)")
    with connect(server) as conn:
        conn.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n" + b"X-Big: " + b"a" * 5000 + b"\r\n\r\n")
        data, seconds = read_until_closed(conn)
    assert data.startswith(b"HTTP/1.1 400") and seconds < 3


def test_a_request_after_a_pause_on_a_keep_alive_connection_still_has_a_header_deadline(server):
    with connect(server) as conn:
        conn.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        assert read_response(conn).startswith(b"HTTP/1.1 200 OK")
        conn.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")  # the next request never finishes its headers
        data, seconds = read_until_closed(conn)
    assert seconds < 3 and b"200 OK" not in data


def test_uvicorn_gets_the_configured_limits():
    config = uvicorn_config(None, LIMITS)
    assert config.limit_concurrency == 3 and config.timeout_keep_alive == 5
    assert config.loop == "uvloop" and issubclass(config.http, DeadlineHttpToolsProtocol)
    assert config.http.max_header_bytes == 4096 and config.h11_max_incomplete_event_size == 4096
    assert config.http.header_timeout == 1 and config.http.body_timeout == 1
