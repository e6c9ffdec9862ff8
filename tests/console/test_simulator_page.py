"""The browser phone's page and actions without a browser: who may open it, calls and texts through the real webhooks,
what the service sent arriving on the right phone, hostile text kept as text, and phones that outlive one process."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from sqlmodel import select
from starlette.testclient import TestClient

from console.models import Role
from console.pages.simulator import DEV_ACTOR
from console.pages.simulator_store import SimulatorStore
from core.audit import AuditEntry
from core.twilio_client import make_client
from settings import ROOT, load_settings
from tests.conftest import running_app
from tests.console.browser_session import csrf_of, signed_in
from tests.console.test_messages_page import ATTRIBUTE_BREAKOUT

PAGE = "/console/simulator"


@pytest.fixture
def dev_settings(env):
    """A developer's server after a fresh clone: no TWILIO_* at all, so outbound calls and texts go to the outbox."""
    return load_settings(ROOT / "config.toml", {k: v for k, v in env.items() if not k.startswith("TWILIO_")})


@pytest.fixture
def dev_app(dev_settings, engine, redis, clock):
    with running_app(dev_settings, clock) as client:
        yield client


class BrowserPhone:
    """The page as simulator.js uses it: opened once (its cookie and token), then actions posted with the token."""

    def __init__(self, client: TestClient) -> None:
        self.client = client
        opened = client.get(PAGE)
        assert opened.status_code == 200, opened.text
        self.csrf = re.search(r'data-csrf="([^"]+)"', opened.text).group(1)
        self.state = initial_state(opened.text)

    def post(self, path: str, expect: int = 200, **fields: str) -> dict:
        response = self.client.post(f"{PAGE}{path}", data={"csrf": self.csrf, **fields})
        assert response.status_code == expect, response.text
        data = response.json()
        self.state = data.get("state", self.state)
        return data

    def add_phone(self, **fields: str) -> str:
        self.post("/phones", kind=fields.pop("kind", "resident"), **fields)
        return self.state["phones"][-1]["id"]

    def act(self, phone: str, action: str, expect: int = 200, **fields: str) -> dict:
        return self.post(f"/phones/{phone}/{action}", expect=expect, **fields)

    def phone(self, phone: str) -> dict:
        return next(p for p in self.state["phones"] if p["id"] == phone)

    def heard(self, phone: str) -> str:
        """Everything the service said on this phone, in order."""
        return " ".join(line["text"] for line in self.phone(phone)["lines"] if line["speaker"] == "service")

    def texts(self, phone: str) -> list[tuple[str, str]]:
        return [(text["from"], text["body"]) for text in self.phone(phone)["texts"]]


def initial_state(html: str) -> dict:
    """The phones as the page hands them to its script."""
    found = re.search(r'<script type="application/json" id="sim-state">(.*?)</script>', html, re.S)
    assert found, "the page has no state for its script"
    return json.loads(found.group(1))


def test_in_development_mode_anyone_on_the_machine_opens_the_browser_phone(dev_app):
    door = dev_app.get("/simulator", follow_redirects=False)
    assert door.status_code == 303 and door.headers["location"] == PAGE
    page = dev_app.get("/simulator")
    assert page.status_code == 200 and "<h1>Browser phone</h1>" in page.text
    cookie = page.headers["set-cookie"]
    assert "oc_simulator=" in cookie and "HttpOnly" in cookie and "SameSite=strict" in cookie
    assert "Path=/console/simulator" in cookie
    assert "script-src 'self'" in page.headers["content-security-policy"]


def test_in_production_only_signed_in_supervisors_may_use_it(app):
    away = app.get(PAGE, follow_redirects=False)
    assert away.status_code == 303 and away.headers["location"] == "/console/login?next=%2Fconsole%2Fsimulator"
    assert app.post(f"{PAGE}/tick", data={"csrf": "x"}).status_code == 401
    signed_in(app, Role.WALLBOARD, name="wall")
    assert app.get(PAGE).status_code == 403
    app.post("/console/logout", data={"csrf": csrf_of(app.get("/console/live").text)})
    signed_in(app, Role.SUPERVISOR, name="sam")
    phone = BrowserPhone(app)
    assert 'href="/console/simulator"' in app.get("/console/live").text  # in a supervisor's menu
    phone.add_phone()
    assert phone.state["phones"][0]["status"] == "Idle"
    agent = phone.add_phone(kind="agent", agent="Ben")
    assert (
        phone.phone(agent)["pin_hint"] == "Ben has no PIN yet: an administrator sets one with `run.py agent-pin Ben`."
    )
    refused = phone.act(agent, "dev-pin", expect=409)  # a PIN from the page only in development mode
    assert "run.py agent-pin" in refused["error"]
    header = app.get(PAGE).text.split("</header>")[0]  # the console's own sign-out form still works from here
    out = app.post("/console/logout", data={"csrf": csrf_of(header)}, follow_redirects=False)
    assert out.status_code == 303 and app.get(PAGE, follow_redirects=False).status_code == 303


