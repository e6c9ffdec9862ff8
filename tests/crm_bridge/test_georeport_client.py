"""A third-party Open311 client (PyPI `georeport`) driving our server over real HTTP, in JSON and in XML.

georeport only reads (services, definitions, requests); it has no method to post, so the POST is the spec's
form-encoded request sent with `requests`, the HTTP library georeport itself uses.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
import requests
from georeport import GeoReport

from settings import ROOT, load_settings
from tests.conftest import OPEN_HOURS
from tests.served import served

API_KEY = "georeport-client-key-0123456789"


@pytest.fixture
def endpoint(env, engine, redis):
    """Our app served by uvicorn on a free port, with an api key issued; yields the GeoReport v2 root."""
    settings = load_settings(ROOT / "config.toml", {**env, "OPEN311_API_KEYS": API_KEY})
    with served(settings, lambda: OPEN_HOURS) as port:
        yield f"http://127.0.0.1:{port}/open311/v2"


@pytest.mark.parametrize("output_format", ["json", "xml"])
def test_georeport_lists_services_reads_a_definition_and_fetches_what_was_posted(endpoint, output_format):
    client = GeoReport(endpoint, jurisdiction="springfield.example.gov", api_key=API_KEY, output_format=output_format)

    services = client.get_service_list()
    codes = [service["service_code"] for service in services]
    assert "pothole" in codes and "missed-trash" in codes
    trash = next(service for service in services if service["service_code"] == "missed-trash")
    assert str(trash["metadata"]).lower() == "true" and trash["service_name"] == "Missed trash pickup"

    definition = client.get_service_definition("missed-trash")
    attributes = definition["attributes"]
    cart = (attributes["attribute"] if output_format == "xml" else attributes)[0]
    assert cart["code"] == "cart_type" and str(cart["required"]).lower() == "true"

    form = {
        "api_key": API_KEY,
        "jurisdiction_id": "springfield.example.gov",
        "service_code": "missed-trash",
        "address_string": f"{output_format.upper()} 400 Harbor Drive",
        "description": "Recycling cart not emptied",
        "attribute[cart_type]": "recycling",
        "phone": "312-555-0147",
    }
    posted = requests.post(f"{endpoint}/requests.{output_format}", data=form, timeout=10)
    assert posted.status_code == 201, posted.text
    number = posted.json()[0]["service_request_id"] if output_format == "json" else _xml_id(posted.text)

    request = client.get_service_request(number)
    assert request["service_request_id"] == number and request["status"] == "open"
    assert request["service_code"] == "missed-trash" and request["address"] == form["address_string"]
    assert request["agency_responsible"] == "Sanitation"
    assert request["requested_datetime"] == "2026-11-17T10:00:00-06:00"  # the city's time, with its offset
    assert "phone" not in request and "0147" not in str(request).replace(number, "")

    listed = client.get_service_requests(service_request_id=number)
    listed = [listed] if isinstance(listed, dict) else listed  # xmltodict gives one <request> as a dict
    assert [item["service_request_id"] for item in listed] == [number]
    assert client.get_service_requests(service_code="missed-trash", status="open")


def test_georeport_sees_our_http_errors(endpoint):
    client = GeoReport(endpoint)
    with pytest.raises(requests.HTTPError) as caught:
        client.get_service_definition("no-such-service")
    assert caught.value.response.status_code == 404
    assert caught.value.response.json()[0]["code"] == 404


def _xml_id(text: str) -> str:
    return ET.fromstring(text).findtext("request/service_request_id")
