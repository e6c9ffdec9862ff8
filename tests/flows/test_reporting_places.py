"""Where a problem is, checked against the city's map (flows/steps/reporting.py with places/): the point read back,
two or three offered, asked again, then the words kept for an agent; another body's address told so. Signed
webhooks, both channels, both languages."""

from __future__ import annotations

from sqlmodel import select

from crm_bridge.models import Ticket
from tests.helpers import Caller, Texter


def _to_location(caller: Caller, lang_key: str = "1", problem: str = "pothole") -> None:
    caller.dial()
    caller.press(lang_key)
    caller.press("2")  # report a problem
    caller.say(problem)


def _finish_by_voice(caller: Caller):
    heard = caller.last
    while heard.node == "report_attr":
        heard = caller.press("*")
    caller.press("2")  # no details
    caller.press("3")  # no call-back
    return caller.press("1")  # send


def test_a_pothole_at_a_spoken_intersection_gets_a_ticket_with_its_point(app, session):
    caller = Caller(app)
    _to_location(caller)
    heard = caller.say("fifth and main")
    assert "I found 5th Street and Main Street. Is that right?" in heard.text
    caller.say("yes")
    heard = _finish_by_voice(caller)
    assert "Your ticket number is" in heard.text
    ticket = session.exec(select(Ticket)).one()
    assert (ticket.address, ticket.matched_address) == ("5th Street and Main Street", "5th St & Main St")
    assert abs(ticket.lat - (39.7817 + 5 * 0.00135)) < 0.0002 and abs(ticket.long + 89.6501) < 0.0002
    assert ticket.areas["council.member"] == "Maria Ortega" and not ticket.address_flagged


def test_close_matches_are_offered_and_the_one_chosen_is_kept(app, session):
    caller = Caller(app)
    _to_location(caller)
    heard = caller.say("1190 north main street")  # no such number: its neighbours on the street are offered
    assert heard.node == "report_location_pick"
    assert "To 1188 North Main Street, press 1." in heard.text and "none of these" in heard.text
    caller.press("1")
    _finish_by_voice(caller)
    ticket = session.exec(select(Ticket)).one()
    assert ticket.matched_address == "1188 N Main St" and ticket.address == "1188 North Main Street"


def test_no_to_the_read_back_asks_again(app):
    caller = Caller(app)
    _to_location(caller)
    caller.say("eleven eighty eight north main")
    heard = caller.say("no")
    assert heard.node == "report_location" and "Please say the street address" in heard.text


def test_an_unknown_place_is_asked_again_then_kept_and_flagged_for_an_agent(app, session):
    texter = Texter(app)
    texter.send("REPORT")
    texter.send("pothole")
    reply = texter.send("behind the old mill by the creek")
    assert reply.startswith("Sorry, I couldn't find that address on the city's map. Where is it?")
    reply = texter.send("behind the old mill by the creek")
    assert "I'll keep the location as you gave it: behind the old mill by the creek." in reply
    while "Reply with any details" not in reply:
        reply = texter.send("*")
    texter.send("Deep hole")
    texter.send("2")  # no text when fixed
    texter.send("1")  # send
    ticket = session.exec(select(Ticket)).one()
    assert ticket.address_flagged and ticket.lat is None and ticket.matched_address == ""
    assert ticket.address == "behind the old mill by the creek"


def test_an_address_in_another_town_is_told_its_number_in_spanish(app, session):
    texter = Texter(app, phone="+13125550191")
    texter.send("ES")
    texter.send("REPORTAR")
    texter.send("bache")
    reply = texter.send("123 Elm Street, Shelbyville")
    assert "Esa dirección está en Shelbyville, no en esta ciudad. Por favor llame a Shelbyville al 555-555-0140." \
        in reply
    assert session.exec(select(Ticket)).all() == []


def test_a_spanish_caller_hears_the_point_read_back_in_spanish(app, session):
    caller = Caller(app)
    _to_location(caller, lang_key="2", problem="bache")
    heard = caller.say("mil ciento ochenta y ocho calle main norte")
    assert "Encontré 1188 North Main Street. ¿Es correcto?" in heard.text
    caller.press("1")
    _finish_by_voice(caller)
    assert session.exec(select(Ticket)).one().matched_address == "1188 N Main St"


def test_a_second_report_near_the_first_is_linked_by_its_point(app, session):
    for said in ("fifth and main", "Main Street and Fifth Street"):
        caller = Caller(app)
        _to_location(caller)
        caller.say(said)
        caller.press("1")
        heard = _finish_by_voice(caller)
    assert "already been reported" in heard.text
    first, second = session.exec(select(Ticket).order_by(Ticket.id)).all()
    assert second.duplicate_of == first.number
