"""Reporting a problem and checking on it by phone: a ticket number, an SLA date, and its status later."""

from __future__ import annotations

import re

from sqlmodel import select

from crm_bridge import ticket_numbers as numbers
from crm_bridge.models import Ticket, TicketStatus
from crm_bridge.service import change_status
from tests.conftest import run_jobs
from tests.helpers import Caller


def spoken_number(text: str) -> str:
    match = re.search(r"Your ticket number is ([\d ,]+)\.", text)
    assert match, text
    return numbers.clean(match.group(1))


def report_pothole(caller: Caller, address: str = "143 Main Street", found: str | None = "143 North Main Street"):
    """A pothole reported by voice at an address the sample map has (found: as it is read back), or one it has not."""
    caller.dial()
    caller.press("1")
    caller.press("2")  # report a problem
    caller.say("pothole")
    heard = caller.say(address)
    if found:
        assert f"I found {found}. Is that right?" in heard.text
        caller.press("1")  # location is right
    else:  # not on the map: asked once more, then kept as said for an agent
        assert "Sorry, I couldn't find that address on the city's map." in heard.text
        heard = caller.say(address)
        assert f"I'll keep the location as you gave it: {address}." in heard.text
    caller.press("1")  # in a traffic lane? yes
    return caller


def finish_report(caller: Caller, notify: str = "1", address: str = "143 North Main Street"):
    heard = caller.last
    while heard.node == "report_attr":
        heard = caller.press("*")
    assert heard.node == "report_details"
    heard = caller.press("2")  # no details
    assert "ending in 0 1 4 7" in heard.text
    caller.press("1")  # call me at this number
    heard = caller.press(notify)  # text me when it's fixed?
    assert f"You are reporting: Pothole, at {address}." in heard.text
    return caller.press("1")


def test_report_a_pothole_and_hear_the_ticket_number_and_date(app, session):
    caller = report_pothole(Caller(app, phone="+13125550147"))
    heard = finish_report(caller)
    number = spoken_number(heard.text)
    assert numbers.is_valid(number)
    # Reported Tuesday 17 November 2026 at 10 a.m.: three business days.
    assert "We expect this to be done by Friday, November 20." in heard.text
    ticket = session.exec(select(Ticket).where(Ticket.number == number)).one()
    assert (ticket.service_code, ticket.address, ticket.phone) == ("pothole", "143 North Main Street", "+13125550147")
    assert (ticket.matched_address, ticket.address_flagged) == ("143 N Main St", False)
    assert (ticket.lat, ticket.long) == (39.783631, -89.650275)  # the sample map's point for 143 N Main St
    assert ticket.areas["trash.day"] == "Tuesday" and ticket.areas["council.district"] == "2"
    assert ticket.notify_on_close is True and ticket.channel == "voice"
    assert ticket.attributes["in_traffic_lane"] == "yes"
    again = caller.press("1")
    assert spoken_number(again.text) == number


def test_report_in_spanish_reads_the_date_in_spanish(app):
    caller = Caller(app)
    caller.dial()
    caller.press("2")
    caller.press("2")
    caller.say("bache")
    caller.say("Calle Quinta y Main")
    caller.press("1")
    heard = caller.last
    while heard.node == "report_attr":
        heard = caller.press("*")
    caller.press("2")
    caller.press("1")
    caller.press("2")
    heard = caller.press("1")
    assert "Su número de solicitud es" in heard.text
    assert "viernes 20 de noviembre" in heard.text


def test_second_caller_about_the_same_pothole_is_linked_not_duplicated(app, session):
    first = finish_report(report_pothole(Caller(app)))
    second = finish_report(report_pothole(Caller(app)))
    assert "already been reported" in second.text
    tickets = session.exec(select(Ticket)).all()
    assert len(tickets) == 2
    original = next(t for t in tickets if t.duplicate_of is None)
    assert original.number == spoken_number(first.text)
    assert next(t for t in tickets if t.duplicate_of).duplicate_of == original.number


def test_keypad_only_report_walks_the_type_pages(app):
    caller = Caller(app)
    caller.dial()
    caller.press("1")
    heard = caller.press("2")
    assert heard.node == "report_type:1"
    assert "For Pothole, press 3." in heard.text
    heard = caller.press("9")
    assert heard.node == "report_type:2" and "No heat" in heard.text
    heard = caller.press("*")
    assert heard.node == "report_type:1"
    heard = caller.press("3")
    assert heard.node == "report_location"
    assert heard.gather["input"] == "dtmf speech"


def test_report_from_an_answered_article(app):
    caller = Caller(app)
    caller.dial()
    heard = caller.say("how do I report a pothole")
    assert "To report this problem now, press 4." in heard.text
    heard = caller.press("4")
    assert heard.node == "report_location"


