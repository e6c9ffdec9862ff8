"""Outbound texts and calls checked against Twilio's own OpenAPI description (tests/twilio_oai), in pure Python.

The stand-in for api.twilio.com (tests/twilio_stub.py) validates every request with openapi-core. These tests prove
both halves: what our code sends is accepted, and a malformed request is refused — a checker that cannot refuse would
prove nothing.
"""

from __future__ import annotations

import httpx
import pytest
from sqlmodel import select
from twilio.base.exceptions import TwilioRestException

from core.twilio_client import make_client
from messaging.models import SmsOutbound
from settings import ROOT, load_settings
from tests.conftest import run_jobs
from tests.crm_bridge.builders import make_ticket
from tests.twilio_stub import SPEC_PATH, TwilioStub, twilio_openapi

ACCOUNT = "AC" + "1" * 32
TEXT = {"To": "+13125550147", "From": "+13125550100", "Body": "Most branches: Mon-Thu 9am-8pm."}
CALL = {
    "To": "+13125550147",
    "From": "+13125550100",
    "Url": "https://311.example.gov/callbacks/voice",
    "StatusCallback": "https://311.example.gov/callbacks/status",
    "MachineDetection": "Enable",
}


def post(stub: TwilioStub, resource: str, data=None, *, account: str = ACCOUNT, auth=(ACCOUNT, "token"), **kwargs):
    url = f"{stub.url}/2010-04-01/Accounts/{account}/{resource}.json"
    return httpx.post(url, data=data, auth=auth, timeout=30, **kwargs)


def without(form: dict[str, str], name: str) -> dict[str, str]:
    return {k: v for k, v in form.items() if k != name}


@pytest.fixture
def own_stub():
    """A stub of the test's own, for requests meant to be refused (the twilio_api fixture fails on any refusal)."""
    with TwilioStub() as stub:
        yield stub


@pytest.fixture
def own_settings(env, own_stub):
    return load_settings(ROOT / "config.toml", {**env, "TWILIO_API_BASE_URL": own_stub.url})


def test_the_description_is_in_the_tree_and_parsed_once():
    assert SPEC_PATH.is_relative_to(ROOT) and SPEC_PATH.exists()
    assert twilio_openapi() is twilio_openapi()


def test_a_good_text_passes(own_stub):
    response = post(own_stub, "Messages", TEXT)
    assert response.status_code == 201, response.text
    assert response.json()["sid"].startswith("SM")
    assert own_stub.messages() == [TEXT] and own_stub.rejected == []


@pytest.mark.parametrize(
    ("resource", "form", "status", "code", "named"),
    [
        ("Messages", without(TEXT, "To"), 400, 21604, "'To'"),
        ("Messages", without(TEXT, "From"), 400, 21603, "'From'"),
        ("Messages", without(TEXT, "Body"), 400, 21602, "body"),
        ("Messages", {**TEXT, "Body": ""}, 400, 21602, "body"),
        ("Messages", {**TEXT, "StatusCallBack": "https://311.example.gov/s"}, 400, 20001, "StatusCallBack"),
        ("Messages", {**TEXT, "ValidityPeriod": "soon"}, 400, 20400, "ValidityPeriod"),
        ("Messages", {**TEXT, "ContentRetention": "forever"}, 400, 20400, "ContentRetention"),
        ("Messages", {**TEXT, "MessagingServiceSid": "MG123"}, 400, 20400, "MessagingServiceSid"),
        ("Calls", without(CALL, "Url"), 400, 21200, "'Url'"),
        ("Calls", without(CALL, "To"), 400, 21201, "'To'"),
        ("Calls", without(CALL, "From"), 400, 21213, "'From'"),
        ("Calls", {**CALL, "Method": "PUT"}, 400, 20400, "Method"),
        ("Calls", {**CALL, "Timeout": "a while"}, 400, 20400, "Timeout"),
        ("Calls", {**CALL, "StatusCallbackMethod": "PATCH"}, 400, 20400, "StatusCallbackMethod"),
    ],
)
def test_a_request_twilio_would_refuse_is_refused_and_recorded(own_stub, resource, form, status, code, named):
    response = post(own_stub, resource, form)
    assert response.status_code == status, response.text
    error = response.json()
    assert error["code"] == code and error["status"] == status and named in error["message"]
    assert error["more_info"] == f"https://www.twilio.com/docs/errors/{code}"
    [rejected] = own_stub.rejected
    assert rejected.path == f"/2010-04-01/Accounts/{ACCOUNT}/{resource}.json"
    assert (rejected.status, rejected.code) == (status, code)
    assert own_stub.requests == []


