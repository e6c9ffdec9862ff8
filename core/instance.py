"""One `run.py` per var/ folder, and the listening socket taken before any child starts."""

from __future__ import annotations

import errno
import fcntl
import os
import socket
from pathlib import Path


class StartError(Exception):
    """Why this instance cannot start, in one line for the terminal."""


class InstanceLock:
    """var/run.lock, held with flock for as long as this process lives; it holds the owner's pid for others to name."""

    def __init__(self, path: Path, fd: int):
        self.path = path
        self._fd = fd

    @classmethod
    def acquire(cls, var_dir: Path) -> InstanceLock:
        """Take the lock or raise StartError naming the live instance that holds it."""
        var_dir.mkdir(parents=True, exist_ok=True)
        path = var_dir / "run.lock"
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            # The OS drops an flock when its holder dies, however it dies, so a stale file never blocks a start.
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            owner = os.pread(fd, 32, 0).decode(errors="replace").strip() or "unknown"
            os.close(fd)
            raise StartError(
                f"another OneCall 311 (pid {owner}) is already running on {var_dir}: stop it first, "
                "or give this one its own folder with ONECALL_VAR_DIR"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        return cls(path, fd)

    def release(self) -> None:
        """Give the folder up (the file stays: removing a locked file would let two holders lock two files)."""
        if self._fd >= 0:
            os.ftruncate(self._fd, 0)
            os.close(self._fd)
            self._fd = -1


def listen(host: str, port: int, backlog: int = 2048) -> socket.socket:
    """A listening TCP socket on host:port (port 0: any free one), or StartError saying what to do instead."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
    except socket.gaierror as exc:
        problem = f"cannot listen on {host}: {exc.strerror}: pass --host with an address of this machine"
        raise StartError(problem) from None
    sock = socket.socket(family, kind, proto)
    # As uvicorn does: a restart may bind while the last run's connections are in TIME_WAIT; a live listener
    # on the port still makes bind fail.
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)
        sock.listen(backlog)
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise StartError(f"port {port} is in use: pass --port with a free one (e.g. --port {port + 1}), "
                             "or stop what is using it") from None
        if exc.errno == errno.EACCES:
            raise StartError(f"port {port} needs administrator rights here: pass --port 1024 or above") from None
        raise StartError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    return sock
