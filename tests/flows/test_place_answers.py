"""Answers that depend on where (flows/steps/place_answers.py through the address step of flows/steps/reporting.py):
the trash day in each zone of the sample map, the council member, the closest library. Signed webhooks, both
channels, both languages, the date from the injected clock (conftest: Tuesday 17 November 2026)."""

from __future__ import annotations

import pytest

from tests.conftest import run_jobs
from tests.helpers import Caller, Texter

ZONES = [  # an address in each trash zone of the sample map, its day, and its next recycling day from 17 November
    ("156 N Washington St", "156 North Washington Street", "Monday", "Monday, November 23"),
    ("178 N Pine St", "178 North Pine Street", "Tuesday", "Tuesday, November 17"),
    ("546 S Pine St", "546 South Pine Street", "Wednesday", "Wednesday, November 25"),
    ("520 S Washington St", "520 South Washington Street", "Thursday", "Thursday, November 19"),
]


@pytest.mark.parametrize(("typed", "read_back", "day", "recycling"), ZONES)
def test_trash_day_by_text_for_an_address_in_each_zone(app, typed, read_back, day, recycling):
    texter = Texter(app, "+13125550161")
    assert "What is your address?" in texter.send("What day is my trash day?")
    assert f"I found {read_back}. Is that right?" in texter.send(typed)
    reply = texter.send("yes")
    assert f"At {read_back}, trash is picked up every {day}; recycling every other {day}, next on {recycling}." in reply


def test_trash_day_by_voice_in_spanish(app):
    caller = Caller(app, "+13125550162")
    caller.dial()
    caller.press("2")  # español
    heard = caller.say("¿qué día pasa el camión de la basura por mi casa?")
    if heard.node == "confirm":
        heard = caller.say("sí")
    assert heard.node == "report_location" and "¿Cuál es su dirección?" in heard.text
    heard = caller.say("quinientos veinte sur washington")
    assert "520 South Washington Street" in heard.text and heard.node == "report_location_ok"
    heard = caller.say("sí")
    assert ("En 520 South Washington Street, la basura se recoge cada jueves; el reciclaje, un jueves sí y otro no, "
            "el próximo el jueves 19 de noviembre.") in heard.text
    assert heard.node == "address_remember_offer" and "¿Quiere que recordemos esta dirección" in heard.text
    heard = caller.say("no")
    assert heard.node == "after" and "De acuerdo, no la guardaremos." in heard.text


def test_council_member_by_text(app):
    texter = Texter(app, "+13125550163")
    assert "What is your address?" in texter.send("who is my council member?")
    texter.send("546 S Pine St")
    reply = texter.send("yes")
    assert "546 South Pine Street is in council district 3. Your council member is Priya Raman." in reply


def test_closest_library_with_its_distance_and_hours_by_voice(app):
    caller = Caller(app, "+13125550164")
    caller.dial()
    caller.press("1")
    heard = caller.say("which library is closest to my house")
    if heard.node == "confirm":
        heard = caller.say("yes")
    assert "What is your address?" in heard.text
    caller.say("ninety eight north oak street")
    heard = caller.say("yes")
    expected = "The closest library to 98 North Oak Street is Oak Street Library, 350 N Oak St, about 0.2 miles away."
    assert expected in heard.text
    assert "Its hours: Monday to Saturday, 9 AM to 6 PM." in heard.text


def test_an_address_not_found_twice_gives_the_general_answer(app):
    texter = Texter(app, "+13125550165")
    texter.send("who is my council member?")
    texter.send("behind the old mill by the creek")
    reply = texter.send("behind the old mill by the creek")
    assert "I could not find that address on the city's map, so here is the general answer." in reply
    assert "onecall311.example/council" in reply and "Someone will check it" not in reply


def test_an_address_remembered_on_request_is_offered_masked_next_time_then_forgotten(app, redis):
    first = Texter(app, "+13125550166")
    first.send("who is my council member?")
    first.send("546 S Pine St")
    reply = first.send("yes")
    assert "Your council member is Priya Raman." in reply and "Shall we remember this address for next time?" in reply
    assert "We'll offer this address next time. Text FORGET ADDRESS" in first.send("yes")
    stored = [key.decode() if isinstance(key, bytes) else key for key in redis.keys("places:remembered:*")]
    assert len(stored) == 1 and "3125550166" not in stored[0]  # a keyed digest, never the number
    assert 0 < redis.ttl(stored[0]) <= 180 * 86400  # [places] remember_days
    caller = Caller(app, "+13125550166")  # the same number calls: offered again, masked, and asked no more
    caller.dial()
    caller.press("1")
    heard = caller.say("what day is my trash day")
    if heard.node == "confirm":
        heard = caller.say("yes")
    assert heard.node == "address_remembered" and "Is it still the address at 546 South Pine…?" in heard.text
    assert "546 South Pine Street" not in heard.text
    heard = caller.press("1")
    assert "At 546 South Pine Street, trash is picked up every Wednesday" in heard.text and heard.node == "after"
    assert "I've forgotten that address." in Texter(app, "+13125550166").send("FORGET ADDRESS")
    assert redis.keys("places:remembered:*") == []
    texter = Texter(app, "+13125550166")
    assert "What is your address?" in texter.send("who is my council member?")