def test_a_post_without_the_pages_token_or_cookie_is_refused(dev_app):
    phone = BrowserPhone(dev_app)
    assert dev_app.post(f"{PAGE}/phones", data={"csrf": "forged", "kind": "resident"}).status_code == 403
    dev_app.cookies.clear()
    gone = dev_app.post(f"{PAGE}/phones", data={"csrf": phone.csrf, "kind": "resident"})
    assert gone.status_code == 409 and "Reload the page" in gone.json()["error"]


def test_a_call_from_the_page_hears_the_service_and_answers_by_speech_and_by_key(dev_app):
    phone = BrowserPhone(dev_app)
    first = phone.add_phone()
    phone.act(first, "dial")
    assert "Thank you for calling Springfield 3 1 1." in phone.heard(first)
    assert phone.phone(first)["in_call"] and phone.phone(first)["keys"]["num_digits"] == 1
    phone.act(first, "say", text="when is the library open", confidence="0.92")
    assert "branches are open" in phone.heard(first)
    assert ("caller", "when is the library open") in [(ln["speaker"], ln["text"]) for ln in phone.phone(first)["lines"]]
    phone.act(first, "press", digits="9")  # goodbye after an answer
    assert "Goodbye" in phone.heard(first) and not phone.phone(first)["in_call"]
    assert phone.phone(first)["status"] == "Idle"


def test_every_phone_has_its_own_fictional_number_and_the_agent_phone_an_agents(dev_app):
    phone = BrowserPhone(dev_app)
    one, two = phone.add_phone(), phone.add_phone()
    numbers = {phone.phone(one)["number"], phone.phone(two)["number"]}
    assert len(numbers) == 2 and all(re.fullmatch(r"\+12175550(1\d\d)", n) for n in numbers)
    agent = phone.add_phone(kind="agent", agent="Ana")
    assert phone.phone(agent)["number"] == "+15555550101" and phone.phone(agent)["label"] == "Ana's agent phone"
    assert "no PIN yet" in phone.phone(agent)["pin_hint"] and phone.phone(agent)["offer_pin"]
    again = phone.post("/phones", expect=409, kind="agent", agent="Ana")  # one phone per agent
    assert again["error"] == "Ana's agent phone is already here." and len(phone.state["phones"]) == 3


def test_a_caller_in_the_queue_is_taken_by_the_agent_phone_and_both_see_it_then_hang_up(dev_app, session, redis):
    phone = BrowserPhone(dev_app)
    caller, agent = phone.add_phone(), phone.add_phone(kind="agent", agent="Ana")
    phone.act(caller, "dial")
    phone.act(caller, "say", text="when is the library open")
    phone.act(caller, "press", digits="0")
    assert phone.phone(caller)["state"] == "queue" and "Please hold" in phone.heard(caller)
    phone.act(agent, "dev-pin")  # development mode: a PIN from the page, shown beside the agent phone
    pin = re.search(r"PIN \(development\): (\d{6})", phone.phone(agent)["pin_hint"]).group(1)
    assert session.exec(select(AuditEntry).where(AuditEntry.action == "agent.pin")).one().actor == DEV_ACTOR
    phone.act(agent, "dial")
    assert "Please enter your PIN" in phone.heard(agent)
    assert phone.phone(agent)["keys"] == {"num_digits": None, "finish_on_key": "#"}
    phone.act(agent, "press", digits=f"{pin}#")
    assert "Next caller: English. Topic: Library hours." in phone.heard(agent)
    assert ("caller", "••••••#") in [(ln["speaker"], ln["text"]) for ln in phone.phone(agent)["lines"]]
    kept = json.loads(redis.get(SimulatorStore.key_for(dev_app.cookies["oc_simulator"])))
    assert pin not in json.dumps([kept["phones"][1]["call"], kept["switchboard"]])  # the keys are not kept either
    assert phone.phone(agent)["status"] == "Connected to Phone 1"
    phone.post("/tick")
    assert phone.phone(caller)["status"] == "Connected to Ana's agent phone"
    assert "Connecting you now." in phone.heard(caller)
    phone.act(agent, "hangup")
    phone.post("/tick")
    assert not phone.phone(agent)["in_call"] and not phone.phone(caller)["in_call"]
    assert "the other side hung up" in [line["text"] for line in phone.phone(caller)["lines"]]


