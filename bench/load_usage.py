"""What the load bench's servers use while it runs: CPU time of our processes (by role), of the PostgreSQL server
on this machine, and resident memory by process; read from /proc through psutil."""

from __future__ import annotations

import contextlib
import math
from collections import Counter
from urllib.parse import urlsplit


def cpu_seconds(pid: int | None, role: str | None = None) -> float:
    """CPU time (user and system) a server and all its processes have used, those that ended included (nan: none);
    with role ("web"...), only that role's processes and their helpers."""
    if pid is None:
        return math.nan
    import psutil

    total = 0.0
    try:
        top = psutil.Process(pid)
        family = [top, *top.children(recursive=True)] if role is None else [
            proc for child in top.children() if role in child.cmdline()[-3:]
            for proc in (child, *child.children(recursive=True))]
    except psutil.Error:
        return math.nan
    for proc in family:
        with contextlib.suppress(psutil.Error):
            times = proc.cpu_times()
            total += times.user + times.system + times.children_user + times.children_system
    return total


def database_cpu(database_url: str) -> dict[int, float] | None:
    """CPU time (user and system) each process of the PostgreSQL server on this machine has used so far; None when
    the database is SQLite (its work is inside our processes, already counted) or on another machine."""
    host = urlsplit(database_url).hostname if database_url.startswith("postgresql") else None
    if host not in ("127.0.0.1", "localhost", "::1", ""):
        return None
    import psutil

    used = {}
    for proc in psutil.process_iter(["name", "cpu_times"]):
        times = proc.info["cpu_times"]
        if proc.info["name"] in ("postgres", "postmaster") and times is not None:
            used[proc.pid] = times.user + times.system
    return used or None


def used_since(before: dict[int, float] | None, after: dict[int, float] | None) -> float:
    """CPU seconds the processes of `after` used since `before` (one started since counts from zero; one that ended
    in between is not seen, so a connection closed mid-step makes this a little low); nan without both."""
    if before is None or after is None:
        return math.nan
    return sum(max(0.0, used - before.get(pid, 0.0)) for pid, used in after.items())


def memory(pid: int | None) -> dict[str, float]:
    """Resident memory (MB) of a server and each of its processes, by role ("web 1", "worker", "redis"...); the
    helpers a process starts (rq's scheduler, a job's work horse) are counted with it."""
    if pid is None:
        return {}
    import psutil

    found: dict[str, float] = {}
    try:
        top = psutil.Process(pid)
        found["supervisor"] = top.memory_info().rss / 2**20
        children = top.children()
    except psutil.Error:
        return found
    roles: Counter = Counter()
    for child in children:
        with contextlib.suppress(psutil.Error):
            line = child.cmdline()
            role = "redis" if "redis" in line[0] else next((r for r in ("web", "worker", "cron") if r in line[-3:]),
                                                           "other")
            roles[role] += 1
            rss = child.memory_info().rss + sum(helper.memory_info().rss for helper in child.children(recursive=True))
            found[f"{role} {roles[role]}"] = rss / 2**20
    return found
