"""Supervisors at a terminal: `run.py token create`, `run.py announce`, `run.py preset`."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

from sqlmodel import select

from core.audit import AuditEntry
from settings import ROOT
from surge.models import Announcement
from tests.helpers import Caller, Texter


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    full = {**os.environ, **env}
    return subprocess.run([sys.executable, str(ROOT / "run.py"), *args], capture_output=True, text=True, env=full,
                          timeout=120)


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


def test_announce_from_the_command_line_is_heard_on_the_next_call(env, engine, app, session):
    done = run(env, "announce", "set", "--scope", "greeting", "--text", "en-US=Leaf pickup starts Monday.",
               "--hours", "2", "--actor", "ben")
    assert done.returncode == 0, done.stdout + done.stderr
    created = json.loads(done.stdout)
    assert Caller(app).dial().says[0] == ("en-US", "Leaf pickup starts Monday.")
    assert run(env, "announce", "end", "--id", str(created["id"])).returncode == 0
    assert "Leaf pickup" not in Caller(app).dial().text
    assert [a.actor for a in session.exec(select(AuditEntry)).all()] == ["ben", "cli"]


def test_bad_announcement_names_the_problem(env, engine):
    done = run(env, "announce", "set", "--text", "en-US=<b>bold</b>")
    assert done.returncode == 2 and done.stdout.startswith("error: texts.en-US: markup")


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
    shutil.copytree(ROOT / "flows" / "knowledge", folder)
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
        'directory = "flows/knowledge"', f'directory = "{folder}"'
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
