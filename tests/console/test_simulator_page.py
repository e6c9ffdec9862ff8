"""The browser phone's page and actions without a browser: who may open it, calls and texts through the real webhooks,
what the service sent arriving on the right phone, hostile text kept as text, and phones that outlive one process."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from sqlmodel import select
from starlette.testclient import TestClient

from console.models import Role, TokenScope
from console.pages import scenarios as scenarios_page
from console.pages import simulator as simulator_page
from console.pages.simulator import DEV_VISITOR
from core import audit
from core.audit import AuditEntry
from core.db import in_session
from core.defaults import SIMULATOR_PHONES_PER_BROWSER
from core.twilio_client import make_client
from queueing import agents
from queueing.models import AgentPin, PinSource
from settings import ROOT, load_settings
from simulator.store import NUMBERS, SimulatorStore
from tests.conftest import running_app
from tests.console.browser_session import csrf_of, signed_in
from tests.console.test_messages_page import ATTRIBUTE_BREAKOUT
from tests.console.test_routes import api_token, auth

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
    entry = session.exec(select(AuditEntry).where(AuditEntry.action == "agent.pin")).one()
    assert entry.actor == f"{DEV_VISITOR} testclient" and entry.after == {"pin": "set", "source": "development"}
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


# ---------------------------------------------------------------- nobody turns the browser phone against residents


class another_browser:  # noqa: N801 (reads as a function: another_browser(client))
    """A second browser on the same server (the same running app and its event loop), with cookies of its own."""

    def __init__(self, client: TestClient) -> None:
        self.client, self.cookies = client, type(client.cookies)()

    def _as_me(self, method: str, *args, **kwargs):
        theirs, self.client.cookies = self.client.cookies, self.cookies
        try:
            return getattr(self.client, method)(*args, **kwargs)
        finally:
            self.cookies, self.client.cookies = self.client.cookies, theirs

    def get(self, *args, **kwargs):
        return self._as_me("get", *args, **kwargs)

    def post(self, *args, **kwargs):
        return self._as_me("post", *args, **kwargs)


def stored_pin(session, agent: str) -> AgentPin:
    session.expire_all()
    return session.exec(select(AgentPin).where(AgentPin.agent == agent)).one()


def test_browser_phone_cannot_replace_a_real_agent_pin(dev_app, engine, session):
    in_session(engine, agents.set_pin, agent="Ana", pin="975310", actor="cli")  # `run.py agent-pin Ana`
    phone = BrowserPhone(dev_app)
    ana = phone.add_phone(kind="agent", agent="Ana")
    assert not phone.phone(ana)["offer_pin"] and "run.py agent-pin Ana" in phone.phone(ana)["pin_hint"]
    refused = phone.act(ana, "dev-pin", expect=409)
    assert refused["error"] == "Ana's PIN was set with `run.py agent-pin`; the browser phone never replaces it."
    kept = stored_pin(session, "Ana")
    assert kept.source == PinSource.ADMIN and agents._hasher.verify(kept.pin_hash, "975310")
    # An agent with no PIN gets a development one; another browser may replace that, never a real one.
    ben = phone.add_phone(kind="agent", agent="Ben")
    phone.act(ben, "dev-pin")
    assert stored_pin(session, "Ben").source == PinSource.DEVELOPMENT
    other = BrowserPhone(another_browser(dev_app))
    ben_there = other.add_phone(kind="agent", agent="Ben")
    ben_pin = re.search(r"PIN \(development\): (\d{6})", phone.phone(ben)["pin_hint"]).group(1)
    assert other.phone(ben_there)["offer_pin"] and ben_pin in other.phone(ben_there)["pin_hint"]  # seen there too
    other.act(ben_there, "dev-pin")
    in_session(engine, agents.set_pin, agent="Ben", pin="975310", actor="cli")  # the administrator's PIN wins
    assert other.act(ben_there, "dev-pin", expect=409)["error"].startswith("Ben's PIN was set with `run.py agent-pin`")
    assert agents._hasher.verify(stored_pin(session, "Ben").pin_hash, "975310")


def test_a_development_pin_stays_shown_and_settable_after_a_restart(dev_settings, engine, redis, clock, session):
    with running_app(dev_settings, clock) as before:
        phone = BrowserPhone(before)
        ana = phone.add_phone(kind="agent", agent="Ana")
        phone.act(ana, "dev-pin")
        pin = re.search(r"PIN \(development\): (\d{6})", phone.phone(ana)["pin_hint"]).group(1)
    redis.flushdb()  # the embedded Redis starts empty again: every browser's phones are forgotten
    with running_app(dev_settings, clock) as after:
        phone = BrowserPhone(after)
        ana = phone.add_phone(kind="agent", agent="Ana")
        assert phone.phone(ana)["pin_hint"] == f"PIN (development): {pin}, then #." and phone.phone(ana)["offer_pin"]
        phone.act(ana, "dev-pin")  # and a new one may be set
        new = re.search(r"PIN \(development\): (\d{6})", phone.phone(ana)["pin_hint"]).group(1)
    assert agents._hasher.verify(stored_pin(session, "Ana").pin_hash, new)
    in_session(engine, agents.set_pin, agent="Ana", pin="975310", actor="cli")  # an administrator's PIN is not kept
    assert stored_pin(session, "Ana").shown_pin is None


def test_outside_development_mode_no_development_pin_is_shown(app, engine):
    in_session(engine, agents.set_pin, agent="Ben", pin="864209", actor="page", source=PinSource.DEVELOPMENT)
    signed_in(app, Role.SUPERVISOR, name="sam")
    phone = BrowserPhone(app)
    ben = phone.add_phone(kind="agent", agent="Ben")
    assert "864209" not in json.dumps(phone.state) and not phone.phone(ben)["offer_pin"]


def test_browser_phone_numbers_unique_across_browsers_and_capped(dev_app, redis):
    first, second = BrowserPhone(dev_app), BrowserPhone(another_browser(dev_app))
    mine = [first.add_phone() for _ in range(SIMULATOR_PHONES_PER_BROWSER - 1)]
    first.add_phone(kind="agent", agent="Ana")  # an agent phone counts too
    capped = first.post("/phones", expect=409, kind="resident")
    most = SIMULATOR_PHONES_PER_BROWSER
    assert capped["error"] == f"This browser has {most} phones, the most it may have: remove one first."
    taken = {first.phone(p)["number"] for p in mine}
    assert len(taken) == len(mine)
    # The other browsers hold all but two of the rest: the second browser gets those two, then a clear refusal.
    free = [f"+12175550{100 + n}" for n in range(NUMBERS) if f"+12175550{100 + n}" not in taken]
    for number in free[2:]:
        redis.set(SimulatorStore.number_key_for(number), "another browser", ex=600)
    theirs = {second.phone(second.add_phone())["number"] for _ in range(2)}
    assert theirs == set(free[:2])
    full = second.post("/phones", expect=409, kind="resident")
    assert full["error"] == f"All {NUMBERS} fictional numbers are in use by other browsers: try again later."
    # A removed phone gives its number back, and only then may another browser have it.
    given_back = first.phone(mine[0])["number"]
    first.act(mine[0], "remove")
    assert not redis.exists(SimulatorStore.number_key_for(given_back))
    assert second.phone(second.add_phone())["number"] == given_back
    # Each number is held for as long as its browser's phones are kept, no longer.
    assert 0 < redis.ttl(SimulatorStore.number_key_for(given_back)) <= 4 * 3600


def test_text_reaches_only_the_owning_browser(dev_app, dev_settings, redis):
    first, second = BrowserPhone(dev_app), BrowserPhone(another_browser(dev_app))
    mine, theirs = first.add_phone(), second.add_phone()
    number = first.phone(mine)["number"]
    # Before numbers were held, the 101st phone repeated the first one's number: the second browser's phone is
    # given this browser's number behind its back, as that did.
    key = SimulatorStore.key_for(second.client.cookies["oc_simulator"])
    document = json.loads(redis.get(key))
    document["phones"][0]["number"] = number
    redis.set(key, json.dumps(document), ex=600)
    make_client(dev_settings).messages.create(to=number, from_="+15555550311", body="Your ticket 311-000123 is closed.")
    first.post("/tick")
    second.post("/tick")
    assert first.texts(mine) == [("service", "Your ticket 311-000123 is closed.")]
    assert second.texts(theirs) == []


ONE_SCENARIO = """
name = "Main menu in English"
[[step]]
hears = ["greeting"]
[[step]]
press = "1"
hears = ["Main menu."]
"""


@pytest.fixture
def one_scenario(tmp_path, monkeypatch):
    """The Scenarios page's folder holds one short scenario ("Run all" is quick)."""
    (tmp_path / "menu.toml").write_text(ONE_SCENARIO, encoding="utf-8")
    monkeypatch.setattr(scenarios_page, "FOLDER", tmp_path)


