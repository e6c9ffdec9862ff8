"""Request bodies are limited while they stream in: a large body is refused before it is buffered."""

from __future__ import annotations

import asyncio
import threading
import time
from urllib.parse import urlencode

import psutil
import pytest
from sqlmodel import Session, select
from starlette.requests import Request
from starlette.responses import PlainTextResponse

from core.body_limit import BodyLimit, Limit
from core.defaults import API_BODY_LIMIT, WEBHOOK_BODY_LIMIT
from ivr.models import Call
from tests.helpers import Caller, sign
from tests.served import raw_post, served

MB = 1024 * 1024
CHUNK = 64 * 1024


class PeakRss:
    """The highest resident set size of this process, sampled every millisecond while in use."""

    def __init__(self) -> None:
        self._process = psutil.Process()
        self.start = self.peak = self._process.memory_info().rss
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.wait(0.001):
            self.peak = max(self.peak, self._process.memory_info().rss)

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self._process.memory_info().rss)

    @property
    def growth(self) -> int:
        return self.peak - self.start


def _webhook_form(size: int) -> tuple[dict[str, str], bytes]:
    form = {
        "CallSid": "CA" + "d" * 32,
        "AccountSid": "AC" + "1" * 32,
        "From": "+13125550147",
        "To": "+15555550311",
        "CallStatus": "ringing",
        "SpeechResult": "x" * size,
    }
    return form, urlencode(form).encode()


def test_a_5_mb_webhook_streamed_in_chunks_is_refused_and_never_buffered(settings, engine, redis, clock):
    form, body = _webhook_form(5 * MB)
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "Transfer-Encoding": "chunked",
        "X-Twilio-Signature": sign("/voice/incoming", form),
    }
    with served(settings, clock) as port:
        raw_post(port, "/voice/incoming", headers, [b"x"], chunked=True)  # warm up: imports, connections
        view = memoryview(body)
        with PeakRss() as rss:
            status, _ = raw_post(
                port,
                "/voice/incoming",
                headers,
                (view[i : i + CHUNK] for i in range(0, len(body), CHUNK)),
                chunked=True,
            )
    assert status == 413
    assert rss.growth < 3 * MB, f"the process grew by {rss.growth / MB:.1f} MB"
    with Session(engine) as session:
        assert session.exec(select(Call)).all() == []


def test_a_content_length_over_the_limit_is_refused_before_the_body_is_read(settings, engine, redis, clock):
    form, body = _webhook_form(5 * MB)
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "Content-Length": str(len(body)),
        "X-Twilio-Signature": sign("/voice/incoming", form),
    }
    with served(settings, clock) as port:
        started = time.monotonic()
        status, head = raw_post(port, "/voice/incoming", headers, [body[:CHUNK]], chunked=False)
    assert status == 413 and b"connection: close" in head.lower()
    assert time.monotonic() - started < 5  # answered at once, not after waiting for the rest of the body


def test_content_length_beside_transfer_encoding_is_not_trusted(app, engine):
    caller = Caller(app)
    form, body = _webhook_form(10)
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "Content-Length": str(len(body)),
        "Transfer-Encoding": "chunked",
        "X-Twilio-Signature": sign("/voice/incoming", form),
    }
    assert app.post("/voice/incoming", content=body, headers=headers).status_code == 400
    assert caller.dial().status == 200  # an honest request is still answered


@pytest.mark.parametrize("length", [b"abc", b"-1", "１２".encode(), b"10, 20", b"1" * 30])
def test_a_content_length_that_is_not_one_plain_number_is_a_400(app, length):
    form, body = _webhook_form(10)
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "Content-Length": length,
        "X-Twilio-Signature": sign("/voice/incoming", form),
    }
    assert app.post("/voice/incoming", content=body, headers=headers).status_code == 400


def test_the_json_api_takes_larger_bodies_than_webhooks(app):
    just_under = b'{"text": "' + b"x" * (API_BODY_LIMIT - 100) + b'"}'
    too_big = b'{"text": "' + b"x" * API_BODY_LIMIT + b'"}'
    assert API_BODY_LIMIT > WEBHOOK_BODY_LIMIT
    assert app.post("/api/announcements", content=just_under).status_code == 401  # read, then refused: no token
    assert app.post("/api/announcements", content=too_big).status_code == 413


# ---------------------------------------------------------------- the middleware alone, over plain ASGI


def _run(limit: int, pieces: list[bytes], headers: list[tuple[bytes, bytes]] = ()) -> tuple[int, int]:
    """Call BodyLimit around an app that reads the whole body; returns (status, bytes the middleware pulled)."""

    async def reader(scope, receive, send):
        body = await Request(scope, receive).body()
        await PlainTextResponse(f"read {len(body)}")(scope, receive, send)

    pulled, sent = [0], []

    async def receive():
        piece = pieces.pop(0) if pieces else b""
        pulled[0] += len(piece)
        return {"type": "http.request", "body": piece, "more_body": bool(pieces)}

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": "/x", "headers": list(headers), "query_string": b""}
    asyncio.run(BodyLimit(reader, default=limit, limits=[Limit("/y", 10)])(scope, receive, send))
    return sent[0]["status"], pulled[0]


def test_the_middleware_stops_reading_at_the_first_chunk_past_the_limit():
    status, pulled = _run(100_000, [b"x" * 40_000] * 100)
    assert status == 413 and pulled == 120_000


def test_a_body_at_the_limit_passes():
    assert _run(100_000, [b"x" * 50_000] * 2) == (200, 100_000)
