"""Supervisors at a terminal: `run.py token`, `run.py agent-pin`, `run.py announce`, `run.py preset`."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys

from sqlmodel import select

import run as run_py
from core.audit import AuditEntry
from queueing import agents
from queueing.models import AgentPin
from settings import ROOT
from surge.models import Announcement
from tests.helpers import Caller, Texter


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    full = {**os.environ, **env}
    return subprocess.run(
        [sys.executable, str(ROOT / "run.py"), *args], capture_output=True, text=True, env=full, timeout=120
    )


def test_token_created_once_works_on_the_api_and_is_stored_hashed(env, engine, app, session):
    done = run(env, "token", "create", "ana")
    assert done.returncode == 0, done.stderr
    token = done.stdout.strip().splitlines()[-1]
    assert token.startswith("oc_")
    assert app.get("/api/announcements", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    assert run(env, "token", "create", "ana").returncode == 2
    from console.models import ApiToken

    stored = session.exec(select(ApiToken)).one()
    assert token not in stored.token_hash and stored.token_hash.startswith("$argon2")


def test_token_scope_days_revoke_and_list_from_the_command_line(env, engine, app, session):
    def made(*args: str) -> str:
        done = run(env, "token", "create", *args)
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout.strip().splitlines()[-1]

    def bearer(token: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}"}

    viewer, boss = made("wall-screen"), made("boss", "--scope", "supervisor", "--days", "7")
    message = {"scope": "greeting", "texts": {"en-US": "Leaf pickup starts Monday."}}
    assert app.post("/api/announcements", json=message, headers=bearer(viewer)).status_code == 403
    assert app.post("/api/announcements", json=message, headers=bearer(boss)).status_code == 201
    revoked = run(env, "token", "revoke", "wall-screen")
    assert revoked.returncode == 0 and "revoked" in revoked.stdout
    assert app.get("/api/queues", headers=bearer(viewer)).status_code == 401
    assert app.get("/api/queues", headers=bearer(boss)).status_code == 200
    listed = run(env, "token", "list").stdout
    assert listed.splitlines()[0].split() == ["NAME", "SCOPE", "STATE", "CREATED", "EXPIRES"]
    rows = {line.split()[0]: line.split()[1:3] for line in listed.splitlines()[1:]}
    assert rows == {"boss": ["supervisor", "active"], "wall-screen": ["read", "revoked"]}
    assert "$argon2" not in listed and boss not in listed
    # A revoked name can be issued again; the old token stays dead.
    again = made("wall-screen")
    assert app.get("/api/queues", headers=bearer(again)).status_code == 200
    assert app.get("/api/queues", headers=bearer(viewer)).status_code == 401
    entries = session.exec(select(AuditEntry).order_by(AuditEntry.id)).all()
    actions = [(a.action, a.subject) for a in entries if a.action.startswith("token")]
    assert actions == [
        ("token.create", "wall-screen"),
        ("token.create", "boss"),
        ("token.revoke", "wall-screen"),
        ("token.create", "wall-screen"),
    ]


def test_token_mistakes_are_named(env, engine):
    assert run(env, "token", "revoke", "nobody").stdout.startswith("error: name: no token named 'nobody'")
    assert run(env, "token", "create", "x", "--days", "0").stdout.startswith("error: days: a token lasts 1 to 365")
    assert run(env, "token", "create").stdout.startswith("error: name: which token to create")


def test_announce_from_the_command_line_is_heard_on_the_next_call(env, engine, app, session):
    done = run(
        env,
        "announce",
        "set",
        "--scope",
        "greeting",
        "--text",
        "en-US=Leaf pickup starts Monday.",
        "--hours",
        "2",
        "--actor",
        "ben",
    )
    assert done.returncode == 0, done.stdout + done.stderr
    created = json.loads(done.stdout)
    assert Caller(app).dial().says[0] == ("en-US", "Leaf pickup starts Monday.")
    assert run(env, "announce", "end", "--id", str(created["id"])).returncode == 0
    assert "Leaf pickup" not in Caller(app).dial().text
    assert [a.actor for a in session.exec(select(AuditEntry).order_by(AuditEntry.id)).all()] == ["ben", "cli"]


def test_bad_announcement_names_the_problem(env, engine):
    done = run(env, "announce", "set", "--text", "en-US=<b>bold</b>")
    assert done.returncode == 2 and done.stdout.startswith("error: texts.en-US: markup")


def test_a_control_or_bidi_character_typed_at_the_terminal_is_refused_with_the_field(env, engine, session):
    for text, what in (("en-US=Roads\x1b[31m flooded", "a control character (U+001B"),
                       ("en-US=Call \u202e1130", "a text-direction character (U+202E")):
        done = run(env, "announce", "set", "--text", text)
        assert done.returncode == 2 and done.stdout.startswith(f"error: texts.en-US: the message contains {what}")
    assert session.exec(select(Announcement)).all() == []


def test_storm_preset_from_the_command_line(env, engine, session):
    done = run(env, "preset", "storm")
    assert done.returncode == 0 and "3 messages on the air" in done.stdout
    assert len(session.exec(select(Announcement)).all()) == 3
    ended = run(env, "preset", "storm", "--end")
    assert ended.returncode == 0 and "3 messages taken off the air" in ended.stdout
    session.expire_all()
    assert [row.active for row in session.exec(select(Announcement)).all()] == [False] * 3


def test_all_clear_from_the_command_line(env, engine, session):
    run(env, "preset", "election")
    done = run(env, "announce", "all-clear")
    assert done.returncode == 0 and "all clear: 1 messages taken off the air" in done.stdout


def test_kb_import_updates_every_channel_and_says_what_changed(env, engine, app, session, tmp_path):
    folder = tmp_path / "knowledge"
    shutil.copytree(ROOT / "knowledge" / "files", folder)
    english = (folder / "en-US.toml").read_text(encoding="utf-8")
    old = "Most branches: Mon-Thu 9am-8pm"
    assert old in english
    english = english.replace(old, "All branches now open Mon-Sat 8am-9pm")
    english += '''
[[article]]
id = "leaf-bag-pickup"
topic = "trash"
title = "Leaf bag pickup"
department = "Sanitation"
last_reviewed = "2026-11-30"
phrasings = ["when do you pick up leaf bags", "leaf bag collection days"]
keywords = ["leaf bags"]
spoken = "Paper leaf bags are picked up on your trash day every week from October through November."
text = "Paper leaf bags go out on your trash day, weekly Oct-Nov."
'''
    (folder / "en-US.toml").write_text(english, encoding="utf-8")
    config = (ROOT / "config.toml").read_text(encoding="utf-8").replace(
        'directory = "knowledge/files"', f'directory = "{folder}"'
    )
    (tmp_path / "config.toml").write_text(config, encoding="utf-8")
    done = run(env, "kb", "import", "--config", str(tmp_path / "config.toml"))
    assert done.returncode == 0, done.stderr
    assert "en-US: 1 added (leaf-bag-pickup), 1 changed (library-hours: text)" in done.stdout
    assert "es-US: 0 added, 0 changed" in done.stdout
    texter = Texter(app)
    assert "All branches now open Mon-Sat 8am-9pm" in texter.send("when does the library close?")
    assert "leaf bags" in texter.send("when do you pick up leaf bags?").lower()
    again = run(env, "kb", "import", "--config", str(tmp_path / "config.toml"))
    assert "nothing to change" in again.stdout




def test_agent_pin_from_a_script_is_stored_hashed_audited_and_opens_the_agent_line(env, engine, app, session, redis):
    from queueing.agents import PinAttempts
    from queueing.models import AgentPin
    from tests.helpers import AgentCall

    redis.set(PinAttempts.key_for("+15555550102"), 3, ex=900)  # locked by wrong PINs: a new PIN lifts it
    done = subprocess.run(
        [sys.executable, str(ROOT / "run.py"), "agent-pin", "ben", "--pin-stdin"],
        input="135792\n",
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "135792" not in done.stdout + done.stderr
    stored = session.exec(select(AgentPin)).one()
    assert stored.agent == "Ben" and "135792" not in stored.pin_hash and stored.pin_hash.startswith("$argon2")
    entry = session.exec(select(AuditEntry).where(AuditEntry.action == "agent.pin")).one()
    assert entry.subject == "Ben" and entry.actor == "cli" and "135792" not in json.dumps([entry.before, entry.after])
    assert "No one is waiting right now." in AgentCall(app, "+15555550102").sign_in("135792").text


def test_agent_pin_names_what_is_wrong(env, engine):
    def pin(name: str, typed: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, str(ROOT / "run.py"), "agent-pin", name, "--pin-stdin"],
            input=typed,
            capture_output=True,
            text=True,
            env={**os.environ, **env},
            timeout=120,
        )

    unknown = pin("Zed", "135792\n")
    assert unknown.returncode == 2 and unknown.stdout.startswith("error: name: no agent 'Zed'")
    assert "Ana" in unknown.stdout
    short = pin("Ana", "12\n")
    assert short.returncode == 2 and short.stdout.startswith("error: pin: a PIN is 6 to 12 digits long")


TRIVIAL_PINS = ("123456", "000000", "999999999", "654321", "012345", "890123", "987654321", "121212", "123123",
                "112233", "147258")


def test_trivial_agent_pins_refused(env, engine, session, monkeypatch, capsys):
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    for typed in TRIVIAL_PINS:
        assert agents.pin_problem(typed) == agents.TRIVIAL_PIN, typed
        monkeypatch.setattr(sys, "stdin", io.StringIO(f"{typed}\n"))
        assert run_py.main(["agent-pin", "Ana", "--pin-stdin"]) == 2, typed
        assert capsys.readouterr().out == (
            "error: pin: that PIN is too easy to guess (repeated or sequential digits, or a common PIN); "
            "choose another\n"
        )
    assert session.exec(select(AgentPin)).all() == []  # nothing was set
    for fine in ("975310", "246810", "482913", "135792"):
        assert agents.pin_problem(fine) is None, fine
    monkeypatch.setattr(sys, "stdin", io.StringIO("482913\n"))
    assert run_py.main(["agent-pin", "Ana", "--pin-stdin"]) == 0


def test_agent_pin_is_typed_twice_without_echo(env, engine, session):
    import pty
    import select as waiting

    from queueing.models import AgentPin

    def typed(first: str, second: str) -> tuple[int, str]:
        pid, terminal = pty.fork()
        if pid == 0:  # the child: run.py with this terminal as its own, as a supervisor would
            os.execve(sys.executable, [sys.executable, str(ROOT / "run.py"), "agent-pin", "Ana"], {**os.environ, **env})
        shown, answers = b"", [(b"(digits): ", first), (b"again: ", second)]
        while True:
            ready, _, _ = waiting.select([terminal], [], [], 60)
            assert ready, shown
            try:
                chunk = os.read(terminal, 1024)
            except OSError:  # the child closed the terminal
                break
            if not chunk:
                break
            shown += chunk
            if answers and shown.endswith(answers[0][0]):  # getpass flushes what was typed before its prompt
                os.write(terminal, answers.pop(0)[1].encode() + b"\n")
        _, status = os.waitpid(pid, 0)
        return os.waitstatus_to_exitcode(status), shown.decode()

    code, shown = typed("123456", "123456")  # refused before it is asked for again
    assert code == 2 and "too easy to guess" in shown and "again: " not in shown
    code, shown = typed("864209", "864200")
    assert code == 2 and "the two PINs differ" in shown and session.exec(select(AgentPin)).first() is None
    code, shown = typed("864209", "864209")
    assert code == 0 and "PIN set for Ana" in shown and "864209" not in shown
    assert session.exec(select(AgentPin)).one().agent == "Ana"


def test_a_change_on_a_machine_sharing_the_database_but_not_redis_is_refused_before_it_is_made(tmp_path, capsys):
    # The other machines' processes would not see it until they restarted: refused, nothing written.
    from settings import load_settings

    settings = load_settings(ROOT / "config.toml", {"DATABASE_URL": "postgresql+psycopg://x@127.0.0.1:1/none",
                                                    "ONECALL_VAR_DIR": str(tmp_path)})
    for argv in (["announce", "set", "--text", "en-US=Roads closed"], ["preset", "storm"], ["kb", "import"],
                 ["account", "unlock", "ana"], ["agent-pin", "Ana", "--pin-stdin"]):
        args = run_py._parser().parse_args(argv)
        assert args.command(settings, args) == 2, argv  # the database is never reached (it does not exist)
        assert capsys.readouterr().err.startswith("config error: REDIS_URL: is not set here, but the database is")