def run_all(client) -> object:
    return client.post("/console/scenarios/run", data={"csrf": csrf_of(client.get("/console/scenarios").text)})


def audited(session, action: str) -> list[AuditEntry]:
    session.expire_all()
    return list(session.exec(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)).all())


def test_browser_phone_and_run_all_audited_to_signed_in_account(app, dev_app, session, one_scenario):
    signed_in(app, Role.SUPERVISOR, name="sam")
    phone = BrowserPhone(app)
    first = phone.add_phone()
    phone.act(first, "dial")
    phone.act(first, "say", text="when is the library open")
    number = phone.phone(first)["display"]
    [added] = audited(session, "browser phone add")
    assert added.actor == "sam (console)" and added.subject == f"Phone 1 ({number})"
    [said] = audited(session, "browser phone say")
    assert said.actor == "sam (console)" and said.after["words"] == "when is the library open"
    assert [e.actor for e in audited(session, "browser phone dial")] == ["sam (console)"]
    assert run_all(app).status_code == 200
    assert [e.actor for e in audited(session, "run scenarios")] == ["sam (console)"]
    # Development mode with nobody signed in: the visitor's address.
    visitor = BrowserPhone(dev_app)
    visitor.act(visitor.add_phone(), "dial")
    assert audited(session, "browser phone dial")[-1].actor == f"{DEV_VISITOR} testclient"


