"""The first admin, and every account after, from a terminal: `run.py account create NAME --role admin`."""

from __future__ import annotations

import os
import subprocess
import sys

from sqlmodel import select

from console.models import ConsoleAccount
from core.audit import AuditEntry
from core.defaults import CONSOLE_LOGIN_FAILURES_PER_ACCOUNT
from settings import ROOT
from tests.console.browser_session import PASSWORD, sign_in


def account(env: dict[str, str], *args: str, stdin: str = "") -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(ROOT / "run.py"), "account", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        timeout=120,
    )


def test_the_first_admin_is_made_on_the_command_line_and_signs_in(env, engine, app, session):
    made = account(env, "create", "chief", "--role", "admin", "--password-stdin", stdin="a long admin passphrase\n")
    assert made.returncode == 0, made.stdout + made.stderr
    assert "account chief created, role admin" in made.stdout
    assert sign_in(app, "chief", "a long admin passphrase").status_code == 303
    row = session.exec(select(ConsoleAccount)).one()
    assert row.role == "admin" and row.password_hash.startswith("$argon2")
    entry = session.exec(select(AuditEntry).where(AuditEntry.action == "account.create")).one()
    assert entry.actor == "cli" and entry.subject == "account:chief"


def test_no_account_without_a_good_password_or_a_role(env, engine, session):
    short = account(env, "create", "chief", "--role", "admin", "--password-stdin", stdin="short\n")
    assert short.returncode == 2 and short.stdout.startswith("error: password: use at least 12 characters")
    no_role = account(env, "create", "chief", "--password-stdin", stdin="a long admin passphrase\n")
    assert no_role.returncode == 2 and "error: --role" in no_role.stdout
    same_as_name = account(
        env, "create", "chiefchiefchief", "--role", "admin", "--password-stdin", stdin="chiefchiefchief\n"
    )
    assert same_as_name.returncode == 2 and "must not be the account's name" in same_as_name.stdout
    assert session.exec(select(ConsoleAccount)).all() == []


def test_role_password_disable_and_list(env, engine, app):
    assert (
        account(
            env, "create", "ana", "--role", "supervisor", "--password-stdin", stdin="first passphrase here\n"
        ).returncode
        == 0
    )
    assert (
        account(env, "create", "ana", "--role", "admin", "--password-stdin", stdin="first passphrase here\n").returncode
        == 2
    )  # the name is taken
    assert account(env, "role", "ana", "--role", "wallboard").returncode == 0
    assert account(env, "password", "ana", "--password-stdin", stdin="second passphrase here\n").returncode == 0
    assert sign_in(app, "ana", "first passphrase here").status_code == 401
    assert sign_in(app, "ana", "second passphrase here").status_code == 303
    assert account(env, "disable", "ana").returncode == 0
    listed = account(env, "list").stdout.splitlines()
    assert listed[0].split() == ["NAME", "ROLE", "STATE", "CREATED"]
    assert listed[1].split()[:3] == ["ana", "wallboard", "disabled"]
    assert "$argon2" not in "\n".join(listed)
    assert account(env, "disable", "nobody").stdout.startswith("error: name: no account named 'nobody'")


def test_admin_unlocks_on_the_command_line_too(env, engine, app, session):
    assert account(env, "create", "chief", "--role", "admin", "--password-stdin", stdin=f"{PASSWORD}\n").returncode == 0
    for _ in range(CONSOLE_LOGIN_FAILURES_PER_ACCOUNT):
        sign_in(app, "chief", "wrong guess 123")
    assert sign_in(app, "chief").status_code == 429
    done = account(env, "unlock", "chief")
    assert done.returncode == 0 and done.stdout.startswith("account chief: sign-in locks lifted"), done.stdout
    assert sign_in(app, "chief").status_code == 303
    entry = session.exec(select(AuditEntry).where(AuditEntry.action == "account.unlock")).one()
    assert entry.actor == "cli" and entry.subject == "account:chief"
    assert account(env, "unlock", "nobody").stdout.startswith("error: name: no account named 'nobody'")


def test_an_agent_account_is_linked_to_a_configured_agent(env, engine, session):
    made = account(env, "create", "ana-desk", "--role", "agent", "--agent", "ana", "--password-stdin",
                   stdin="a long agent passphrase\n")
    assert made.returncode == 0, made.stdout + made.stderr
    assert session.exec(select(ConsoleAccount)).one().agent == "Ana"  # as config.toml spells it
    refused = account(env, "create", "zed", "--role", "agent", "--agent", "Zed", "--password-stdin",
                      stdin="a long agent passphrase\n")
    assert refused.returncode == 2 and "no agent named 'Zed'" in refused.stdout
    assert session.exec(select(ConsoleAccount).where(ConsoleAccount.name == "zed")).first() is None
    linked = session.exec(select(AuditEntry).where(AuditEntry.action == "account.agent")).one()
    assert linked.after["agent"] == "Ana"
