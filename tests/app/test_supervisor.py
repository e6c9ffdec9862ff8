"""The supervisor restarts a child that exits, with back-off reset after a stable minute; one var/, one instance."""

from __future__ import annotations

import socket
import subprocess
import sys
import time

import pytest

from app.supervisor import Child, Supervisor
from core.instance import InstanceLock, StartError, listen
from core.processes import backoff


def test_backoff_doubles_up_to_thirty_seconds():
    assert [backoff(n) for n in range(1, 8)] == [1, 2, 4, 8, 16, 30, 30]


class Clock:
    now = 1000.0

    def __call__(self):
        return self.now


def finished(process: subprocess.Popen) -> subprocess.Popen:
    process.wait()
    return process


def test_an_exiting_child_is_restarted_with_growing_back_off_and_the_others_are_left_alone():
    clock, said = Clock(), []
    crashing = Child("worker", lambda: finished(subprocess.Popen([sys.executable, "-c", "raise SystemExit(3)"])))
    steady = Child("web", lambda: subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"]))
    supervisor = Supervisor([crashing, steady], clock=clock, say=said.append)
    try:
        for child in (crashing, steady):
            supervisor.start(child)
        web = steady.process
        delays = []
        for _ in range(4):
            supervisor.poll()  # notices the exit and schedules the restart
            delays.append(crashing.restart_at - clock.now)
            clock.now = crashing.restart_at
            supervisor.poll()  # the wait is over: started again (and it exits again at once)
        assert delays == [1, 2, 4, 8]
        assert said[0] == "supervisor: worker exited with code 3; restarting it in 1 s"
        clock.now += 61  # this run lasted more than a minute: the next restart is quick again
        supervisor.poll()
        assert crashing.restart_at - clock.now == 1
        assert steady.process is web and web.poll() is None  # the web process never went down
    finally:
        supervisor.stop(timeout=5)
    assert web.poll() is not None


def test_stop_ends_every_child_and_its_helpers():
    script = "import subprocess, sys, time; subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)']); " \
             "time.sleep(60)"
    child = Child("worker", lambda: subprocess.Popen([sys.executable, "-c", script], start_new_session=True))
    supervisor = Supervisor([child], say=lambda line: None)
    supervisor.start(child)
    import psutil

    time.sleep(0.5)
    family = [psutil.Process(child.process.pid), *psutil.Process(child.process.pid).children(recursive=True)]
    assert len(family) == 2
    supervisor.stop(timeout=5)
    gone, alive = psutil.wait_procs(family, timeout=5)
    assert alive == []


def test_one_instance_per_folder_naming_the_owner(tmp_path):
    first = InstanceLock.acquire(tmp_path)
    try:
        with pytest.raises(StartError, match=r"another OneCall 311 \(pid \d+\) is already running on"):
            InstanceLock.acquire(tmp_path)
    finally:
        first.release()
    InstanceLock.acquire(tmp_path).release()  # free again once released (or once its process dies)


def test_a_port_in_use_is_one_clear_line():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(StartError) as err:
            listen("127.0.0.1", port)
    assert str(err.value).startswith(f"port {port} is in use: pass --port")
    with listen("127.0.0.1", 0) as sock:
        assert sock.getsockname()[1] > 0