def test_browser_phone_and_run_all_rate_limited(app, session, monkeypatch, one_scenario):
    monkeypatch.setattr(simulator_page, "SIMULATOR_ACTIONS_PER_MINUTE", 3)
    signed_in(app, Role.SUPERVISOR, name="sam")
    phone = BrowserPhone(app)
    first = phone.add_phone()
    phone.act(first, "dial")
    phone.act(first, "silence")
    refused = app.post(f"{PAGE}/phones/{first}/say", data={"csrf": phone.csrf, "text": "hello"})
    assert refused.status_code == 429 and 0 < int(refused.headers["Retry-After"]) <= 60
    assert refused.json()["error"].startswith("Too many browser phone actions: at most 3 a minute. Try again in")
    assert audited(session, "browser phone say") == []  # refused before anything reached the service
    assert app.post(f"{PAGE}/tick", data={"csrf": phone.csrf}).status_code == 200  # the page's timer counts apart
    # Another account has its own allowance.
    app.post("/console/logout", data={"csrf": csrf_of(app.get("/console/live").text)})
    signed_in(app, Role.SUPERVISOR, name="kim")
    BrowserPhone(app).add_phone()
    # "Run all" once a minute per account.
    assert run_all(app).status_code == 200
    again = run_all(app)
    assert again.status_code == 429 and "run them again in" in again.text and "Retry-After" in again.headers
    assert len(audited(session, "run scenarios")) == 1


WORDS = "my name is Ana Ruiz, call me at 312 555 0147 about the pothole"


def test_raw_residents_words_in_audit_only_for_supervisors(app, session, engine):
    question = "is the pool open? text me at 217 555 0188"  # a resident's question, dismissed from the knowledge queue
    before, after = {"question": question, "state": "waiting"}, {"question": question, "state": "dismissed"}
    in_session(engine, audit.record, actor="ed (console)", action="kb.question.dismiss", subject="unanswered:1",
               before=before, after=after)
    signed_in(app, Role.SUPERVISOR, name="sam")
    phone = BrowserPhone(app)
    first = phone.add_phone()
    phone.act(first, "text", body=WORDS)
    assert WORDS in app.get("/console/audit").text  # supervisors (and admins) read what the resident wrote
    everything = str(app.get("/api/audit", headers=auth(api_token(app, "boss"))).json())
    assert WORDS in everything and question in everything
    app.post("/console/logout", data={"csrf": csrf_of(app.get("/console/live").text)})
    signed_in(app, Role.CONTENT_EDITOR, name="ed")
    shown = app.get("/console/audit").text
    assert "browser phone text" in shown and "[removed]" in shown and "about the pothole" in shown
    assert "Ana Ruiz" not in shown and "555 0147" not in shown
    read_only = app.get("/api/audit", headers=auth(api_token(app, "wall", scope=TokenScope.READ))).json()
    [entry] = [e for e in read_only if e["action"] == "browser phone text"]
    assert "Ana Ruiz" not in entry["after"]["words"] and "[removed]" in entry["after"]["words"]
    [asked] = [e for e in read_only if e["action"] == "kb.question.dismiss"]
    assert asked["before"]["question"] == asked["after"]["question"] == "is the pool open? text me at [removed]"
    assert audited(session, "browser phone text")[0].after["words"] == WORDS  # the trail itself keeps every word


