"""Command-line sub-commands for supervisors: API tokens, surge messages and presets (`python run.py ...`)."""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import getpass
import json
import sys

from console import accounts, throttle, tokens
from console.models import Role, TokenScope
from console.throttle import LoginAttempts
from core import clock
from core.db import in_session, make_engine
from core.defaults import API_TOKEN_DAYS
from core.redis import sync_client
from knowledge import base
from queueing import agents
from settings import Settings
from surge import service as announcements
from surge.cache import publish_sync
from surge.models import AnnouncementCreate, AnnouncementPublic, Scope


def add_commands(sub) -> None:
    """Register `account`, `token`, `agent-pin`, `announce`, `preset` and `kb` on run.py's sub-command parser."""
    account = sub.add_parser("account", help="create and manage console accounts (people who sign in in a browser)")
    account.add_argument("action", choices=["create", "password", "role", "disable", "enable", "unlock", "list"])
    account.add_argument("name", nargs="?", help="the person's sign-in name, e.g. ana")
    account.add_argument("--role", choices=list(Role), help="what the account may do")
    account.add_argument("--agent", help="with create or role: the [[agents]] name an agent account works as")
    account.add_argument(
        "--password-stdin", action="store_true", help="read the password from the first line of standard input"
    )
    account.add_argument("--actor", default="cli")
    account.set_defaults(command=needing_redis(account_command, ("create", "password", "enable", "unlock")))
    kb = sub.add_parser("kb", help="import the knowledge files (knowledge/files/*.toml) into the database")
    kb.add_argument("action", choices=["import"])
    kb.add_argument("--prune", action="store_true", help="also delete articles that are no longer in the files")
    kb.set_defaults(command=needing_redis(kb_command))
    token = sub.add_parser("token", help="create, revoke or list API tokens for the supervisors' API")
    token.add_argument("action", choices=["create", "revoke", "list"])
    token.add_argument("name", nargs="?", help="who or what holds the token, e.g. ana or console")
    token.add_argument(
        "--scope",
        choices=list(TokenScope),
        default=TokenScope.READ,
        help="read: look only (default); supervisor: also change messages, presets and tickets",
    )
    token.add_argument("--days", type=int, default=API_TOKEN_DAYS, help=f"expires after (default {API_TOKEN_DAYS})")
    token.add_argument("--actor", default="cli")
    token.set_defaults(command=token_command)
    pin = sub.add_parser("agent-pin", help="set an agent's PIN for the agent line (typed twice, not shown)")
    pin.add_argument("name", help="the agent's name in config.toml [[agents]], e.g. Ana")
    pin.add_argument("--pin-stdin", action="store_true", help="read the PIN from the first line of standard input")
    pin.add_argument("--actor", default="cli")
    pin.set_defaults(command=needing_redis(agent_pin_command))
    announce = sub.add_parser("announce", help="list, set or end surge messages")
    announce.add_argument("action", choices=["list", "set", "end", "all-clear"])
    announce.add_argument("--scope", choices=list(Scope), default=Scope.GREETING)
    announce.add_argument("--text", action="append", default=[], metavar="LANG=TEXT", help="e.g. en-US='Roads closed'")
    announce.add_argument("--hours", type=float, help="end the message after this many hours")
    announce.add_argument("--priority", type=int, default=0)
    announce.add_argument("--id", type=int, help="the message to end")
    announce.add_argument("--actor", default="cli")
    announce.set_defaults(command=needing_redis(announce_command, ("set", "end", "all-clear")))
    preset = sub.add_parser("preset", help="apply a ready-made set of surge messages, e.g. storm")
    preset.add_argument("name")
    preset.add_argument("--end", action="store_true", help="take the preset's messages off the air")
    preset.add_argument("--actor", default="cli")
    preset.set_defaults(command=needing_redis(preset_command))


REDIS_MISSING = ("config error: REDIS_URL: is not set here, but the database is shared: this change reaches the other "
                 "machines' processes through their Redis, so set REDIS_URL as on them; nothing was changed")


def needing_redis(command, actions: tuple[str, ...] | None = None):
    """The command, refused before it changes anything when its change would not reach the other machines' processes.

    A shared (non-SQLite) database without REDIS_URL means a machine of a several-machine setup: a message, a
    knowledge import or an unlock written to the database alone would not be seen until each process restarted."""

    @functools.wraps(command)
    def run(settings: Settings, args: argparse.Namespace) -> int:
        wanted = actions is None or getattr(args, "action", None) in actions
        shared = not settings.database_url.startswith("sqlite")
        if wanted and shared and not (settings.redis_url or _embedded_url(settings)):
            print(REDIS_MISSING, file=sys.stderr)
            return 2
        return command(settings, args)

    return run


