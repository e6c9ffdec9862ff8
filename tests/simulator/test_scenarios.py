"""Scenarios: the starter set passes against the real app, and a broken one says which step failed and why."""

from __future__ import annotations

import asyncio
import tomllib

import pytest

from core.db import in_session
from settings import ROOT
from simulator import scenarios
from simulator.scenarios import ClockStage, LiveStage, ScenarioError, Service, format_report, load, parse
from simulator.transport import signed_transport
from surge import service as announcements
from surge.cache import VERSION_KEY
from tests.helpers import AUTH_TOKEN, PUBLIC_BASE_URL

STARTER = "scenarios"


def in_process(app, settings, clock, redis):
    """The app in this test, its clock settable, and the storm preset a switch away."""

    async def surge(name):
        engine = app.app.state.ctx.engine
        if name:
            languages = [language.code for language in settings.languages]
            in_session(
                engine, announcements.apply_preset, name=name, languages=languages, actor="scenario", now=clock.now
            )
        else:
            in_session(engine, announcements.all_clear, actor="scenario")
        redis.incr(VERSION_KEY)

    service = Service(
        signed_transport(app, auth_token=AUTH_TOKEN, public_base_url=PUBLIC_BASE_URL), number=settings.numbers[0]
    )
    return service, ClockStage(clock, settings.timezone, surge)


def play(app, settings, clock, redis, items):
    service, stage = in_process(app, settings, clock, redis)
    return asyncio.run(scenarios.run(items, service, stage))


def test_every_starter_scenario_passes(app, settings, clock, redis):
    starter = load([STARTER])
    report = play(app, settings, clock, redis, starter)
    assert report.passed and report.count("skipped") == 0, format_report(report)
    assert len(report.results) == len(starter) >= 20


def test_the_starter_set_covers_both_languages_and_texts():
    starter = load([STARTER])
    assert {s.language for s in starter} == {"en-US", "es-US"}
    for language in ("en-US", "es-US"):
        mine = [s for s in starter if s.language == language]
        assert any(step.action == "text" for s in mine for step in s.steps)
        assert any(step.action == "say" for s in mine for step in s.steps)
        assert any(s.at for s in mine) and any(s.surge for s in mine)


BROKEN = """
name = "Ticket number too soon"
language = "en-US"

[[step]]
press = "1"
hears = ["Main menu"]

[[step]]
press = "1"
hears = ["ticket number"]

[[step]]
press = "*"
"""


def test_a_broken_scenario_reports_the_failing_step_and_what_was_heard(app, settings, clock, redis):
    report = play(app, settings, clock, redis, parse(BROKEN, "broken.toml"))
    [result] = report.results
    assert result.status == "failed" and not report.passed
    assert [step.status for step in result.steps] == ["passed", "failed", "not run"]
    failed = result.steps[1]
    assert failed.problems == ['did not hear "ticket number"']
    assert "Please ask your question in a few words." in failed.heard
    printed = format_report(report)
    assert "FAIL  Ticket number too soon  (broken.toml)" in printed
    assert "FAIL 2. press 1" in printed and 'did not hear "ticket number"' in printed
    assert "heard: Please ask your question in a few words." in printed
    assert "0 passed, 1 failed, 0 skipped" in printed


def test_a_live_run_plays_each_scenario_at_its_own_time_and_skips_what_needs_a_preset(app, settings, redis):
    service, _ = in_process(app, settings, None, redis)  # the app's clock says Tuesday 10 a.m.
    closed = parse(
        'name = "Sunday"\nat = "sunday 10:00"\n[[step]]\npress = "1"\n[[step]]\npress = "0"\n'
        'hears = ["agents closed"]\n',
        "x.toml",
    )
    storm = parse('name = "Storm"\nsurge = "storm"\n[[step]]\nhears = ["greeting"]\n', "y.toml")
    report = asyncio.run(scenarios.run(closed + storm, service, LiveStage(settings.timezone)))
    assert [r.status for r in report.results] == ["passed", "skipped"], format_report(report)
    assert "needs the storm preset" in report.results[1].reason
    assert report.passed  # skipped is not failed


