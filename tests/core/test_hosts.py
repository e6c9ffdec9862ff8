"""A request is served only when its Host names this service: a DNS-rebinding page's own name gets 400."""

from __future__ import annotations

import dataclasses

import pytest
from starlette.testclient import TestClient

from app import create_app
from core.hosts import allowed_hosts, host_name
from settings import ROOT, ConfigError, load_settings
from tests.helpers import sign

FOREIGN = ("rebind.attacker.example", "rebind.attacker.example:8311", "311.example.gov.attacker.example",
           "127.0.0.1.nip.io", "[::2]", "", "a b", "evil@311.example.gov")


@pytest.mark.parametrize("host", FOREIGN)
def test_foreign_host_header_refused(app, host):
    for path in ("/", "/healthz", "/console/login", "/open311/v2/services.json"):
        response = app.get(path, headers={"Host": host})
        assert response.status_code == 400 and response.text == "Invalid host header", (path, host)


def test_foreign_host_header_refused_before_a_webhook_is_handled(app):
    form = {"CallSid": "CA" + "f" * 32, "AccountSid": "AC" + "1" * 32, "From": "+13125550147", "To": "+15555550311"}
    headers = {"X-Twilio-Signature": sign("/voice/incoming", form), "Host": "rebind.attacker.example"}
    refused = app.post("/voice/incoming", data=form, headers=headers)
    assert refused.status_code == 400 and refused.text == "Invalid host header"
    del headers["Host"]
    assert "<Response>" in app.post("/voice/incoming", data=form, headers=headers).text  # the same, to our name


def test_foreign_host_header_refused_in_development_mode(env, engine, redis, clock):
    dev = load_settings(ROOT / "config.toml", {k: v for k, v in env.items() if not k.startswith("TWILIO_")})
    assert dev.dev_mode
    with TestClient(create_app(dev, clock=clock)) as client:
        assert client.get("/", headers={"Host": "rebind.attacker.example"}).status_code == 400
        assert client.get("/").status_code == 200


@pytest.mark.parametrize("host", ["311.example.gov", "311.EXAMPLE.gov:443", "311.example.gov.", "localhost:8311",
                                  "127.0.0.1:8311", "[::1]:8311", "testserver"])
def test_our_own_names_are_served(app, host):
    assert app.get("/healthz", headers={"Host": host}).status_code == 200


def test_the_listening_address_and_allowed_hosts_are_served_too(settings, engine, redis, clock):
    ours = dataclasses.replace(settings, allowed_hosts=("311.city.example",))
    with TestClient(create_app(ours, clock=clock, listening=["192.0.2.7"])) as client:
        for host in ("192.0.2.7:8311", "311.city.example", "311.example.gov"):
            assert client.get("/healthz", headers={"Host": host}).status_code == 200, host
        assert client.get("/healthz", headers={"Host": "testserver"}).status_code == 400  # no longer listed


def test_names_are_compared_without_port_or_case():
    assert host_name("Example.GOV:8080") == "example.gov"
    assert host_name("[::1]:80") == "::1"
    assert host_name("a:b:c") is None and host_name("") is None
    hosts = allowed_hosts("https://311.example.gov", ("extra.example",), ["0.0.0.0", "[fe80::1]"])
    assert hosts == {"311.example.gov", "extra.example", "fe80::1", "localhost", "127.0.0.1", "::1"}


@pytest.mark.parametrize("bad", ["*", "https://311.example.gov", "311.example.gov:443", "a/b", "ab:80"])
def test_a_bad_allowed_hosts_entry_is_one_line_naming_the_key(env, bad):
    with pytest.raises(ConfigError, match="^ALLOWED_HOSTS: .* is not a host name"):
        load_settings(ROOT / "config.toml", {**env, "ALLOWED_HOSTS": f"ok.example, {bad}"})
