"""How it reads and sounds: options read naturally by voice and by text, no doubled stops, a way back everywhere."""

from __future__ import annotations

from crm_bridge.models import TicketStatus
from flows.wording import Wording
from tests.flows.builders import wording
from tests.helpers import Caller, Texter
from tests.ivr.test_report import check_by_phone, reported_then


def test_list_menus_read_navigation_options_as_actions(app):
    caller = Caller(app)
    caller.dial()
    caller.press("1")
    heard = caller.press("2")  # report a problem: the list of kinds
    assert "To hear more kinds of problems, press 9." in heard.text
    assert "For hear" not in heard.text and "For Pothole, press 3." in heard.text
    topics = Caller(app)
    topics.dial()
    topics.press("1")
    topics.press("1")
    listed = topics.press("1")  # choose from topics
    assert "To go back, press star." in listed.text and "For go back" not in listed.text


def test_text_choices_read_reply_1_to_do_something_or_for_an_item(app):
    texter = Texter(app)
    kinds = texter.send("REPORT")
    assert "Reply 1 for Missed trash pickup;" in kinds and "9 to see more kinds of problems." in kinds
    texter.send("pothole")
    heard = texter.send("143 Main Street")
    assert "Reply 1 to say yes, that's right; 2 to give the location again." in heard


def test_a_value_ending_a_sentence_does_not_double_the_stop():
    words = Wording({"en-US": {"note": "The crew's note: {note}.", "wait": "Hold on... {x}."}}, "en-US")
    assert words("en-US", "note", note="Filled it.") == "The crew's note: Filled it."
    assert words("en-US", "note", note="Done!") == "The crew's note: Done!"
    assert words("en-US", "wait", x="ok") == "Hold on... ok."
    assert ".." not in " ".join(wording()("en-US", "ticket_note", note="Patched by crew 12."))


def test_a_closed_request_s_note_is_read_with_one_stop(app, session):
    number = reported_then(app, session, TicketStatus.CLOSED, "Filled the pothole.")
    heard = check_by_phone(app, number)
    assert "Filled the pothole." in heard.text and "pothole.." not in heard.text


def test_the_ticket_number_prompt_has_a_way_back(app):
    caller = Caller(app)
    caller.dial()
    caller.press("1")
    prompt = caller.press("3")
    assert "To go back, press star." in prompt.text
    assert caller.press("*").node == "main"


def test_thanks_is_met_with_courtesy_not_a_promise(app, session):
    texter = Texter(app)
    for courtesy in ("no thanks", "Thank you!", "ok"):
        reply = texter.send(courtesy)
        assert reply == "You're welcome. Text a question, or MENU, any time."
    assert Texter(app, phone="+13125550170").send("no gracias").startswith("De nada.")
