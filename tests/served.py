"""The real app on a real port (uvicorn in a thread of the test process), and a raw HTTP client for it.

The TestClient reads a whole request body before the app sees it; these send a body piece by piece, as a slow or
hostile client would, so a test can see what the app reads and when it answers.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterable

import uvicorn

import core.clock
from app import create_app
from tests.crm_bridge.open311_servers import free_port


@contextlib.contextmanager
def served(settings, clock, port: int | None = None):
    """The app for these settings served by uvicorn on this port (or a free one); yields the port."""
    port = port or free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(settings, clock=clock), port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield port
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        core.clock.install(None)  # create_app pinned this process's clock


def raw_post(
    port: int, path: str, headers: dict[str, str], chunks: Iterable[bytes], *, chunked: bool, timeout: float = 20
) -> tuple[int, bytes]:
    """POST over a plain socket, sending the body piece by piece; returns the status and the response's head.

    The body's pieces are sent as they are (chunked=False, with the caller's Content-Length) or in chunked framing.
    Sending stops quietly when the server closes the connection; a server still waiting for the rest of a body after
    `timeout` seconds raises TimeoutError.
    """
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        head = f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        sock.sendall(head.encode() + b"\r\n")
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            for chunk in chunks:
                sock.sendall(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n" if chunked else chunk)
            if chunked:
                sock.sendall(b"0\r\n\r\n")
        response = b""
        with contextlib.suppress(ConnectionResetError):
            while b"\r\n\r\n" not in response and (data := sock.recv(65536)):
                response += data
    return int(response.split(b" ", 2)[1]), response
