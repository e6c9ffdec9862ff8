"""Emergencies: whatever the menu, by voice or text, "call 911" comes first, in the resident's language."""

from __future__ import annotations

import pytest
from sqlmodel import select

from flows.capabilities import TEXT, VOICE
from flows.engine import At
from flows.turns import Input, Outcome
from ivr.models import CallStep
from knowledge.models import Unanswered
from tests.flows.builders import conversation, emergency_words, key, said, typed
from tests.flows.builders import session as new_session
from tests.helpers import Caller, Texter

# Phrasings written for this test, none of them in the vocabulary (knowledge/files/*.toml [[emergency]]).
EMERGENCIES = [
    ("en-US", "fire", "there's black smoke pouring out of my neighbor's windows"),
    ("en-US", "fire", "my kitchen is on fire"),
    ("en-US", "fire", "flames are coming out of the garage down the street"),
    ("en-US", "gas", "I can smell natural gas really strong in my basement"),
    ("en-US", "gas", "it smells like gas in the hallway of my building"),
    ("en-US", "not breathing", "my husband collapsed and he isn't breathing"),
    ("en-US", "not breathing", "my grandma can't breathe"),
    ("en-US", "crime in progress", "someone is breaking into the house next door right now"),
    ("en-US", "crime in progress", "a man with a gun is outside the store"),
    ("en-US", "live wire down", "a power line is down and sparking on the sidewalk"),
    ("es-US", "fire", "hay humo saliendo de la casa de al lado"),
    ("es-US", "fire", "se está quemando el edificio de enfrente"),
    ("es-US", "gas", "huele muchísimo a gas en mi cocina"),
    ("es-US", "not breathing", "mi papá no respira"),
    ("es-US", "crime in progress", "están robando la tienda de la esquina ahora"),
    ("es-US", "live wire down", "hay un cable de luz caído en la calle"),
]
ORDINARY = [
    ("en-US", "a fire hydrant is leaking all over the street"),
    ("en-US", "how do I become a firefighter for the city"),
    ("en-US", "when is my gas bill due"),
    ("en-US", "can I get a permit for fireworks on the fourth"),
    ("en-US", "my smoke detector battery keeps beeping"),
    ("en-US", "there is a downed tree blocking the alley"),
    ("en-US", "when does the library close"),
    ("es-US", "el hidrante de mi calle tiene una fuga"),
    ("es-US", "cuándo vence el recibo del gas"),
    ("es-US", "a qué hora cierra la biblioteca"),
]


@pytest.mark.parametrize(("language", "kind", "text"), EMERGENCIES)
def test_emergencies_are_recognised_in_words_not_in_the_vocabulary(language, kind, text):
    found = emergency_words().detect(text, "en-US")
    assert found is not None and (found.kind, found.language) == (kind, language)


@pytest.mark.parametrize(("language", "text"), ORDINARY)
def test_ordinary_311_questions_are_not_emergencies(language, text):
    assert emergency_words().detect(text, language) is None


@pytest.mark.parametrize("node", ["welcome", "main", "ask", "report_location", "report_details", "check_number"])
def test_whatever_the_menu_position_911_comes_first(node):
    conv, s = conversation(VOICE), new_session()
    conv.run("report", s, At("main"), Input.none())
    s.draft().service = "pothole"
    turn = conv.advance(s, node, said("my neighbor's house is on fire"))
    assert turn.lines[0][1] == "If this is an emergency, please hang up and call 9 1 1 now."
    assert turn.steps[0].outcome is Outcome.EMERGENCY and turn.steps[0].input_value == "fire"
    assert all(step.outcome is not Outcome.UNSURE for step in turn.steps)


def test_a_gas_smell_gets_the_gas_line_and_spanish_gets_spanish_even_on_an_english_call():
    gas = conversation(VOICE).advance(new_session(), "main", said("I smell gas in my apartment"))
    assert "gas emergency line at 1-800-555-0199" in gas.lines[0][1]
    s = new_session()
    spanish = conversation(TEXT).run("question", s, At("ask"), typed("mi mamá no respira"))
    assert spanish.lines[0][1] == "Si es una emergencia, llame al 911 ahora. El 311 no puede enviar ayuda."
    assert s.lang == "es-US"


def test_keys_are_never_mistaken_for_an_emergency():
    assert conversation(VOICE).advance(new_session(), "main", key("1")).node == "ask"


def test_a_caller_hears_911_first_and_it_is_recorded_as_an_emergency(app, session, drain):
    caller = Caller(app)
    caller.dial()
    heard = caller.say("someone just collapsed and is not breathing")
    assert heard.says[0][1] == "If this is an emergency, please hang up and call 9 1 1 now."
    assert heard.gather is not None  # the call goes on if it was not one
    drain()
    steps = session.exec(select(CallStep).where(CallStep.call_sid == caller.sid)).all()
    assert [s.outcome for s in steps].count("emergency") == 1
    assert session.exec(select(Unanswered)).all() == []


def test_a_texter_is_told_to_call_911_in_spanish(app, session):
    reply = Texter(app).send("hay un cable de luz caído y echando chispas")
    assert reply.startswith("Si es una emergencia, llame al 911 ahora.")
    assert session.exec(select(Unanswered)).all() == []