def account_command(settings: Settings, args: argparse.Namespace) -> int:
    """Create an account (the first admin, too), set its password, role or state, or list them all."""
    if args.action == "list":
        rows = _db(settings, accounts.list_accounts)
        print(f"{'NAME':32} {'ROLE':15} {'STATE':9} CREATED")
        for row in rows:
            print(f"{row['name']:32} {row['role']:15} {row['state']:9} {row['created_at'][:19]}")
        return 0
    if not args.name:
        print(f"error: name: which account to {args.action}")
        return 2
    if args.action in ("create", "role") and not args.role:
        print(f"error: --role: give the account's role ({', '.join(Role)})")
        return 2
    try:
        if args.action in ("create", "role") and args.agent:  # checked before the account is made
            accounts.check_agent(args.agent, known=tuple(agent.name for agent in settings.agents))
        if args.action in ("create", "password"):
            password = _new_password(args)
            if password is None:
                return 2
            if args.action == "create":
                _db(settings, accounts.create_account, name=args.name, role=Role(args.role), password=password,
                    actor=args.actor)
            else:
                _db(settings, accounts.set_password, name=args.name, password=password, actor=args.actor)
        elif args.action == "unlock":
            return _unlock(settings, args)
        elif args.action == "role":
            _db(settings, accounts.set_role, name=args.name, role=Role(args.role), actor=args.actor)
        if args.action in ("create", "role") and args.agent is not None:
            known = tuple(agent.name for agent in settings.agents)
            _db(settings, accounts.link_agent, name=args.name, agent=args.agent or None, known=known, actor=args.actor)
        else:
            _db(settings, accounts.set_disabled, name=args.name, disabled=args.action == "disable", actor=args.actor)
    except accounts.AccountError as exc:
        print(f"error: {exc.field}: {exc}")
        return 2
    if args.action in ("create", "password", "enable"):
        _redis(settings, lambda client: client.delete(LoginAttempts.key_for_name(args.name)))
    done = {"create": f"created, role {args.role}: sign in at /console/login", "password": "has a new password",
            "role": f"is now {args.role}", "disable": "is disabled; its sessions have ended",
            "enable": "may sign in again"}
    print(f"account {args.name} {done[args.action]}")
    return 0


def _unlock(settings: Settings, args: argparse.Namespace) -> int:
    """Lift every sign-in lock on the name (audited, with the addresses it was locked from)."""
    key = LoginAttempts.key_for_name(args.name)
    fields: dict = {}
    _redis(settings, lambda client: fields.update(client.hgetall(key)))
    locks = throttle.locks_in(fields, now=int(clock.now().timestamp()))
    _db(settings, accounts.record_unlock, name=args.name, locked_from=[lock.address for lock in locks],
        actor=args.actor)
    _redis(settings, lambda client: client.delete(key))
    print(f"account {args.name}: sign-in locks lifted ({len(locks)} address{'es' if len(locks) != 1 else ''})")
    return 0


def _new_password(args: argparse.Namespace) -> str | None:
    """The password from standard input, or typed twice without echo; None (and one line why) when they differ."""
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\n")
    password = getpass.getpass(f"Password for {args.name} (at least 12 characters, not shown): ")
    if getpass.getpass("The same password again: ") != password:
        print("error: password: the two passwords differ; nothing was changed")
        return None
    return password


def token_command(settings: Settings, args: argparse.Namespace) -> int:
    """Create a token (printed once), revoke one, or list them all."""
    now = clock.now()
    if args.action == "list":
        rows = _db(settings, tokens.list_tokens, now=now)
        print(f"{'NAME':24} {'SCOPE':10} {'STATE':8} {'CREATED':20} EXPIRES")
        for row in rows:
            print(
                f"{row['name']:24} {row['scope']:10} {row['state']:8} {row['created_at'][:19]:20} "
                f"{row['expires_at'][:19]}"
            )
        return 0
    if not args.name:
        print(f"error: name: which token to {args.action}")
        return 2
    try:
        if args.action == "revoke":
            _db(settings, tokens.revoke_token, name=args.name, now=now, actor=args.actor)
            print(f"token {args.name} revoked: it is refused from now on")
            return 0
        token = _db(
            settings,
            tokens.create_token,
            name=args.name,
            now=now,
            scope=TokenScope(args.scope),
            days=args.days,
            actor=args.actor,
        )
    except ValueError as exc:
        print(f"error: {exc}")
        return 2
    print(f"API token for {args.name}, scope {args.scope}, expires in {args.days} days (shown once; store it safely):")
    print(token)
    return 0


