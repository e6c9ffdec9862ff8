"""The conversation engine on its own: menus from data, keys and words, silences, answers, effects, capabilities."""

from __future__ import annotations

from flows.capabilities import TEXT, VOICE
from flows.engine import At
from flows.session import Session
from flows.turns import EnterQueue, Input, InputKind, OpenTicket, Outcome, goto
from queueing.admission import Admission
from tests.flows.builders import conversation, key, said, session, spoken, typed


def test_the_main_menu_reads_its_options_from_the_menus_file_in_order():
    turn = conversation().show(session(), "main")
    assert [o.key for o in turn.options] == ["1", "2", "3", "0", "*"]
    assert turn.options[1].label == "report a problem like a pothole or a missed trash pickup"
    assert turn.free_text


def test_storm_mode_swaps_in_the_storm_menu():
    turn = conversation(short_menu=True).show(session(), "main")
    assert [o.key for o in turn.options] == ["1", "0", "*"]


def test_a_key_or_a_short_phrase_picks_an_option_and_a_wrong_key_is_named():
    conv, s = conversation(), session()
    assert conv.advance(s, "main", key("1")).node == "ask"
    assert conv.advance(s, "main", said("check on a request")).node == "check_number"
    wrong = conv.advance(s, "main", key("7"))
    assert wrong.node == "main" and spoken(wrong).startswith("Sorry, 7 is not one of the choices.")
    assert wrong.steps[0].outcome is Outcome.INVALID


def test_silence_reprompts_simply_then_offers_a_person_then_says_goodbye():
    conv, s = conversation(), session()
    first = conv.advance(s, "main", Input.none())
    assert spoken(first).startswith("Sorry, I didn't hear anything.") and "Please press a key now." in spoken(first)
    second = conv.advance(s, "main", Input.none())
    assert second.node == "offer_agent"
    third = conv.advance(s, "offer_agent", Input.none())
    assert third.end and "Goodbye" in spoken(third)


def test_an_unknown_or_stale_step_starts_again_at_the_main_menu():
    conv, s = conversation(), session()
    assert conv.advance(s, "no-such-step", key("1")).node == "main"
    assert conv.show(s, "report_review").node == "main"  # no report being taken
    assert conv.show(s, "topic:not-a-topic").node == "main"
    assert conv.show(s, "topic:community").node == "topic:community"


def test_a_clear_question_is_answered_by_voice_with_the_spoken_article_and_by_text_with_the_short_one():
    voice, text = conversation(VOICE), conversation(TEXT)
    heard = voice.advance(session(), "ask", said("when does the library close"))
    read = text.run("question", session(), At("ask"), typed("when does the library close"))
    assert heard.node == read.node == "after"
    article = voice.d.kb.article("en-US", "library-hours")
    assert heard.lines[0][1] == article.spoken and read.lines[0][1] == article.text
    assert heard.steps[0].outcome is Outcome.ANSWERED and heard.steps[0].article_id == "library-hours"


def test_a_doubtful_match_is_confirmed_by_voice_and_offered_as_a_list_by_text():
    voice, text = conversation(VOICE), conversation(TEXT)
    title = voice.d.kb.article("en-US", "trash-recycling-schedule").title
    heard = voice.advance(session(), "ask", said("trash pickup"))
    assert heard.node == "confirm" and f"I think you asked about {title}." in spoken(heard)
    s = session()
    listed = text.run("question", s, At("ask"), typed("trash pickup"))
    assert listed.node == "did_you_mean" and not listed.list_options
    assert spoken(listed).startswith(f"Did you mean: 1) {title}; 2) ")
    assert spoken(listed).endswith("Reply 1 or 2 or 3.")
    chosen = text.advance(s, "did_you_mean", typed("2"))
    assert chosen.node == "after" and s.article == "missed-trash-pickup"


def test_an_unknown_question_is_passed_on_honestly():
    voice, text = conversation(VOICE), conversation(TEXT)
    heard = voice.advance(session(), "ask", said("penguin jokes please"))
    assert heard.node == "unsure" and spoken(heard).startswith("I'm not sure I can answer that one.")
    assert heard.steps[0].outcome is Outcome.UNSURE and heard.steps[0].input_value == "penguin jokes please"
    read = text.run("question", session(), At("ask"), typed("penguin jokes please"))
    assert "Call 555-555-0311" in read.lines[0][1]


def test_asking_for_a_person_is_an_effect_and_its_answer_decides_the_next_turn():
    conv, s = conversation(), session()
    asked = conv.advance(s, "main", key("0"))
    assert asked.effect == EnterQueue("en-US") and asked.steps[0].outcome is Outcome.AGENT
    assert conv.resume(s, Admission("311-english")).transfer == "311-english"
    conv.advance(s, "main", key("0"))
    closed = conv.resume(s, Admission(None, "closed"))
    assert closed.node == "voicemail_offer" and closed.options[0].action == goto("voicemail_record")


def test_a_report_asks_for_a_voice_message_only_where_the_channel_records_audio():
    for caps, has_record in ((VOICE, True), (TEXT, False)):
        conv, s = conversation(caps), session()
        conv.run("report", s, At("main"), Input.none())
        conv.advance(s, "report_type:1", key("1"))  # pothole
        conv.advance(s, "report_location", said("100 Main Street"))
        details = conv.advance(s, "report_location_ok", key("1"))
        while details.node == "report_attr":
            details = conv.advance(s, "report_attr", key("1"))
        assert details.node == "report_details"
        assert any(o.action == goto("report_record") for o in details.options) is has_record


def test_sending_a_report_is_an_effect_carrying_the_typed_draft():
    conv, s = conversation(TEXT), session()
    conv.run("report", s, At("main"), Input.none())
    conv.advance(s, "report_type:1", typed("graffiti"))
    turn = conv.advance(s, "report_location", typed("12 Oak Ave"))
    turn = conv.advance(s, turn.node, typed("1"))
    while turn.node == "report_attr":
        turn = conv.advance(s, "report_attr", typed("1"))
    turn = conv.advance(s, "report_details", typed("tags on the wall"))
    if turn.node == "report_notify":
        turn = conv.advance(s, "report_notify", typed("1"))
    sent = conv.advance(s, "report_review", typed("1"))
    assert isinstance(sent.effect, OpenTicket)
    assert (sent.effect.draft.service, sent.effect.draft.address) == ("graffiti", "12 Oak Ave")
    assert sent.effect.draft.details == "tags on the wall" and sent.effect.draft.notify is True


def test_the_session_is_typed_and_survives_json_with_unknown_fields():
    s = session(article="library-hours")
    s.draft().address = "1 Main"
    again = Session.model_validate_json(s.model_dump_json()[:-1] + ', "from_an_old_release": 1}')
    assert again.article == "library-hours" and again.report.address == "1 Main"
    assert InputKind.KEY.value == "key"
