"""Redis going away and coming back: /healthz says so at once and is 200 again within seconds, with no restart."""

from __future__ import annotations

import dataclasses
import time

from starlette.testclient import TestClient

from app import create_app
from core.redis import EmbeddedRedis


def test_healthz_is_back_within_ten_seconds_of_redis_returning(settings, engine, tmp_path):
    server = EmbeddedRedis(tmp_path / "var")
    server.start()
    try:
        with TestClient(create_app(dataclasses.replace(settings, redis_url=server.url))) as client:
            assert client.get("/healthz").status_code == 200
            server.process.kill()
            server.process.wait()
            started = time.monotonic()
            down = client.get("/healthz")
            assert down.status_code == 503 and down.json()["redis"].startswith("down")
            assert time.monotonic() - started < 5  # an outage is reported, not waited out
            server.start()
            back = time.monotonic()
            while client.get("/healthz").status_code != 200:
                assert time.monotonic() - back < 10, "healthz did not recover within 10 s of Redis returning"
                time.sleep(0.2)
    finally:
        server.stop()


def test_embedded_redis_restarts_on_the_same_url_and_stop_ends_only_its_own_server(tmp_path):
    first, second = EmbeddedRedis(tmp_path / "a"), EmbeddedRedis(tmp_path / "b")
    first.start()
    second.start()
    try:
        url, pid = first.url, first.process.pid
        first.process.kill()
        first.process.wait()
        first.start()
        assert first.url == url and first.process.pid != pid
        second.stop()
        import redis

        assert redis.Redis.from_url(first.url).ping()
    finally:
        first.stop()
        second.stop()