def agent_pin_command(settings: Settings, args: argparse.Namespace) -> int:
    """Set an agent's PIN (stored hashed, audited) and lift any lock wrong PINs put on their number."""
    agent = agents.agent_named(settings, args.name)
    if agent is None:
        known = ", ".join(a.name for a in settings.agents) or "none"
        print(f"error: name: no agent {args.name!r} in config.toml [[agents]] (agents: {known})")
        return 2
    if args.pin_stdin:
        pin = sys.stdin.readline().strip()
    else:
        pin = getpass.getpass(f"New PIN for {agent.name} (digits): ")
        if problem := agents.pin_problem(pin):  # said before asking for it again
            print(f"error: pin: {problem}; nothing was changed")
            return 2
        if getpass.getpass("The same PIN again: ") != pin:
            print("error: pin: the two PINs differ; nothing was changed")
            return 2
    try:
        _db(settings, agents.set_pin, agent=agent.name, pin=pin, actor=args.actor)
    except ValueError as exc:
        print(f"error: pin: {exc}")
        return 2
    _redis(settings, lambda client: client.delete(agents.PinAttempts.key_for(agent.phone)))
    print(f"PIN set for {agent.name}: they key it, then #, when they call the agent line.")
    return 0


def announce_command(settings: Settings, args: argparse.Namespace) -> int:
    """List, set or end messages; a change is on every call within seconds."""
    languages = [language.code for language in settings.languages]
    try:
        if args.action == "list":
            rows = _db(settings, announcements.current)
            print(json.dumps([r.model_dump(mode="json") for r in rows], indent=2, ensure_ascii=False))
            return 0
        if args.action == "all-clear":
            rows = _db(settings, announcements.all_clear, actor=args.actor)
            _publish(settings)
            print(f"all clear: {len(rows)} messages taken off the air")
            return 0
        if args.action == "end":
            if args.id is None:
                print("error: --id: which message to end")
                return 2
            row = _db(settings, announcements.deactivate, announcement_id=args.id, actor=args.actor)
            if row is None:
                print(f"error: --id: no message {args.id}")
                return 2
        else:
            texts = dict(t.split("=", 1) for t in args.text if "=" in t)
            now = clock.now()
            ends = now + dt.timedelta(hours=args.hours) if args.hours else None
            data = AnnouncementCreate(scope=Scope(args.scope), texts=texts, priority=args.priority, ends_at=ends)
            row = _db(settings, announcements.create, data=data, languages=languages, actor=args.actor)
    except announcements.AnnouncementError as exc:
        print(f"error: {exc.field}: {exc}")
        return 2
    _publish(settings)
    print(json.dumps(AnnouncementPublic.model_validate(row).model_dump(mode="json"), ensure_ascii=False))
    return 0


def preset_command(settings: Settings, args: argparse.Namespace) -> int:
    """Apply a preset."""
    languages = [language.code for language in settings.languages]
    try:
        if args.end:
            rows = _db(settings, announcements.end_preset, name=args.name, actor=args.actor)
        else:
            rows = _db(settings, announcements.apply_preset, name=args.name, languages=languages, actor=args.actor,
                       now=clock.now())
    except announcements.AnnouncementError as exc:
        print(f"error: {exc.field}: {exc}")
        return 2
    _publish(settings)
    print(f"preset {args.name}: {len(rows)} messages {'taken off' if args.end else 'on'} the air")
    return 0


def kb_command(settings: Settings, args: argparse.Namespace) -> int:
    """Import the knowledge files into the database and print what changed; every process reloads on its next call."""
    languages = [language.code for language in settings.languages]
    try:
        changes = _db(settings, base.import_files, directory=settings.knowledge_dir, languages=languages,
                      prune=args.prune)
    except base.KnowledgeFileError as exc:
        print(f"error: {exc}")
        return 2
    for change in changes:
        print(change.describe())
    if not any(change.any for change in changes):
        print("nothing to change")
    elif not _redis(settings, base.bump_version):
        print("note: no Redis running (REDIS_URL unset and run.py not started): processes see it when they start")
    return 0


def _db(settings: Settings, fn, **kwargs):
    engine = make_engine(settings.database_url)
    try:
        return in_session(engine, fn, **kwargs)
    finally:
        engine.dispose()


def _publish(settings: Settings) -> None:
    if not _redis(settings, publish_sync):
        print("note: no Redis running (REDIS_URL unset and run.py not started): processes see it when they start")


def _redis(settings: Settings, change) -> bool:
    """Apply change(client) to the running Redis; False when there is none (nothing is kept in it then)."""
    url = settings.redis_url or _embedded_url(settings)
    if url is None:
        return False
    client = sync_client(url)
    try:
        change(client)
    finally:
        client.close()
    return True


def _embedded_url(settings: Settings) -> str | None:
    # run.py writes the embedded Redis's address here while it runs.
    path = settings.var_dir / "redis.url"
    return path.read_text().strip() if path.exists() else None
