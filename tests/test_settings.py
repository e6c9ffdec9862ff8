"""config.toml is checked at start: a bad value stops the start with one line naming the key and the problem."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys

import pytest

from settings import ROOT, ConfigError, load_settings

GOOD = (ROOT / "config.toml").read_text()


def write(tmp_path, text: str):
    path = tmp_path / "config.toml"
    path.write_text(text)
    return path


def load(tmp_path, text: str, **env):
    return load_settings(write(tmp_path, text), {"TWILIO_AUTH_TOKEN": "t", "ONECALL_VAR_DIR": str(tmp_path), **env})


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