def test_details_can_be_left_as_a_recording(app, session):
    caller = report_pothole(Caller(app))
    heard = caller.last
    while heard.node == "report_attr":
        heard = caller.press("*")
    heard = caller.press("1")
    assert "<Record" in heard.xml and "After the tone" in heard.text
    caller._step(RecordingUrl="https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE123")
    caller.press("1")
    caller.press("2")
    caller.press("1")
    ticket = session.exec(select(Ticket)).one()
    assert ticket.recording_url.endswith("/Recordings/RE123")


def test_text_me_the_ticket_number(app, settings, redis, twilio_api):
    caller = report_pothole(Caller(app, phone="+13125550147"))
    number = spoken_number(finish_report(caller, notify="2").text)
    heard = caller.press("2")
    assert "I'm sending your ticket number by text message." in heard.text
    run_jobs(settings, redis)
    [sent] = twilio_api.messages()
    assert numbers.printed(number) in sent["Body"] and sent["To"] == "+13125550147"


def reported_then(app, session, status: TicketStatus, note: str) -> str:
    """Report a pothole by phone, move its ticket to status, and return its number."""
    number = spoken_number(finish_report(report_pothole(Caller(app))).text)
    ticket = session.exec(select(Ticket).where(Ticket.number == number)).one()
    change_status(session, ticket=ticket, status=status, note=note)
    session.commit()
    return number


def check_by_phone(app, number: str):
    """Call, choose "check on a request", key the number; return what the caller hears then."""
    caller = Caller(app)
    caller.dial()
    caller.press("1")
    heard = caller.press("3")
    assert heard.gather["numDigits"] == "9" and heard.gather["finishOnKey"] == "#"
    return caller.press(number)


def test_check_a_request_by_keypad(app, session, settings):
    number = reported_then(app, session, TicketStatus.IN_PROGRESS, "crew assigned")
    heard = check_by_phone(app, number)
    assert f"Request {numbers.spoken(number)}, Pothole, is being worked on." in heard.text
    assert "We expect this to be done by Friday, November 20." in heard.text
    assert "0147" not in heard.text


def test_a_closed_request_reads_the_crews_note(app, session):
    number = reported_then(app, session, TicketStatus.CLOSED, "Filled the pothole.")
    heard = check_by_phone(app, number)
    assert "has been completed" in heard.text and "The crew's note: Filled the pothole." in heard.text


def test_mistyped_ticket_number_is_caught_before_lookup(app):
    caller = Caller(app)
    caller.dial()
    caller.press("1")
    caller.press("3")
    number = numbers.new_number()
    typo = number[:-1] + str((int(number[-1]) + 1) % 10)
    heard = caller.press(typo)
    assert heard.says[0] == ("en-US", "That number doesn't look right. Please check it and try again.")
    assert heard.node == "check_number"


def test_unknown_ticket_number_is_said_not_found(app):
    caller = Caller(app)
    caller.dial()
    caller.press("1")
    caller.press("3")
    number = numbers.new_number()
    heard = caller.press(number)
    assert f"I couldn't find a request with the number {numbers.spoken(number)}." in heard.text


def test_caller_mid_report_after_redis_restart_is_told_and_resumes(app, redis, session):
    caller = Caller(app)
    caller.dial()
    caller.press("1")
    caller.press("2")  # report a problem
    caller.say("pothole")
    assert "I found 143 North Main Street. Is that right?" in caller.say("143 Main Street").text
    redis.flushdb()  # Redis restarted without its data: the call's session is gone
    heard = caller.press("1")  # "the location is right", to a report nobody remembers
    assert heard.text.startswith("Sorry, we lost your place in your report. Let's start it again.")
    assert heard.node == "report_type:1"  # the report asked again from its start, not the main menu
    caller.say("pothole")
    assert "I found 143 North Main Street. Is that right?" in caller.say("143 Main Street").text
    caller.press("1")
    caller.press("1")  # in a traffic lane? yes
    number = spoken_number(finish_report(caller).text)
    assert session.exec(select(Ticket).where(Ticket.number == number)).one().address == "143 North Main Street"


def test_a_spanish_caller_who_lost_their_place_is_told_in_spanish(app, redis):
    caller = Caller(app)
    caller.dial()
    caller.press("2")  # español
    caller.press("2")  # reportar un problema
    redis.flushdb()
    heard = caller.say("bache")
    assert heard.text.startswith("Lo sentimos, perdimos su lugar en el reporte. Empecemos de nuevo.")
    assert heard.node == "report_type:1"


def test_a_lost_session_where_nothing_was_lost_carries_on_without_an_apology(app, redis):
    caller = Caller(app)
    caller.dial()
    redis.flushdb()
    heard = caller.press("1")  # the language choice needs nothing from the session
    assert "lost your place" not in heard.text and heard.node == "main"