def test_a_kept_ticket_number_is_used_by_a_later_step(app, settings, clock, redis):
    text = """
name = "Report by text, then its status"
[[step]]
text = "REPORT"
[[step]]
text = "pothole"
[[step]]
text = "123 Main Street"
"""
    # Only the keep/use mechanism matters here; the starter set checks the whole report by text.
    [scenario] = parse(text, "k.toml")
    scenario.steps.append(scenarios.Step(number=4, action="text", value="STATUS {ticket number}"))
    report = play(app, settings, clock, redis, [scenario])
    assert report.results[0].steps[-1].problems == ["no earlier step kept {ticket number}"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('name = "x"\n[[step]]\npress = 1\n', "x.toml: scenario 'x', step 1: press takes keys as text"),
        ('name = "x"\n[[step]]\npress = "1"\nsay = "hi"\n', "step 1: one action per step, not press and say"),
        ('name = "x"\n[[step]]\nhear = ["hi"]\n', "step 1: unknown key hear"),
        ('name = "x"\n[[step]]\nwait = "a minute"\n', "step 1: wait takes seconds"),
        ('name = "x"\n[[step]]\nsay = "hi"\nconfidence = 3\n', "step 1: confidence is a number from 0 to 1"),
        ('name = "x"\n[[step]]\nsilence = "yes"\n', "step 1: write silence = true"),
        ('name = "x"\n[[step]]\nhears = "re:("\n', "is not a valid pattern"),
        ('name = "x"\n[[step]]\nwaiting_for = "godot"\n', "waiting_for is one of"),
        ('name = "x"\nat = "25:00"\n[[step]]\n', "at = '25:00'"),
        ('name = "x"\nat = "funday 10:00"\n[[step]]\n', "'funday' is not a day of the week"),
        ('name = "x"\n', "scenario 'x': no steps"),
        ('description = "x"\n[[step]]\n', "x.toml: every scenario needs a name"),
        ('name = "x"\ncaller = "555"\n[[step]]\n', "is not a phone number"),
        (
            '[[scenario]]\nname = "a"\n[[scenario.step]]\npress = "1"\n[[scenario]]\n[[scenario.step]]\n',
            "x.toml: scenario 2: every scenario needs a name",
        ),
        ("name = \n", "x.toml: not valid TOML"),
    ],
)
def test_mistakes_are_explained_with_the_file_and_step(text, message):
    with pytest.raises(ScenarioError) as error:
        parse(text, "x.toml")
    assert message in str(error.value)


def test_several_scenarios_per_file_and_names_must_differ(tmp_path):
    (tmp_path / "a.toml").write_text(
        '[[scenario]]\nname = "one"\n[[scenario.step]]\npress = "1"\n'
        '[[scenario]]\nname = "two"\n[[scenario.step]]\npress = "2"\n'
    )
    assert [s.name for s in load([tmp_path])] == ["one", "two"]
    (tmp_path / "b.toml").write_text('name = "one"\n[[step]]\npress = "1"\n')
    with pytest.raises(ScenarioError, match="the name 'one' is also used in"):
        load([tmp_path])


def test_named_expectations_follow_the_language():
    assert scenarios.expectation("about 5 minutes", "en-US").search("Your wait is about 5 minutes.")
    assert scenarios.expectation("about 5 minutes", "es-US").search("Su espera es de unos 5 minutos.")
    assert not scenarios.expectation("about 5 minutes", "en-US").search("Your wait is about 15 minutes.")
    assert scenarios.expectation("ticket number", "es-US").search("Su número de solicitud es 1 2 3, 4 5 6, 7 8 9.")
    assert scenarios.expectation("number 2 in line", "es-US").search("Usted es el número 2 en la fila.")
    assert scenarios.expectation("Main   menu", "en-US").search("Main menu.")  # plain words, any spacing or case


# Each named expectation against the wording the service says, with its placeholders filled in.
WORDING_CHECKS = [
    ("greeting", ["greeting"]),
    ("goodbye", ["goodbye", "callback_goodbye"]),
    ("expected date", ["ticket_expected"]),
    ("number 3 in line", ["queue_position"]),
    ("about 5 minutes", ["queue_wait_about_minutes"]),
    ("about a minute", ["queue_wait_about_a_minute"]),
    (
        "wait estimate",
        [
            "queue_wait_about_minutes",
            "queue_wait_range",
            "queue_wait_up_to",
            "queue_wait_short",
            "queue_wait_few_seconds",
            "queue_wait_about_seconds",
        ],
    ),
    ("agents closed", ["closed_now", "closed_holiday"]),
    (
        "call-back booked",
        ["callback_booked_place", "callback_booked_time", "callback_booked_place_sms", "callback_booked_time_sms"],
    ),
    ("911", ["emergency", "emergency_sms"]),
]
FILLED = {
    "city": "Springfield",
    "position": "3",
    "minutes": "5",
    "low": "4",
    "high": "6",
    "seconds": "30",
    "number": "0147",
    "when": "today at 5:30 p.m.",
    "holiday": "Thanksgiving",
    "line": "1-800-555-0199",
}
DATES = {"en-US": "Friday, November 20", "es-US": "viernes 20 de noviembre"}


@pytest.mark.parametrize("language", ["en-US", "es-US"])
@pytest.mark.parametrize(("phrase", "keys"), WORDING_CHECKS)
def test_named_expectations_match_what_the_service_says(language, phrase, keys):
    wording = tomllib.loads((ROOT / "flows" / "wording" / f"{language}.toml").read_text(encoding="utf-8"))
    pattern = scenarios.expectation(phrase, language)
    for key in keys:
        said = wording[key].format(**FILLED, date=DATES[language])
        assert pattern.search(said), f"{phrase!r} does not match {language} {key}: {said!r}"