SUNDAY_EVENING = dt.datetime(2026, 11, 22, 23, 0, tzinfo=dt.UTC)  # 5 p.m. in Springfield: [hours] say closed


def test_development_mode_shows_agents_off_duty_and_puts_them_on_duty_in_every_process(
    dev_settings, engine, redis, clock, session
):
    clock.now = SUNDAY_EVENING
    with running_app(dev_settings, clock) as client, running_app(dev_settings, clock) as elsewhere:
        page = client.get(PAGE).text
        assert 'id="duty-status"' in page and "Put agents on duty now" in page
        phone = BrowserPhone(client)
        assert phone.state["duty"]["on"] is False
        assert phone.state["duty"]["text"].startswith("Agents are off duty now (config.toml [hours])")
        assert "Next on duty tomorrow at 8 a.m." in phone.state["duty"]["text"]
        caller = phone.add_phone()
        phone.act(caller, "dial")
        phone.act(caller, "press", digits="1")
        phone.act(caller, "press", digits="0")
        assert "Our agents are not available right now." in phone.heard(caller)
        phone.act(caller, "hangup")
        phone.post("/duty", duty="on")
        assert phone.state["duty"]["on"] and phone.state["duty"]["put_on_duty"]
        assert "Agents are on duty until today at 7 p.m." in phone.state["duty"]["text"]
        # Another web process (another browser there) reads the same: the override is in Redis, not in memory.
        there = BrowserPhone(another_browser(elsewhere))
        assert there.state["duty"]["on"] and there.state["duty"]["put_on_duty"]
        waiting = there.add_phone()
        there.act(waiting, "dial")
        there.act(waiting, "press", digits="1")
        there.act(waiting, "press", digits="0")
        assert there.phone(waiting)["state"] == "queue"
        entry = session.exec(select(AuditEntry).where(AuditEntry.action == "agents.on_duty")).first()
        assert entry.actor == f"{DEV_VISITOR} testclient"
        phone.post("/duty", duty="hours")
        assert phone.state["duty"]["on"] is False
        assert BrowserPhone(another_browser(elsewhere)).state["duty"]["on"] is False
        assert phone.post("/duty", expect=409, duty="forever")["error"].startswith("Choose to put agents on duty")


def test_the_worker_reads_agents_put_on_duty_too(dev_settings, settings, redis):
    from core import duty
    from core.calendar import BusinessCalendar
    from core.redis import sync_client

    calendar, connection = BusinessCalendar(dev_settings), sync_client(dev_settings.redis_url)
    try:
        assert not calendar.state(SUNDAY_EVENING).is_open
        connection.set(duty.KEY, (SUNDAY_EVENING + dt.timedelta(hours=2)).isoformat())
        duty.refresh_sync(calendar, connection, dev_mode=True)
        assert calendar.state(SUNDAY_EVENING).is_open
        assert not calendar.state(SUNDAY_EVENING + dt.timedelta(hours=3)).is_open  # it ends by itself
        duty.refresh_sync(calendar, connection, dev_mode=False)  # never outside development mode
        assert not calendar.state(SUNDAY_EVENING).is_open
    finally:
        connection.close()


def test_outside_development_mode_there_is_no_duty_control(app, clock, redis):
    clock.now = SUNDAY_EVENING
    signed_in(app, Role.SUPERVISOR, name="sam")
    phone = BrowserPhone(app)
    assert "duty" not in phone.state and 'id="duty-status"' not in app.get(PAGE).text
    assert app.post(f"{PAGE}/duty", data={"csrf": phone.csrf, "duty": "on"}).status_code == 404
    assert redis.get("dev:agents-on-duty-until") is None


def test_in_production_the_browser_phone_is_test_traffic_and_counts_nowhere(app, session, drain):
    from console import report_figures
    from ivr.models import Call

    signed_in(app, Role.SUPERVISOR, name="sam")
    phone = BrowserPhone(app)
    first = phone.add_phone()
    phone.act(first, "dial")
    phone.act(first, "press", digits="1")
    phone.act(first, "say", text="when is the library open", confidence="0.92")
    assert "branches are open" in phone.heard(first)
    drain()  # written behind by another task: the records keep the browser phone's run
    call = session.exec(select(Call)).one()
    assert call.test_run == "browser-phone"
    day = app.app.state.ctx.now().astimezone(app.app.state.ctx.settings.timezone).date()
    shown = report_figures.report(session, start=day, end=day, zone=app.app.state.ctx.settings.timezone,
                                  now=app.app.state.ctx.now(), language="en-US", service_names={})
    assert shown.summary["calls"] == 0 and shown.tables["questions"].rows == []
