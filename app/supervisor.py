"""run.py's supervisor: a child that exits is restarted with back-off; a stop ends every child, Redis last."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass

from core.processes import STABLE_SECONDS, backoff, die_with_parent


def spawn(argv: list[str], env: dict[str, str], pass_fds: tuple[int, ...] = ()) -> subprocess.Popen:
    """Start a child in its own process group (so a stop reaches its helpers too) that dies if we die."""
    return subprocess.Popen(
        argv, env=env, pass_fds=pass_fds, start_new_session=True, preexec_fn=die_with_parent, stdin=subprocess.DEVNULL
    )


@dataclass
class Child:
    """One supervised process: how to start it, and its restart bookkeeping."""

    name: str
    start: Callable[[], subprocess.Popen]
    last: bool = False  # stopped after the others (the embedded Redis, which they use while stopping)
    process: subprocess.Popen | None = None
    started_at: float = 0.0
    failures: int = 0
    restart_at: float | None = None


class Supervisor:
    """Keeps children running until stop() or a SIGTERM/SIGINT; each is independent of the others."""

    def __init__(self, children: list[Child], *, clock: Callable[[], float] = time.monotonic, say=None):
        self.children = children
        self.clock = clock
        self.say = say or logging.getLogger("onecall.supervisor").warning
        self.stopping = False

    def handle_signals(self) -> None:
        """SIGTERM and Ctrl-C stop the supervisor (and so every child) cleanly."""

        def stop(signum, _frame):
            self.stopping = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)

    def start(self, child: Child) -> None:
        """Start (or restart) one child now; a failure to start counts as an exit."""
        child.restart_at = None
        child.started_at = self.clock()
        try:
            child.process = child.start()
        except Exception as exc:  # e.g. the embedded Redis failing to come up: try again later
            child.process = None
            self._schedule_restart(child, f"{child.name} failed to start ({exc})")

    def poll(self) -> None:
        """One pass: notice exits, schedule restarts with back-off, and start those whose wait is over."""
        now = self.clock()
        for child in self.children:
            if child.process is not None and child.process.poll() is not None:
                code = child.process.returncode
                _end_group(child.process.pid, signal.SIGTERM)  # helpers it left behind (rq's scheduler)
                child.process = None
                how = f"signal {signal.Signals(-code).name}" if code < 0 else f"code {code}"
                if now - child.started_at >= STABLE_SECONDS:
                    child.failures = 0
                self._schedule_restart(child, f"{child.name} exited with {how}")
            if child.process is None and child.restart_at is not None and now >= child.restart_at:
                self.start(child)

    def _schedule_restart(self, child: Child, why: str) -> None:
        child.failures += 1
        delay = backoff(child.failures)
        child.restart_at = self.clock() + delay
        self.say(f"supervisor: {why}; restarting it in {delay:g} s")

    def run(self, tick: float = 0.2) -> None:
        """Supervise until stopping."""
        while not self.stopping:
            self.poll()
            time.sleep(tick)

    def stop(self, timeout: float = 10) -> None:
        """SIGTERM every child's group, the others before the last ones; SIGKILL what is still there after timeout."""
        for last in (False, True):
            group = [c for c in self.children if c.last is last and c.process is not None]
            for child in group:
                _end_group(child.process.pid, signal.SIGTERM)
            deadline = time.monotonic() + timeout
            for child in group:
                try:
                    child.process.wait(timeout=max(0.1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    child.process.kill()
                    child.process.wait()
                _end_group(child.process.pid, signal.SIGKILL)  # anything of its group still left
                child.process = None


def _end_group(pgid: int, signum: int) -> None:
    try:
        os.killpg(pgid, signum)
    except (ProcessLookupError, PermissionError):
        pass
