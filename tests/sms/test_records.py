"""A text is answered before its record is written; the drain writes it, and its unanswered question, once."""

from __future__ import annotations

from sqlmodel import Session, select

from core import write_behind
from knowledge.models import Unanswered
from sms.models import SmsInbound, SmsOpenReport
from tests.helpers import Texter, reply_text, twilio_post


def rows(engine, table) -> list:
    with Session(engine) as session:
        return session.exec(select(table)).all()


def test_a_text_is_answered_first_and_recorded_once_by_the_drain(app, engine, redis, drain):
    texter = Texter(app)
    form = texter.form("tell me a joke about penguins")
    reply = reply_text(twilio_post(app, "/sms/incoming", form))
    assert reply.startswith("Sorry, I don't have an answer for that yet")
    assert rows(engine, SmsInbound) == [] and rows(engine, Unanswered) == []  # the reply did not wait for them
    assert reply_text(twilio_post(app, "/sms/incoming", form)) == reply  # Twilio's retry, before the drain
    drain()
    [text] = rows(engine, SmsInbound)
    assert (text.kind, text.from_masked) == ("unanswered", "+*******0188")
    assert [q.text for q in rows(engine, Unanswered)] == ["tell me a joke about penguins"]
    assert write_behind.waiting(redis) == 0


def test_only_a_report_by_text_is_remembered_beyond_redis(app, engine, drain):
    texter = Texter(app)
    texter.send("when does the library close?")
    assert rows(engine, SmsOpenReport) == []  # a question leaves nothing to outlive Redis
    texter.send("REPORT")
    assert len(rows(engine, SmsOpenReport)) == 1  # a report under way is, at once (not written behind)
    texter.send("MENU")
    assert rows(engine, SmsOpenReport) == []  # and forgotten when it ends