def test_a_request_without_credentials_is_refused(own_stub):
    response = post(own_stub, "Messages", TEXT, auth=None)
    assert response.status_code == 401 and response.json()["code"] == 20003
    assert own_stub.requests == [] and len(own_stub.rejected) == 1


def test_a_malformed_account_sid_is_refused(own_stub):
    response = post(own_stub, "Messages", TEXT, account="AC123")
    assert response.status_code == 400 and "AccountSid" in response.json()["message"]
    assert own_stub.requests == [] and len(own_stub.rejected) == 1


def test_a_json_body_is_refused_as_twilio_does(own_stub):
    # Twilio reads form bodies only; JSON leaves it with no To at all.
    response = post(own_stub, "Messages", json=TEXT)
    assert response.status_code == 400 and response.json()["code"] == 21604
    assert own_stub.requests == []


def test_a_resource_the_stub_does_not_create_is_refused(own_stub):
    response = post(own_stub, "Queues", {"FriendlyName": "en-US"})
    assert response.status_code == 404 and response.json()["code"] == 20404
    assert len(own_stub.rejected) == 1


def test_answer_text_is_a_valid_twilio_message_request(settings, engine, redis, session, twilio_api):
    from core.worker import queue
    from messaging.outbound import send_text

    queue(redis).enqueue_call(send_text, kwargs={"to": "+13125550147", "body": "Most branches: Mon-Thu 9am-8pm."})
    run_jobs(settings, redis)
    [row] = session.exec(select(SmsOutbound)).all()
    assert row.status == "sent" and row.twilio_sid
    [sent] = twilio_api.messages()
    assert sent["To"] == "+13125550147" and sent["From"] == settings.numbers[0]
    assert twilio_api.rejected == []


def test_closing_notice_is_a_valid_twilio_message_request(settings, engine, redis, session, twilio_api):
    from core.worker import queue
    from crm_bridge.models import TicketStatus
    from crm_bridge.service import change_status
    from outreach.on_ticket_closed import notify_closed

    ticket = make_ticket(session, settings, notify_on_close=True, language="es-US")
    change_status(session, ticket=ticket, status=TicketStatus.CLOSED, note="Se rellenó el bache. ✅")
    session.commit()
    queue(redis).enqueue_call(notify_closed, kwargs={"ticket_id": ticket.id})
    run_jobs(settings, redis)
    [row] = session.exec(select(SmsOutbound)).all()
    assert row.status == "sent" and row.kind == "closed"
    [sent] = twilio_api.messages()
    assert "✅" in sent["Body"]
    assert twilio_api.rejected == []


def test_a_call_back_call_is_a_valid_twilio_call_request(settings, twilio_api):
    call = make_client(settings).calls.create(
        to=CALL["To"],
        from_=CALL["From"],
        url=CALL["Url"],
        status_callback=CALL["StatusCallback"],
        machine_detection=CALL["MachineDetection"],
    )
    assert call.sid.startswith("CA")
    assert twilio_api.calls() == [CALL] and twilio_api.rejected == []


def test_a_call_without_url_is_refused_through_the_client(own_settings, own_stub):
    client = make_client(own_settings)
    with pytest.raises(TwilioRestException) as refused:
        client.calls.create(to=CALL["To"], from_=CALL["From"], status_callback=CALL["StatusCallback"])
    assert refused.value.status == 400 and refused.value.code == 21200
    assert own_stub.calls() == [] and [r.code for r in own_stub.rejected] == [21200]
