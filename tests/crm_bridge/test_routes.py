"""Open311 GeoReport v2 through HTTP into the real app: services, posting with an api_key, querying, errors."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from urllib.parse import urlencode

import pytest
from sqlmodel import select

from core.defaults import OPEN311_KEY_FAILURES, OPEN311_KEY_FIRST_LOCK_SECONDS
from crm_bridge.models import CrmDelivery, Ticket, TicketEvent, TicketStatus
from crm_bridge.service import change_status, get_ticket, history
from settings import ROOT, load_settings
from tests.conftest import running_app
from tests.crm_bridge.builders import make_ticket
from tests.helpers import from_address
from tests.served import raw_post, served

API_KEY = "k1-issued-to-the-city-app-0001"
OTHER_KEY = "k2-issued-to-the-wards-app-002"
PHONE = "+13125550147"
BASE = "/open311/v2"


@pytest.fixture
def open311_settings(env):
    return load_settings(ROOT / "config.toml", {**env, "OPEN311_API_KEYS": f"{API_KEY}, {OTHER_KEY}"})


@pytest.fixture
def api(open311_settings, engine, redis, clock):
    with running_app(open311_settings, clock) as client:
        yield client


def post(api, **fields):
    form = {"api_key": API_KEY, "service_code": "pothole", "address_string": "123 Main Street", **fields}
    return api.post(f"{BASE}/requests.json", data={k: v for k, v in form.items() if v is not None})


def assert_error(response, status: int, mentions: str = "") -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert isinstance(body, list) and body[0]["code"] == status and mentions in body[0]["description"]


def count_tickets(session) -> int:
    return len(session.exec(select(Ticket)).all())


def test_service_list_in_json_and_xml(api):
    services = api.get(f"{BASE}/services.json").json()
    pothole = next(s for s in services if s["service_code"] == "pothole")
    assert pothole["service_name"] == "Pothole" and pothole["metadata"] is True and pothole["type"] == "realtime"
    assert pothole["group"] == "Streets" and "pothole" in pothole["keywords"].split(", ")
    assert next(s for s in services if s["service_code"] == "other")["metadata"] is False
    spanish = api.get(f"{BASE}/services.json?locale=es").json()
    assert next(s for s in spanish if s["service_code"] == "pothole")["service_name"] == "Bache"

    response = api.get(f"{BASE}/services.xml")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/xml")
    root = ET.fromstring(response.text)
    assert root.tag == "services" and len(root.findall("service")) == len(services)
    first = root.find("service")
    assert first.findtext("service_code") == services[0]["service_code"] and first.findtext("metadata") == "true"


def test_service_definition_lists_attributes_with_their_values(api):
    definition = api.get(f"{BASE}/services/missed-trash.json").json()
    assert definition["service_code"] == "missed-trash"
    cart = definition["attributes"][0]
    assert cart["code"] == "cart_type" and cart["required"] is True and cart["variable"] is True
    assert cart["datatype"] == "singlevaluelist" and cart["order"] == 1 and cart["description"]
    assert {"key": "recycling", "name": "Recycling"} in cart["values"]

    root = ET.fromstring(api.get(f"{BASE}/services/missed-trash.xml").text)
    assert root.tag == "service_definition"
    values = root.findall("attributes/attribute/values/value")
    assert ("garbage", "Garbage") in [(v.findtext("key"), v.findtext("name")) for v in values]


def test_unknown_service_or_format_is_a_spec_shaped_404(api):
    assert_error(api.get(f"{BASE}/services/no-such-thing.json"), 404, "no-such-thing")
    response = api.get(f"{BASE}/services/no-such-thing.xml")
    assert response.status_code == 404
    error = ET.fromstring(response.text)
    assert error.tag == "errors" and error.findtext("error/code") == "404"
    assert_error(api.get(f"{BASE}/services.yaml"), 404, "json")


def test_posting_with_an_api_key_opens_a_real_ticket_with_history(api, session):
    response = post(
        api,
        service_code="missed-trash",
        description="Recycling skipped again",
        phone="(312) 555-0147",
        email="someone@example.com",
        first_name="Pat",
        **{"attribute[cart_type]": "recycling", "lat": "41.8781", "long": "-87.6298"},
    )
    assert response.status_code == 201, response.text
    [created] = response.json()
    number = created["service_request_id"]
    assert created["service_notice"].startswith("Expected by ")
    ticket = get_ticket(session, number=number)
    assert ticket.channel == "open311" and ticket.status == "open" and ticket.phone == PHONE
    assert ticket.attributes == {"cart_type": "recycling"} and (ticket.lat, ticket.long) == (41.8781, -87.6298)
    assert [(e.status, e.actor) for e in history(session, ticket=ticket)] == [("open", "open311")]
    assert session.exec(select(CrmDelivery)).all() == []  # the builtin adapter: our database is the CRM

    form = {"api_key": OTHER_KEY, "service_code": "graffiti", "address_string": "9 Elm"}
    xml = api.post(f"{BASE}/requests.xml", data=form)
    assert xml.status_code == 201
    assert ET.fromstring(xml.text).findtext("request/service_request_id").isdigit()


def test_control_bidi_and_zero_width_characters_an_open311_client_sends_are_cleaned(api, session):
    # A machine sent them, so nobody can retype them: the ticket keeps the words without what a text cannot carry.
    response = post(api, address_string="12\u200b Main\x0bStreet", description="Deep\x07 \u202ehole\x1b[2J\ufeff")
    assert response.status_code == 201, response.text
    ticket = get_ticket(session, number=response.json()[0]["service_request_id"])
    assert (ticket.address, ticket.description) == ("12 Main Street", "Deep hole[2J")
    listed = api.get(f"{BASE}/requests/{ticket.number}.xml")
    assert listed.status_code == 200 and "Deep hole[2J" in listed.text


@pytest.mark.parametrize("api_key", [None, "", "wrong", f"{API_KEY}x", API_KEY.upper(), API_KEY[:-1]])
def test_missing_or_wrong_api_key_is_403_and_writes_nothing(api, session, api_key):
    assert_error(post(api, api_key=api_key), 403, "api_key")
    assert count_tickets(session) == 0


def test_no_configured_keys_means_no_one_can_post(app, session):
    response = app.post(f"{BASE}/requests.json", data={"api_key": "", "service_code": "pothole"})
    assert_error(response, 403)
    assert count_tickets(session) == 0


@pytest.mark.parametrize(
    ("fields", "mentions"),
    [
        ({"service_code": "unicorns"}, "service_code"),
        ({"service_code": "missed-trash"}, "attribute[cart_type]"),
        ({"service_code": "missed-trash", "attribute[cart_type]": "piano"}, "attribute[cart_type]"),
        ({"address_string": "A" * 5000}, "address_string"),
        ({"address_string": "", "lat": "north", "long": "-87.6"}, "lat"),
        ({"address_string": "", "lat": "91", "long": "-87.6"}, "lat"),
        ({"address_string": "", "lat": "nan", "long": "-87.6"}, "lat"),
        ({"address_string": "", "lat": "41.8"}, "long"),
        ({"address_string": ""}, "address_string"),
        ({"service_code": "x" * 500}, "service_code"),
        ({"device_id": "d" * 500}, "device_id"),
    ],
)
def test_bad_requests_are_400_naming_the_problem_and_write_nothing(api, session, redis, fields, mentions):
    assert_error(post(api, **{"device_id": "phone-1", **fields}), 400, mentions)
    assert count_tickets(session) == 0
    assert list(redis.scan_iter("open311:device:*")) == []


def test_oversized_bodies_are_refused_in_the_spec_shape_and_chunked_ones_are_counted(api, session):
    big = {"api_key": API_KEY, "service_code": "pothole", "address_string": "1 Main", "description": "x" * 70_000}
    assert_error(api.post(f"{BASE}/requests.json", data=big), 413)
    response = api.post(f"{BASE}/requests.xml", data=big)
    assert response.status_code == 413 and ET.fromstring(response.text).findtext("error/code") == "413"
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    streamed = (part for part in [urlencode(big).encode()])  # chunked, no length: counted as it streams in
    assert_error(api.post(f"{BASE}/requests.json", content=streamed, headers=headers), 413)
    assert count_tickets(session) == 0
    small = (part for part in [f"api_key={API_KEY}&service_code=pothole&address_string=1+Main".encode()])
    assert api.post(f"{BASE}/requests.json", content=small, headers=headers).status_code == 201


@pytest.fixture
def served_api(open311_settings, engine, redis, clock):
    with served(open311_settings, clock) as port:
        yield port


def _half_sent(port: int, path: str, first: bytes) -> int:
    """Announce a 60 KB form, send only its first piece, and return the status the server answers with meanwhile."""
    headers = {"Content-Type": "application/x-www-form-urlencoded", "Content-Length": str(60 * 1024)}
    status, _ = raw_post(port, path, headers, [first], chunked=False, timeout=5)
    return status


def test_a_bad_api_key_in_the_query_is_refused_before_the_form_is_read(served_api, session):
    first = b"service_code=pothole&address_string=1+Main&description=" + b"x" * 1000
    assert _half_sent(served_api, f"{BASE}/requests.json?api_key=nope", first) == 403
    assert _half_sent(served_api, f"{BASE}/requests.json", b"api_key=nope&" + first) == 403
    assert count_tickets(session) == 0


def test_every_api_key_a_post_carries_must_be_valid(api, session):
    form = {"api_key": "nope", "service_code": "pothole", "address_string": "123 Main Street"}
    assert_error(api.post(f"{BASE}/requests.json?api_key={API_KEY}", data=form), 403, "api_key")
    assert_error(api.post(f"{BASE}/requests.json?api_key=nope", data={**form, "api_key": API_KEY}), 403, "api_key")
    del form["api_key"]
    assert api.post(f"{BASE}/requests.json?api_key={API_KEY}", data=form).status_code == 201
    assert count_tickets(session) == 1


def test_xml_errors_have_the_spec_shape(api):
    response = api.post(f"{BASE}/requests.xml", data={"api_key": "nope", "service_code": "pothole"})
    root = ET.fromstring(response.text)
    assert response.status_code == 403 and root.tag == "errors"
    assert root.findtext("error/code") == "403" and "api_key" in root.findtext("error/description")


def test_a_repeated_device_id_returns_the_first_request(api, session):
    first = post(api, device_id="onecall-123", description="deep hole")
    again = post(api, device_id="onecall-123", description="deep hole")
    assert first.status_code == again.status_code == 201
    assert first.json()[0]["service_request_id"] == again.json()[0]["service_request_id"]
    assert count_tickets(session) == 1
    # The same phone reporting something else is a new request, not a replay of the first.
    other = post(api, device_id="onecall-123", service_code="streetlight", address_string="5 Oak Ave")
    assert other.json()[0]["service_request_id"] != first.json()[0]["service_request_id"]
    assert count_tickets(session) == 2


def test_a_device_id_whose_ticket_vanished_opens_it_again(api, session):
    first = post(api, device_id="d-9").json()[0]["service_request_id"]
    for table in (TicketEvent, CrmDelivery, Ticket):  # as after restoring an older database
        for row in session.exec(select(table)).all():
            session.delete(row)
        session.flush()
    session.commit()
    again = post(api, device_id="d-9")
    assert again.status_code == 201 and again.json()[0]["service_request_id"] != first
    assert count_tickets(session) == 1


def test_one_request_never_shows_the_phone_number(api, session):
    number = post(api, phone=PHONE, description="Call me at 312-555-0147 about it").json()[0]["service_request_id"]
    response = api.get(f"{BASE}/requests/{number}.json")
    assert response.status_code == 200
    [request] = response.json()
    assert request["service_request_id"] == number and request["status"] == "open"
    assert request["service_name"] == "Pothole" and request["agency_responsible"] == "Streets and Sanitation"
    assert request["address"] == "123 Main Street" and request["lat"] is None
    assert request["requested_datetime"] == "2026-11-17T10:00:00-06:00"  # the city's time, with its offset
    assert request["expected_datetime"].endswith("-06:00") and request["media_url"] is None
    assert "[removed]" in request["description"]
    for fmt in ("json", "xml"):
        text = api.get(f"{BASE}/requests/{number}.{fmt}").text.replace(number, "")  # a random number may hold 555
        assert "555" not in text and "0147" not in text
    xml = ET.fromstring(api.get(f"{BASE}/requests/{number}.xml").text)
    assert xml.tag == "service_requests" and xml.findtext("request/service_request_id") == number
    assert_error(api.get(f"{BASE}/requests/123456789.json"), 404)
    assert_error(api.get(f"{BASE}/requests/not-a-number.json"), 404)


def test_tokens_are_ticket_numbers(api):
    number = post(api).json()[0]["service_request_id"]
    assert api.get(f"{BASE}/tokens/{number}.json").json() == [{"service_request_id": number, "token": number}]
    assert_error(api.get(f"{BASE}/tokens/000000000.json"), 404)


def test_get_requests_filters(api, session, settings, clock):
    pothole = post(api).json()[0]["service_request_id"]
    light = post(api, service_code="streetlight", address_string="5 Oak Ave").json()[0]["service_request_id"]
    closed = post(api, service_code="graffiti", address_string="9 Elm St").json()[0]["service_request_id"]
    ticket = get_ticket(session, number=closed)
    change_status(session, ticket=ticket, status=TicketStatus.CLOSED, note="Painted over.")
    session.commit()
    old = make_ticket(session, settings, address="1 Old Road", now=clock.now - dt.timedelta(days=120)).number

    def ids(query: str = "") -> set[str]:
        response = api.get(f"{BASE}/requests.json{query}")
        assert response.status_code == 200, response.text
        return {r["service_request_id"] for r in response.json()}

    assert ids() == {pothole, light, closed}  # the last 90 days by default
    assert ids("?status=open") == {pothole, light}
    assert ids("?status=closed") == {closed}
    assert ids("?service_code=pothole,streetlight") == {pothole, light}
    assert ids(f"?service_request_id={old},{light}") == {old, light}  # overrides the other filters
    assert ids("?start_date=2026-11-18T00:00:00Z") == set()
    assert ids("?start_date=2026-07-01T00:00:00Z&end_date=2026-08-01T00:00:00-05:00") == {old}
    assert ids("?end_date=2026-11-17T09:00:00-06:00") == set()  # they were opened at 10:00 Chicago
    [closed_one] = api.get(f"{BASE}/requests.json?status=closed").json()
    assert closed_one["status"] == "closed" and closed_one["status_notes"] == "Painted over."
    assert ET.fromstring(api.get(f"{BASE}/requests.xml?status=open").text).tag == "service_requests"


@pytest.mark.parametrize(
    "query",
    [
        "start_date=yesterday",
        "end_date=2026-13-01",
        "start_date=2026-13-40",
        "start_date=99999-01-01T00:00:00Z",
        "start_date=9999-12-31T00:00:00Z",  # its default end, 90 days on, is past the last date there is
        "end_date=0001-01-01T00:00:00Z",
        "start_date=0001-01-01T00:00:00%2B05:00",
        "end_date=9999-12-31T23:59:59-05:00",
        "start_date=1970-01-01T00:00:00Z",
        "start_date=2026-11-01T00:00:00.0000000000000000000000000000000Z",
        "start_date=2026-11-10T00:00:00Z&end_date=2026-11-01T00:00:00Z",
        "start_date=2026-01-01T00:00:00Z&end_date=2026-11-01T00:00:00Z",
        "status=pending",
        "service_code=pot%00hole",
        "page=0",
        "page=abc",
        "page=%C2%B2",  # "²": a digit to int(), not to a client
        "page=99999999999999999999",
        "page_size=201",
        "page_size=-1",
        "page_size=1e3",
    ],
)
def test_bad_filters_are_400_with_an_open311_error_never_a_500(api, query):
    assert_error(api.get(f"{BASE}/requests.json?{query}"), 400)
    response = api.get(f"{BASE}/requests.xml?{query}")
    assert response.status_code == 400 and ET.fromstring(response.text).findtext("error/code") == "400"


def test_get_requests_pages_50_at_a_time_up_to_200_with_a_link_to_the_next_page(api, session, settings, clock):
    opened = [
        make_ticket(session, settings, address=f"{n} Page Street", now=clock.now - dt.timedelta(minutes=n)).number
        for n in range(1, 56)
    ]  # newest first: 1 minute ago, 2 minutes ago, ...

    first = api.get(f"{BASE}/requests.json")
    assert [r["service_request_id"] for r in first.json()] == opened[:50]
    assert first.headers["link"] == f'<https://311.example.gov{BASE}/requests.json?page=2>; rel="next"'
    second = api.get(f"{BASE}/requests.json?page=2")
    assert [r["service_request_id"] for r in second.json()] == opened[50:] and "link" not in second.headers

    small = api.get(f"{BASE}/requests.json?page_size=20&page=2&status=open")
    assert [r["service_request_id"] for r in small.json()] == opened[20:40]
    assert "page=3" in small.headers["link"] and "page_size=20" in small.headers["link"]
    assert "status=open" in small.headers["link"]
    assert len(api.get(f"{BASE}/requests.json?page_size=200").json()) == 55
    assert api.get(f"{BASE}/requests.json?page=9").json() == []
    xml = api.get(f"{BASE}/requests.xml?page_size=5")
    assert len(ET.fromstring(xml.text).findall("request")) == 5 and "page=2" in xml.headers["link"]


def test_the_public_list_never_shows_contact_details_or_names(api, session):
    said = (
        "Hi, this is Ana Ruiz. The hole is huge. Call me at three one two, five five five, zero one four seven "
        "or 312.555.0147, or write to ana.ruiz@example.com"
    )
    number = post(api, description=said, address_string="1234 N Main St").json()[0]["service_request_id"]
    for path in (f"requests/{number}", "requests"):
        for fmt in ("json", "xml"):
            text = api.get(f"{BASE}/{path}.{fmt}").text.replace(number, "")  # a random number may hold 555
            for private in ("Ana", "Ruiz", "555", "0147", "five five five", "example.com"):
                assert private not in text, (path, fmt, private)
    [shown] = api.get(f"{BASE}/requests/{number}.json").json()
    assert shown["description"] == (
        "Hi, this is [removed]. The hole is huge. Call me at [removed] or [removed], or write to [removed]"
    )
    assert shown["address"] == "1234 N Main St"  # potholes are in the street: published in full
    assert get_ticket(session, number=number).description == said  # staff keep every word


def test_a_no_heat_report_publishes_the_block_and_no_description(api, session):
    form = {
        "service_code": "no-heat",
        "address_string": "1234 N Main St Apt 5",
        "description": "No heat since Monday, landlord Bob Jones will not answer",
        "lat": "41.878113",
        "long": "-87.629799",
    }
    number = post(api, **form).json()[0]["service_request_id"]
    [shown] = api.get(f"{BASE}/requests/{number}.json").json()
    assert shown["address"] == "1200 block of N Main St" and (shown["lat"], shown["long"]) == (41.878, -87.63)
    assert shown["description"] is None
    [listed] = api.get(f"{BASE}/requests.json?service_code=no-heat").json()
    assert listed == shown
    xml = api.get(f"{BASE}/requests.xml?service_code=no-heat").text
    assert "Apt" not in xml and "1234" not in xml and "Bob" not in xml and "1200 block of N Main St" in xml
    stored = get_ticket(session, number=number)
    assert (stored.address, stored.lat) == ("1234 N Main St Apt 5", 41.878113)
    assert stored.description == form["description"]


def test_discovery(api):
    body = api.get(f"{BASE}/discovery.json").json()
    assert body["endpoints"][0]["url"] == "https://311.example.gov/open311/v2"


def test_open311_key_guesses_throttled(api, session, clock):
    for i in range(OPEN311_KEY_FAILURES):
        assert_error(post(api, api_key=f"guess-{i:030d}"), 403, "api_key")
    refused = post(api, api_key="one more guess")
    assert_error(refused, 429, "too many wrong api_keys")
    assert 1 <= int(refused.headers["retry-after"]) <= OPEN311_KEY_FIRST_LOCK_SECONDS
    xml = api.post(f"{BASE}/requests.xml", data={"api_key": "nope", "service_code": "pothole"})
    assert xml.status_code == 429 and ET.fromstring(xml.text).findtext("error/code") == "429"
    assert post(api).status_code == 201  # the right key from that address is still taken
    elsewhere = from_address(api, "198.51.100.23")
    assert_error(post(elsewhere, api_key="nope"), 403, "api_key")  # another address is not refused
    clock.now += dt.timedelta(seconds=OPEN311_KEY_FIRST_LOCK_SECONDS + 1)
    assert_error(post(api, api_key="nope"), 403, "api_key")  # the lock-out ended; this failure starts the next
    longer = post(api, api_key="nope")
    assert longer.status_code == 429 and int(longer.headers["retry-after"]) == 2 * OPEN311_KEY_FIRST_LOCK_SECONDS
    assert count_tickets(session) == 1
