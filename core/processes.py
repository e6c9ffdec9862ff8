"""What every long-running process shares: restart back-off, and children that die with their parent."""

from __future__ import annotations

import ctypes
import signal
import sys

BACKOFF_CAP_SECONDS = 30
STABLE_SECONDS = 60  # a child that ran this long before exiting starts its back-off again from 1 s


def backoff(failures: int) -> float:
    """Seconds to wait before restarting a child after its nth exit in a row: 1, 2, 4, 8, 16, 30, 30..."""
    return float(min(BACKOFF_CAP_SECONDS, 2 ** max(0, failures - 1)))


def die_with_parent() -> None:
    """In a new child: ask Linux to SIGTERM it when the supervisor dies, even by SIGKILL (no orphans holding ports)."""
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # 1 = PR_SET_PDEATHSIG