def test_the_call_option_forgets_and_a_no_is_asked_only_once(app, redis):
    texter = Texter(app, "+13125550167")
    texter.send("who is my council member?")
    texter.send("546 S Pine St")
    texter.send("yes")
    texter.send("yes")
    caller = Caller(app, "+13125550167")
    caller.dial()
    caller.press("1")
    heard = caller.say("who is my council member")
    if heard.node == "confirm":
        heard = caller.say("yes")
    assert "To forget that address, press 3." in heard.text
    heard = caller.press("3")
    assert "I've forgotten that address." in heard.text and "What is your address?" in heard.text
    caller.say("five twenty south washington street")
    heard = caller.say("yes")
    assert "Shall we remember this address" in heard.text
    assert "All right, we won't keep it." in caller.press("2").text
    again = Texter(app, "+13125550167")
    again.send("who is my council member?")
    again.send("520 S Washington St")
    reply = again.send("yes")
    assert "Priya Raman" in reply and "remember" not in reply  # asked once: the no is kept


def test_hearing_it_again_repeats_the_answer_for_the_address_without_asking_for_it(app):
    caller = Caller(app, "anonymous")  # no number: nothing to remember, straight to what comes next
    caller.dial()
    caller.press("1")
    heard = caller.say("who is my council member")
    if heard.node == "confirm":
        heard = caller.say("yes")
    caller.say("five forty six south pine street")
    heard = caller.say("yes")
    member = "546 South Pine Street is in council district 3. Your council member is Priya Raman."
    assert member in heard.text and heard.node == "after"
    heard = caller.press("1")  # hear it again
    assert member in heard.text and heard.node == "after"
    assert "What is your address?" not in heard.text and "general answer" not in heard.text
    heard = caller.press("2")  # another question: a new one asks for its own address again
    heard = caller.say("what day is my trash day")
    if heard.node == "confirm":
        heard = caller.say("yes")
    assert "What is your address?" in heard.text


def test_the_answer_by_text_is_the_one_for_the_address(app, settings, redis, twilio_api):
    caller = Caller(app, "+13125550168")
    caller.dial()
    caller.press("1")
    heard = caller.say("what day is my trash day")
    if heard.node == "confirm":
        heard = caller.say("yes")
    if heard.node == "address_remembered":  # never the case for this number; kept honest if it were
        heard = caller.press("2")
    caller.say("five twenty south washington street")
    heard = caller.say("yes")
    assert heard.node == "address_remember_offer"
    heard = caller.press("2")  # don't remember it
    assert heard.node == "after"
    heard = caller.press("3")  # get this answer by text
    assert heard.says[0] == ("en-US", "I'm sending that answer by text message to the phone you're calling from.")
    run_jobs(settings, redis)
    [sent] = twilio_api.messages()
    assert sent["To"] == "+13125550168"
    assert ("At 520 South Washington Street, trash is picked up every Thursday; recycling every other Thursday, "
            "next on Thursday, November 19.") in sent["Body"]
    assert "onecall311.example/trashday" not in sent["Body"]  # not the article's general text


def test_olvidar_direccion_by_text_forgets_the_address_in_spanish(app, redis):
    texter = Texter(app, "+13125550169")
    assert "¿Cuál es su dirección?" in texter.send("¿Quién es mi concejal?")
    texter.send("546 S Pine St")
    reply = texter.send("sí")
    assert "Priya Raman" in reply and "¿Quiere que recordemos esta dirección para la próxima vez?" in reply
    assert "Escriba OLVIDAR DIRECCION para que la olvidemos." in texter.send("sí")
    assert len(redis.keys("places:remembered:*")) == 1
    assert "Ya olvidé esa dirección." in Texter(app, "+13125550169").send("OLVIDAR DIRECCION")
    assert redis.keys("places:remembered:*") == []
    assert "¿Cuál es su dirección?" in Texter(app, "+13125550169").send("¿Quién es mi concejal?")  # not offered
