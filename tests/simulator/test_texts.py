"""A text delivered as Twilio delivers an SMS, and the service's reply read back."""

from __future__ import annotations

from simulator.texts import send_text
from tests.simulator.phones import (
    RESIDENT,
    run,
)


def test_a_text_gets_the_services_reply(phones):
    replies = run(send_text(phones.transport, sender=RESIDENT, to=phones.settings.numbers[0], body="HELP"))
    assert [line.kind for line in replies] == ["text"]
    assert "Reply STOP to opt out." in replies[0].text
    form = phones.transport.posts[-1][1]
    assert form["MessageSid"].startswith("SM") and form["Body"] == "HELP"
