"""config.toml is checked at start: a bad value stops the start with one line naming the key and the problem."""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import subprocess
import sys
import tomllib

import pytest

from settings import KNOWN_KEYS, ROOT, ConfigError, load_settings
from settings.config import SECTIONS

GOOD = (ROOT / "config.toml").read_text()


def write(tmp_path, text: str):
    path = tmp_path / "config.toml"
    path.write_text(text)
    return path


SID = "AC" + "2" * 32


def load(tmp_path, text: str, **env):
    env = {"TWILIO_AUTH_TOKEN": "t", "TWILIO_ACCOUNT_SID": SID, "ONECALL_VAR_DIR": str(tmp_path), **env}
    return load_settings(write(tmp_path, text), env)


def run_py(tmp_path, *args, **env) -> subprocess.CompletedProcess:
    """run.py with the machine's servers out of the way (tests never touch the shared PostgreSQL and Redis)."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "REDIS_URL", "TWILIO_"))}
    clean.update(ONECALL_VAR_DIR=str(tmp_path / "var"), **env)
    return subprocess.run([sys.executable, str(ROOT / "run.py"), *args], capture_output=True, text=True, env=clean,
                          timeout=60)


def test_shipped_config_loads(tmp_path):
    settings = load(tmp_path, GOOD)
    assert settings.city_name == "Springfield"
    assert [language.code for language in settings.languages] == ["en-US", "es-US"]
    assert settings.hours[0] == (dt.time(8), dt.time(18)) and settings.hours[6] is None
    assert settings.extra_holidays[dt.date(2026, 12, 24)] == "Christmas Eve"


@pytest.mark.parametrize(
    ("old", "new", "key"),
    [
        ('monday = "08:00-18:00"', 'monday = "8-18"', "hours.monday"),
        ('monday = "08:00-18:00"', 'monday = "18:00-08:00"', "hours.monday"),
        ('timezone = "America/Chicago"', 'timezone = "Mars/Olympus"', "city.timezone"),
        ('numbers = ["+15555550311"]', 'numbers = ["311"]', "city.numbers[0]"),
        ('key = "2"', 'key = "1"', "languages[1]"),
        ('code = "es-US"', 'code = "fr-FR"', "languages[1].code"),
        ('country = "US"', 'country = "Atlantis"', "holidays.country"),
        ('"2026-12-24" = "Christmas Eve"', '"24/12/2026" = "Christmas Eve"', "holidays.extra.24/12/2026"),
        ("answer_threshold = 0.55", "answer_threshold = 7", "knowledge.answer_threshold"),
        ('name = "Springfield"', 'name = ""', "city.name"),
    ],
)
def test_bad_value_names_the_key(tmp_path, old, new, key):
    assert old in GOOD
    with pytest.raises(ConfigError) as err:
        load(tmp_path, GOOD.replace(old, new, 1))
    assert err.value.key == key
    assert str(err.value).startswith(f"{key}: ")


def test_broken_toml_is_reported(tmp_path):
    with pytest.raises(ConfigError, match="not valid TOML"):
        load(tmp_path, GOOD + "\n[city\n")


def test_secrets_come_from_the_environment_only(tmp_path):
    settings = load(tmp_path, GOOD, TWILIO_AUTH_TOKEN="from-env", TWILIO_ACCOUNT_SID="AC" + "2" * 32)
    assert settings.auth_token == "from-env" and not settings.dev_mode


def test_without_a_token_a_local_development_token_is_generated_and_kept(tmp_path):
    env = {"ONECALL_VAR_DIR": str(tmp_path)}
    first = load_settings(write(tmp_path, GOOD), env)
    second = load_settings(write(tmp_path, GOOD), env)
    assert first.dev_mode and first.auth_token == second.auth_token and len(first.auth_token) == 32
    assert (tmp_path / "dev-auth-token").read_text() == first.auth_token


def test_run_py_stops_with_one_line_naming_the_key(tmp_path):
    path = write(tmp_path, GOOD.replace('timezone = "America/Chicago"', 'timezone = "Nowhere"'))
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env["ONECALL_VAR_DIR"] = str(tmp_path)
    done = subprocess.run([sys.executable, str(ROOT / "run.py"), "--config", str(path)], capture_output=True,
                          text=True, env=env, timeout=60)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == ["config error: city.timezone: 'Nowhere' is not an IANA time zone like "
                                                "America/Chicago"]


@pytest.mark.parametrize(
    ("old", "new", "key", "hint"),
    [
        ("max_wait = 900", "max_wiat = 900", "queue.max_wiat", "did you mean max_wait?"),
        ("[queue]", "[queu]", "queu", "did you mean queue?"),
        ('voice = "Polly.Lupe"', 'vocie = "Polly.Lupe"', "languages[1].vocie", "did you mean voice?"),
        ("[wording.\"en-US\"]", "[wording.\"en-US\"]\ngreting = \"Hi\"", "wording.en-US.greting",
         "did you mean greeting?"),
        ("[wording.\"en-US\"]", "[wording.\"fr-FR\"]", "wording.fr-FR", "is not a configured language"),
        ("[web]", "[web]\ntimeout = 3", "web.timeout", "unknown key"),
    ],
)
def test_unknown_keys_are_refused_with_the_closest_known_one(tmp_path, old, new, key, hint):
    assert old in GOOD
    with pytest.raises(ConfigError) as err:
        load(tmp_path, GOOD.replace(old, new, 1))
    assert err.value.key == key
    assert hint in str(err.value)


@pytest.mark.parametrize(
    ("env", "key", "problem"),
    [
        ({"DATABASE_URL": "not a url"}, "DATABASE_URL", "is not a database URL"),
        ({"DATABASE_URL": "postgres://u@db/x"}, "DATABASE_URL", "unknown database 'postgres'"),
        ({"DATABASE_URL": "mysql://u:secret@db/x"}, "DATABASE_URL", "driver for 'mysql' is not installed"),
        ({"REDIS_URL": "http://cache:6379"}, "REDIS_URL", "is not a Redis URL"),
        ({"REDIS_URL": "redis://cache:port/0"}, "REDIS_URL", "is not a Redis URL"),
        ({"TWILIO_ACCOUNT_SID": ""}, "TWILIO_ACCOUNT_SID", "is not set but TWILIO_AUTH_TOKEN is"),
        ({"TWILIO_AUTH_TOKEN": ""}, "TWILIO_AUTH_TOKEN", "is not set but TWILIO_ACCOUNT_SID is"),
        ({"TWILIO_ACCOUNT_SID": "ACnope"}, "TWILIO_ACCOUNT_SID", "is not an account SID"),
    ],
)
def test_bad_environment_names_the_variable(tmp_path, env, key, problem):
    with pytest.raises(ConfigError) as err:
        load(tmp_path, GOOD, **env)
    assert err.value.key == key
    assert problem in str(err.value)
    assert "secret" not in str(err.value)


def test_web_limits_have_defaults_and_come_from_config(tmp_path):
    settings = load(tmp_path, GOOD.replace("max_connections = 200", "max_connections = 50"))
    assert settings.web.max_connections == 50 and settings.web.header_timeout == 10
    without = GOOD.split("[web]")[0] + "[voice]" + GOOD.split("[voice]", 1)[1]
    assert load(tmp_path, without).web.max_connections == 200
    with pytest.raises(ConfigError, match="web.body_timeout"):
        load(tmp_path, GOOD.replace("body_timeout = 10", "body_timeout = 0"))


@pytest.mark.parametrize(
    ("env", "line"),
    [
        ({"REDIS_URL": "http://cache"}, "config error: REDIS_URL: 'http://cache' is not a Redis URL"),
        ({"DATABASE_URL": "postgres://u:pw@db/x"}, "config error: DATABASE_URL: unknown database 'postgres' in "
                                                   "'postgres://u:***@db/x'"),
        ({"TWILIO_AUTH_TOKEN": "tok"}, "config error: TWILIO_ACCOUNT_SID: is not set but TWILIO_AUTH_TOKEN is"),
    ],
)
def test_run_py_names_a_bad_variable_in_one_line(tmp_path, env, line):
    done = run_py(tmp_path, "migrate", **env)
    assert done.returncode == 2
    assert len(done.stderr.strip().splitlines()) == 1 and done.stderr.startswith(line), done.stderr


@pytest.mark.parametrize("command", [[], ["web"], ["worker"], ["cron"], ["migrate"], ["token", "list"]])
def test_a_machine_with_a_shared_redis_but_no_database_url_is_refused(tmp_path, command):
    # Another machine of a shared setup must not quietly serve from an empty SQLite file of its own.
    done = run_py(tmp_path, "--port", "0", *command, REDIS_URL="redis://127.0.0.1:1/0")
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "config error: DATABASE_URL: is not set but REDIS_URL is: set the shared database "
        "(postgresql+psycopg://user@host/db), or sqlite:////path/onecall.db to mean this machine's own file"]
    assert not (tmp_path / "var" / "onecall.db").exists()


def test_run_py_names_an_unknown_key_in_one_line(tmp_path):
    path = write(tmp_path, GOOD.replace("max_wait = 900", "max_wiat = 900"))
    done = run_py(tmp_path, "--config", str(path), "migrate")
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == ["config error: queue.max_wiat: unknown key (did you mean max_wait?)"]


@pytest.mark.parametrize(
    ("command", "env", "line"),
    [
        (["migrate"], {"DATABASE_URL": "postgresql+psycopg://nobody:pw@127.0.0.1:1/x"},
         "config error: DATABASE_URL: cannot connect to postgresql+psycopg://nobody:***@127.0.0.1:1/x: "),
        (["worker"], {"REDIS_URL": "redis://127.0.0.1:1/0", "DATABASE_URL": "sqlite:///{tmp}/x.db"},
         "config error: REDIS_URL: cannot connect to redis://127.0.0.1:1/0: "),
        ([], {"REDIS_URL": "redis://127.0.0.1:1/0", "DATABASE_URL": "sqlite:////nonexistent/folder/x.db"},
         "config error: DATABASE_URL: cannot connect to sqlite:////nonexistent/folder/x.db: unable to open"),
        ([], {"REDIS_URL": "redis://127.0.0.1:1/0", "DATABASE_URL": "sqlite:///{tmp}/x.db"},
         "config error: REDIS_URL: cannot connect to redis://127.0.0.1:1/0"),
    ],
)
def test_an_unreachable_server_at_start_is_one_line(tmp_path, command, env, line):
    env = {key: value.format(tmp=tmp_path) for key, value in env.items()}
    done = run_py(tmp_path, "--port", "0", *command, **env)
    assert done.returncode == 2
    assert len(done.stderr.strip().splitlines()) == 1 and done.stderr.startswith(line), done.stderr


def test_a_command_on_an_unmigrated_database_says_to_migrate(tmp_path):
    done = run_py(tmp_path, "token", "create", "ana")
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        f"error: the database sqlite:///{tmp_path / 'var' / 'onecall.db'} has no tables yet: run "
        "`.venv/bin/python run.py migrate` first (or start the server once)"]


def test_callbacks_section_is_checked(tmp_path):
    settings = load(tmp_path, GOOD)
    assert (settings.callbacks.retries, settings.callbacks.retry_minutes, settings.callbacks.machine_detection) == (
        2, 10, True)
    assert settings.callbacks.max_numbers_per_requester == 3
    for old, new, key in (("retries = 2", "retries = -1", "callbacks.retries"),
                          ("machine_detection = true", 'machine_detection = "yes"', "callbacks.machine_detection"),
                          ("slot_minutes = 30", "slot_minutes = 7.5",
         "callbacks.slot_minutes"),
                          ("per_slot = 4", "per_slots = 4", "callbacks.per_slots"),
                          ("max_numbers_per_requester = 3", "max_numbers_per_requester = -1",
                           "callbacks.max_numbers_per_requester")):
        with pytest.raises(ConfigError) as bad:
            load(tmp_path, GOOD.replace(old, new))
        assert bad.value.key == key


def test_secret_files_created_0600(tmp_path, no_narrowing):
    var = tmp_path / "var"
    settings = load_settings(write(tmp_path, GOOD), {"ONECALL_VAR_DIR": str(var)})
    for name, value in (("dev-auth-token", settings.auth_token), ("console-secret", settings.console_secret)):
        assert (var / name).stat().st_mode & 0o777 == 0o600, name
        assert (var / name).read_text() == value
    assert var.stat().st_mode & 0o777 == 0o700  # a new var/ is the service's alone
    assert sorted(p.name for p in var.iterdir()) == ["console-secret", "dev-auth-token"]  # no drafts left behind
    again = load_settings(write(tmp_path, GOOD), {"ONECALL_VAR_DIR": str(var)})
    assert (again.auth_token, again.console_secret) == (settings.auth_token, settings.console_secret)


def test_a_secret_file_an_older_version_left_readable_is_narrowed(tmp_path):
    var = tmp_path / "var"
    var.mkdir()
    (var / "dev-auth-token").write_text("old-token\n")
    (var / "dev-auth-token").chmod(0o644)
    assert load_settings(write(tmp_path, GOOD), {"ONECALL_VAR_DIR": str(var)}).auth_token == "old-token"
    assert (var / "dev-auth-token").stat().st_mode & 0o777 == 0o600


def test_open311_keys_shorter_than_24_refused(tmp_path):
    short = "k2-short"  # a key a client could guess
    with pytest.raises(ConfigError) as err:
        load(tmp_path, GOOD, OPEN311_API_KEYS=f"{'k' * 24}, {short}")
    assert err.value.key == "OPEN311_API_KEYS" and "key 2 is 8 characters; use at least 24" in str(err.value)
    assert short not in str(err.value)  # a key is a secret: never printed
    assert load(tmp_path, GOOD, OPEN311_API_KEYS=f"{'k' * 24}, {'x' * 30}").open311_api_keys == ("k" * 24, "x" * 30)
    done = run_py(tmp_path, "migrate", OPEN311_API_KEYS=short)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "config error: OPEN311_API_KEYS: key 1 is 8 characters; use at least 24 random ones "
        "(e.g. python -c 'import secrets; print(secrets.token_urlsafe(24))')"
    ]


@pytest.mark.parametrize(
    ("old", "new", "line"),
    [
        ("keep_alive = 5 ", "keep_alive = 5.5 ", "web.keep_alive: must be a whole number from 1 to 300, got 5.5"),
        ("max_connections = 200", "max_connections = 200.5",
         "web.max_connections: must be a whole number from 1 to 100000, got 200.5"),
        ("offer_every = 45", "offer_every = 45.5",
         "queue.offer_every: must be a whole number from 15 to 600, got 45.5"),
        ("gather_timeout = 6", "gather_timeout = 6.5",
         "voice.gather_timeout: must be a whole number from 1 to 60, got 6.5"),
        ("texts_per_call = 3", "texts_per_call = 2.5",
         "outbound.texts_per_call: must be a whole number from 0 to 20, got 2.5"),
        ("slot_minutes = 30", "slot_minutes = 7.5",
         "callbacks.slot_minutes: must be a whole number from 5 to 240, got 7.5"),
        ("keep_alive = 5 ", "keep_alive = 301 ", "web.keep_alive: must be a whole number from 1 to 300, got 301"),
        ("keep_alive = 5 ", 'keep_alive = "5" ', "web.keep_alive: must be a whole number from 1 to 300, got '5'"),
        ("keep_alive = 5 ", "keep_alive = true ", "web.keep_alive: must be a whole number from 1 to 300, got True"),
        ("body_timeout = 10", "body_timeout = 0.5", "web.body_timeout: must be a number from 1 to 300, got 0.5"),
    ],
)
def test_a_number_is_refused_naming_the_key_never_truncated(tmp_path, old, new, line):
    # [web] used to truncate 5.5 to 5 where [callbacks] refused it: now every whole-number key refuses it.
    assert old in GOOD
    with pytest.raises(ConfigError) as err:
        load(tmp_path, GOOD.replace(old, new, 1))
    assert str(err.value) == line


def test_a_whole_number_written_as_a_float_is_that_number(tmp_path):
    settings = load(tmp_path, GOOD.replace("keep_alive = 5 ", "keep_alive = 5.0 ").replace("slot_minutes = 30",
                                                                                          "slot_minutes = 30.0"))
    assert (settings.web.keep_alive, settings.callbacks.slot_minutes) == (5, 30)
    assert type(settings.web.keep_alive) is int and settings.web.body_timeout == 10.0
    with pytest.raises(ValueError, match="must be a whole number from 1 to 300, got 5.5"):
        dataclasses.replace(settings.web, keep_alive=5.5)  # a section changed in code is checked again


SECRETS = {
    "TWILIO_AUTH_TOKEN": "twilio-token-0123456789abcdef",
    "CONSOLE_SECRET": "console-secret-" + "s" * 32,
    "CRM_OPEN311_API_KEY": "crm-key-0123456789abcdef",
    "OPEN311_API_KEYS": "open311-key-one-0123456789,open311-key-two-0123456789",
    "REDIS_URL": "redis://:redis-password-0123@127.0.0.1:6379/6",
    "DATABASE_URL": "postgresql+psycopg://onecall:db-password-0123@127.0.0.1/onecall",
}
SECRET_VALUES = ("twilio-token", "console-secret", "crm-key", "open311-key", "redis-password", "db-password")


def test_secrets_never_appear_in_repr_or_errors(tmp_path):
    settings = load(tmp_path, GOOD, **SECRETS)
    assert settings.auth_token == SECRETS["TWILIO_AUTH_TOKEN"] and len(settings.open311_api_keys) == 2
    shown = repr(settings)
    assert "Springfield" in shown and not [secret for secret in SECRET_VALUES if secret in shown]
    for text, env in (
        (GOOD.replace("max_wait = 900", "max_wait = 1"), {}),
        (GOOD.replace("max_wait = 900", "max_wiat = 900"), {}),
        (GOOD, {"TWILIO_ACCOUNT_SID": "ACnope"}),
        (GOOD, {"OPEN311_API_KEYS": "open311-key-short"}),
        (GOOD, {"CONSOLE_SECRET": "console-secret-short"}),
        (GOOD, {"REDIS_URL": "redis://:redis-password-0123@127.0.0.1:port/6"}),
    ):
        with pytest.raises(ConfigError) as err:
            load(tmp_path, text, **{**SECRETS, **env})
        assert not [secret for secret in SECRET_VALUES if secret in str(err.value)], str(err.value)


def test_every_config_key_is_declared_once_with_its_meaning():
    # A key's type, default, bounds and meaning live in its settings/sections.py field and nowhere else.
    assert SECTIONS["wording"] is None  # its keys are those of flows/wording/<code>.toml
    for name, section in SECTIONS.items():
        for key, declared in (section.__pydantic_fields__ if section else {}).items():
            assert declared.description, f"{name}.{key} says what it is for"
            assert key in KNOWN_KEYS[name]
    assert KNOWN_KEYS["web"] == {"header_timeout", "body_timeout", "keep_alive", "max_connections", "max_header_bytes"}
    assert set(KNOWN_KEYS) == set(tomllib.loads(GOOD))  # the shipped config.toml shows every section


def test_a_config_naming_the_knowledge_files_former_folder_still_loads(tmp_path):
    # Before the knowledge base became a package of its own its files lived in flows/knowledge; a city's config.toml
    # written then still names that folder, and an upgrade must not stop its start.
    moved = load(tmp_path, GOOD.replace('directory = "knowledge/files"', 'directory = "flows/knowledge"'))
    assert moved.knowledge_dir == ROOT / "knowledge" / "files"
    with pytest.raises(ConfigError) as bad:
        load(tmp_path, GOOD.replace('directory = "knowledge/files"', 'directory = "flows/nowhere"'))
    assert bad.value.key == "knowledge.directory"


def test_the_crm_link_is_checked_at_load_and_encodes_the_number(tmp_path):
    settings = load(tmp_path, GOOD.replace('crm_link = ""', 'crm_link = "https://crm.example/search?phone={number}"'))
    assert settings.console.crm_url("+1 312&555") == "https://crm.example/search?phone=%2B1%20312%26555"
    assert load(tmp_path, GOOD).console.crm_url("+13125550147") is None
    for bad in ("javascript:alert(1)//{number}", "https://crm.example/{phone}", 'https://crm.example/"{number}'):
        with pytest.raises(ConfigError, match="console.crm_link"):
            load(tmp_path, GOOD.replace('crm_link = ""', f"crm_link = '{bad}'"))
