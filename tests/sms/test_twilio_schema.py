"""Outbound texts checked against Twilio's own OpenAPI description, served by Prism (see ../shared/twilio-oai)."""

from __future__ import annotations

import socket
import subprocess
import time

import httpx
import pytest
from sqlmodel import select

from messaging.models import SmsOutbound
from settings import ROOT, load_settings
from tests.conftest import run_jobs
from tests.crm_bridge.builders import make_ticket

SPEC = ROOT.parent / "shared" / "twilio-oai" / "twilio_api_v2010.json"
PRISM = ROOT / ".tools" / "prism" / "node_modules" / ".bin" / "prism"


@pytest.fixture(scope="module")
def prism_url():
    if not SPEC.exists() or not PRISM.exists():
        pytest.fail(f"Prism or Twilio's spec is missing ({PRISM}, {SPEC}): `make test` installs Prism")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([str(PRISM), "mock", "-p", str(port), "--errors", str(SPEC)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            httpx.get(f"{url}/2010-04-01/Accounts/AC{'1' * 32}/Messages.json", timeout=2, auth=("AC" + "1" * 32, "x"))
            break
        except httpx.HTTPError:
            assert proc.poll() is None, "prism exited"
            time.sleep(0.5)
    yield url
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture
def prism_settings(env, prism_url, tmp_path):
    return load_settings(ROOT / "config.toml", {**env, "TWILIO_API_BASE_URL": prism_url})


def test_prism_rejects_a_message_twilio_would_reject(prism_url):
    account = "AC" + "1" * 32
    response = httpx.post(f"{prism_url}/2010-04-01/Accounts/{account}/Messages.json", data={"Body": "no To"},
                          auth=(account, "token"))
    assert response.status_code == 422


def test_answer_text_is_a_valid_twilio_message_request(prism_settings, engine, redis, session):
    from core.worker import queue
    from messaging.outbound import send_text

    queue(redis).enqueue_call(send_text, kwargs={"to": "+13125550147", "body": "Most branches: Mon-Thu 9am-8pm."})
    run_jobs(prism_settings, redis)
    [row] = session.exec(select(SmsOutbound)).all()
    assert row.status == "sent" and row.twilio_sid


def test_closing_notice_is_a_valid_twilio_message_request(prism_settings, engine, redis, session):
    from core.worker import queue
    from crm_bridge.models import TicketStatus
    from crm_bridge.service import change_status
    from flows.on_ticket_closed import notify_closed

    ticket = make_ticket(session, prism_settings, notify_on_close=True, language="es-US")
    change_status(session, ticket=ticket, status=TicketStatus.CLOSED, note="Se rellenó el bache. ✅")
    session.commit()
    queue(redis).enqueue_call(notify_closed, kwargs={"ticket_id": ticket.id})
    run_jobs(prism_settings, redis)
    [row] = session.exec(select(SmsOutbound)).all()
    assert row.status == "sent" and row.kind == "closed"