def test_texts_and_calls_the_service_sends_arrive_on_the_matching_phone(dev_app, dev_settings, clock):
    phone = BrowserPhone(dev_app)
    mine, other = phone.add_phone(), phone.add_phone()
    number = phone.phone(mine)["number"]
    outbox = make_client(dev_settings)
    outbox.messages.create(to=number, from_="+15555550311", body="Library: 9am-8pm.")
    phone.post("/tick")
    assert phone.texts(mine) == [("service", "Library: 9am-8pm.")] and phone.texts(other) == []
    phone.post("/tick")
    assert phone.texts(mine) == [("service", "Library: 9am-8pm.")]  # each text arrives once
    outbox.calls.create(to=number, from_="+15555550311", url="https://311.example.gov/voice/callback/answer?x=1")
    phone.post("/tick")
    assert phone.phone(mine)["ringing"] and phone.phone(mine)["status"] == "Ringing: 555-555-0311 is calling"
    assert not phone.phone(other)["ringing"]
    clock.now += dt.timedelta(seconds=59)
    phone.post("/tick")
    assert phone.phone(mine)["ringing"]
    clock.now += dt.timedelta(seconds=1)  # a minute unanswered: it rings out, as Twilio's calls do
    phone.post("/tick")
    assert not phone.phone(mine)["ringing"] and "The call rang out: nobody answered." in lines_of(phone, mine)


def lines_of(phone: BrowserPhone, phone_id: str) -> list[str]:
    return [line["text"] for line in phone.phone(phone_id)["lines"]]


def test_hostile_text_heard_or_read_stays_text_on_the_page(dev_app):
    phone = BrowserPhone(dev_app)
    first = phone.add_phone()
    phone.act(first, "dial")
    hostile = "<script>alert(1)</script>" + ATTRIBUTE_BREAKOUT
    phone.act(first, "say", text=hostile)
    phone.act(first, "text", body=hostile)
    page = dev_app.get(PAGE).text
    assert "<script>alert(1)" not in page and 'onfocus="alert' not in page
    state = initial_state(page)["phones"][0]
    assert any(line["text"] == hostile for line in state["lines"])  # kept as typed, drawn as text by the script
    assert ("me", hostile) in [(t["from"], t["body"]) for t in state["texts"]]


def test_the_phones_live_in_redis_so_another_web_process_carries_on_the_call(dev_app, dev_settings, clock):
    phone = BrowserPhone(dev_app)
    first = phone.add_phone()
    phone.act(first, "dial")
    with running_app(dev_settings, clock) as second_process:
        second_process.cookies.update(dict(dev_app.cookies))
        other = BrowserPhone.__new__(BrowserPhone)
        other.client, other.csrf, other.state = second_process, phone.csrf, phone.state
        other.act(first, "press", digits="1")  # English, on the other process
        assert "Main menu." in other.heard(first)
    phone.post("/tick")
    assert "Main menu." in phone.heard(first)


def test_the_session_key_is_a_hash_of_the_cookie_and_expires(dev_app, redis):
    BrowserPhone(dev_app)
    cookie = dev_app.cookies["oc_simulator"]
    key = SimulatorStore.key_for(cookie)
    assert redis.exists(key) and cookie not in key and 0 < redis.ttl(key) <= 4 * 3600


def test_the_page_is_sent_only_what_it_has_not_drawn_yet(dev_app):
    phone = BrowserPhone(dev_app)
    first = phone.add_phone()
    phone.act(first, "dial")
    drawn = phone.phone(first)["lines"][-1]["n"]
    phone.act(first, "press", digits="1", since=json.dumps({first: drawn}))
    lines = phone.phone(first)["lines"]
    assert lines[0]["n"] == drawn + 1 and lines[0]["text"] == "1"  # from the key pressed on
    assert "Main menu." in phone.heard(first) and "Thank you for calling" not in phone.heard(first)
    phone.post("/tick", since="not json")
    assert "Thank you for calling" in phone.heard(first)  # a page that says nothing useful gets everything
