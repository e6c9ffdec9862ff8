"""OneCall 311: `python run.py [--host H] [--port P] [--config PATH]` starts everything; sub-commands do the rest."""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))

from settings import ConfigError, Settings, load_settings  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    """Parse the command line and run the chosen command."""
    args = _parser().parse_args(argv)
    try:
        settings = load_settings(args.config)
    except ConfigError as exc:
        print(f"config error: {exc}", file=sys.stderr)
        return 2
    if args.command in (serve, web_only) and (problem := _data_problem(settings)):
        print(f"config error: {problem}", file=sys.stderr)
        return 2
    return args.command(settings, args)


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
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8311)
    parser.add_argument("--config", default=os.environ.get("ONECALL_CONFIG", str(ROOT / "config.toml")))
    parser.set_defaults(command=serve)
    sub = parser.add_subparsers()
    sub.add_parser("migrate", help="apply database migrations and load the knowledge base").set_defaults(
        command=migrate
    )
    web = sub.add_parser("web", help="run only the web process (REDIS_URL must be set)")
    web.set_defaults(command=web_only)
    sub.add_parser("worker", help="run only an rq worker with its scheduler (REDIS_URL must be set)").set_defaults(
        command=worker_only
    )
    sub.add_parser("cron", help="run the periodic-job scheduler (REDIS_URL must be set)").set_defaults(
        command=cron_only
    )
    simulate = sub.add_parser("simulate", help="make a test call from this terminal to a running server")
    simulate.add_argument("--url", default=None, help="the server (default http://HOST:PORT)")
    simulate.add_argument("--from", dest="caller", default="+13125550147")
    simulate.set_defaults(command=simulate_call)
    from console.cli import add_commands

    add_commands(sub)
    for p in (web,):
        p.add_argument("--host", default=argparse.SUPPRESS)
        p.add_argument("--port", type=int, default=argparse.SUPPRESS)
    return parser


def migrate(settings: Settings, args=None) -> int:
    """Apply migrations and load any language's knowledge file that is not in the database yet."""
    from core.db import in_session, make_engine
    from core.migrate import upgrade
    from flows.knowledge import seed

    if settings.database_url.startswith("sqlite"):
        settings.var_dir.mkdir(parents=True, exist_ok=True)
    upgrade(settings.database_url)
    engine = make_engine(settings.database_url)
    codes = [language.code for language in settings.languages]
    added = in_session(engine, seed, directory=settings.knowledge_dir, languages=codes)
    engine.dispose()
    if added:
        print(f"knowledge base: loaded {added} articles")
    return 0


def web_only(settings: Settings, args) -> int:
    """Serve HTTP in this process."""
    import uvicorn

    from app import create_app

    if not settings.redis_url:
        print("config error: REDIS_URL: must be set for `run.py web`", file=sys.stderr)
        return 2
    uvicorn.run(create_app(settings), host=args.host, port=args.port, log_level="info", proxy_headers=True)
    return 0


def worker_only(settings: Settings, args) -> int:
    """Run jobs in this process."""
    from core.worker import run_worker

    if not settings.redis_url:
        print("config error: REDIS_URL: must be set for `run.py worker`", file=sys.stderr)
        return 2
    run_worker(settings)
    return 0


def simulate_call(settings: Settings, args) -> int:
    """An interactive call in the terminal, signed with the same token the server checks."""
    from ivr.simulator import simulate

    return simulate(settings, url=args.url or f"http://{args.host}:{args.port}", caller=args.caller)


def cron_only(settings: Settings, args) -> int:
    """Enqueue periodic jobs (CRM outbox, CRM status polling) on their intervals until stopped."""
    from rq.cron import CronScheduler

    from app import schedule
    from core.redis import sync_client

    if not settings.redis_url:
        print("config error: REDIS_URL: must be set for `run.py cron`", file=sys.stderr)
        return 2
    cron = CronScheduler(connection=sync_client(settings.redis_url))
    schedule.register(cron)
    cron.start()
    return 0


def serve(settings: Settings, args) -> int:
    """Start embedded Redis if needed, migrate, then run the web process and a worker until stopped."""
    embedded = None
    env = dict(os.environ, ONECALL_CONFIG=str(Path(args.config).resolve()))
    if not settings.redis_url:
        from core.redis import start_embedded

        embedded, env["REDIS_URL"] = start_embedded(settings.var_dir)
        (settings.var_dir / "redis.url").write_text(env["REDIS_URL"])  # for `run.py announce` while we run
        print(f"redis: embedded server at {env['REDIS_URL']} (set REDIS_URL to use your own)")
    env["DATABASE_URL"] = settings.database_url
    migrate(settings)
    queue_outbox_reconcile(env["REDIS_URL"])
    if settings.dev_mode:
        print(
            "\n*** DEVELOPMENT MODE: TWILIO_AUTH_TOKEN is not set. Webhooks are accepted only when signed with the\n"
            f"*** local token in {settings.var_dir / 'dev-auth-token'}. Set TWILIO_AUTH_TOKEN in production. ***\n"
        )
    base = [sys.executable, str(ROOT / "run.py"), "--config", env["ONECALL_CONFIG"]]
    children = [
        subprocess.Popen([*base, "web", "--host", args.host, "--port", str(args.port)], env=env),
        subprocess.Popen([*base, "worker"], env=env),
        subprocess.Popen([*base, "cron"], env=env),
    ]
    print(f"web:      http://{args.host}:{args.port}/  (health: http://{args.host}:{args.port}/healthz)")
    print(f"webhooks: {settings.public_base_url}/voice/incoming, /voice/status (Twilio signs PUBLIC_BASE_URL)")
    print("worker:   rq worker with scheduler, queue 'default'; cron: CRM outbox every 60 s, CRM statuses every 120 s")
    return _supervise(children, embedded, settings.var_dir)


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


def _supervise(children: list[subprocess.Popen], embedded, var_dir: Path) -> int:
    stopping = False

    def stop(signum, _frame):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    code = 0
    try:
        while not stopping:
            for child in children:
                if child.poll() is not None:
                    print(f"process {child.args[3:5]} exited with {child.returncode}; stopping", file=sys.stderr)
                    code, stopping = child.returncode or 1, True
            time.sleep(0.2)
    finally:
        for child in children:
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 10
        for child in children:
            try:
                child.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.kill()
        if embedded is not None:
            embedded.shutdown()
            (var_dir / "redis.url").unlink(missing_ok=True)
        print("stopped")
    return code


if __name__ == "__main__":
    sys.exit(main())
