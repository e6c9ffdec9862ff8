"""The example units and Procfile in deploy/ run real `run.py` commands with the documented environment, and the
deployment page names every one of them."""

from __future__ import annotations

import re
import shlex

import pytest

import run as run_py
from settings import ROOT

UNITS = sorted((ROOT / "deploy" / "systemd").glob("*.service"))
ENV_EXAMPLE = ROOT / "deploy" / "onecall.env.example"
PROCFILE = ROOT / "Procfile"
# A platform's own variables a Procfile may use (the port it assigns), not ours to document.
PLATFORM = {"PORT"}


def documented_variables() -> set[str]:
    """Every variable in the first column of an Environment table of running.md or deploy.md."""
    found: set[str] = set()
    for page in ("running.md", "deploy.md"):
        for line in (ROOT / "docs" / page).read_text().splitlines():
            cells = line.split("|")
            if line.startswith("| `") and len(cells) > 2:
                found.update(re.findall(r"`([A-Z][A-Z0-9_]+)`", cells[1]))
    return found


def directives(path) -> list[tuple[str, str]]:
    """(key, value) of each directive in a unit file, comments and section headers left out."""
    return [tuple(part.strip() for part in line.split("=", 1)) for line in path.read_text().splitlines()
            if "=" in line and not line.lstrip().startswith(("#", ";", "["))]


def run_arguments(command: str) -> list[str]:
    """The arguments after run.py in a command line, with $VARIABLES given a sample value."""
    words = shlex.split(re.sub(r"\$\{?([A-Z_]+)\}?", "8311", command))
    scripts = [i for i, word in enumerate(words) if word.endswith("run.py")]
    assert scripts, f"{command!r} does not run run.py"
    assert words[0].endswith(".venv/bin/python"), f"{command!r}: the project's interpreter, not the system's"
    return words[scripts[0] + 1:]


def sub_command(arguments: list[str]) -> str:
    """The sub-command the parser chooses for these arguments (it exits, failing the test, on any it refuses)."""
    return run_py._parser().parse_args(arguments).command.__name__


def test_every_unit_starts_a_real_run_py_command_with_valid_options():
    commands = {}
    for unit in UNITS:
        starts = [value for key, value in directives(unit) if key == "ExecStart"]
        assert len(starts) == 1, f"{unit.name}: one ExecStart"
        commands[unit.name] = sub_command(run_arguments(starts[0]))
    assert commands == {"onecall-web.service": "web_only", "onecall-worker@.service": "worker_only",
                        "onecall-cron.service": "cron_only", "onecall-migrate.service": "migrate"}


def test_the_procfile_runs_every_role():
    roles = dict(line.split(":", 1) for line in PROCFILE.read_text().splitlines() if line.strip())
    assert {name: sub_command(run_arguments(command)) for name, command in roles.items()} == {
        "release": "migrate", "web": "web_only", "worker": "worker_only", "cron": "cron_only"}
    assert set(re.findall(r"\$\{?([A-Z_]+)", PROCFILE.read_text())) <= PLATFORM


def test_every_variable_the_examples_set_is_documented():
    documented = documented_variables()
    assert {"DATABASE_URL", "REDIS_URL", "METRICS_TOKEN", "FORWARDED_ALLOW_IPS"} <= documented
    named = {line.split("=", 1)[0] for line in ENV_EXAMPLE.read_text().splitlines() if "=" in line
             and not line.startswith("#")}
    for unit in UNITS:
        named |= {value.split("=", 1)[0] for key, value in directives(unit) if key == "Environment"}
    assert named and named <= documented, named - documented
    # The shared setup's keys, without which a machine would be refused or quietly wrong.
    assert {"DATABASE_URL", "REDIS_URL", "PUBLIC_BASE_URL", "CONSOLE_SECRET"} <= named


@pytest.mark.parametrize("unit", UNITS, ids=lambda path: path.name)
def test_units_read_the_environment_file_and_drop_privileges(unit):
    found = dict(directives(unit))
    assert found["EnvironmentFile"] == "/etc/onecall/onecall.env"
    assert found["User"] == "onecall" and found["NoNewPrivileges"] == "yes"
    assert found.get("Restart") == "always" or found.get("Type") == "oneshot"


def test_the_deployment_page_links_every_example():
    page = (ROOT / "docs" / "deploy.md").read_text()
    for path in [*UNITS, ENV_EXAMPLE, PROCFILE]:
        assert f"(../{path.relative_to(ROOT)})" in page, path.name
