"""CRM adapters: the Open311 one against OneCall's own endpoint in a second process, and failing stand-ins."""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import uuid

import httpx
import pytest

from crm_bridge import ticket_numbers as numbers
from crm_bridge.adapters import CrmRejected, CrmUnavailable, make_adapter
from crm_bridge.adapters import open311 as open311_adapter
from crm_bridge.adapters.builtin import BuiltinAdapter
from crm_bridge.adapters.open311 import Open311Adapter, reference
from crm_bridge.models import TicketPublic
from tests.crm_bridge.open311_servers import free_port

NOW = dt.datetime(2026, 11, 17, 16, 0, tzinfo=dt.UTC)


@pytest.fixture
def adapter(remote):
    with Open311Adapter(remote.url, api_key=remote.api_key, jurisdiction="springfield.example.gov") as crm:
        yield crm


SPOTS = itertools.count()


def a_ticket(**overrides) -> TicketPublic:
    """A ticket of ours with a description, address and point no other test uses (a point within 60 m of another
    request of the same type is the same problem to the receiving CRM)."""
    tag = uuid.uuid4().hex[:10]
    fields = {
        "number": numbers.new_number(),
        "status": "open",
        "service_code": "missed-trash",
        "address": f"{int(tag[:6], 16)} Test Street",
        "description": f"cart skipped {tag}",
        "attributes": {"cart_type": "recycling"},
        "lat": 41.8781 + next(SPOTS) * 0.01,
        "long": -87.6298,
        "expected_at": NOW,
        "closing_note": None,
        "duplicate_of": None,
        "created_at": NOW,
        "updated_at": NOW,
        **overrides,
    }
    return TicketPublic(**fields)


def test_deliver_creates_the_request_once_per_idempotency_key(adapter, remote):
    ticket = a_ticket()
    delivered = adapter.deliver(ticket, idempotency_key=f"onecall-{ticket.number}", phone="+13125550147")
    assert numbers.is_valid(delivered.external_id) and delivered.token is None
    [created] = remote.tickets(ticket.description)
    assert created.number == delivered.external_id and created.channel == "open311"
    assert created.attributes == {"cart_type": "recycling"} and created.address == ticket.address
    assert (created.lat, created.long) == (41.8781, -87.6298) and created.phone == "+13125550147"
    assert created.description == f"{ticket.description} {reference(f'onecall-{ticket.number}')}"

    again = adapter.deliver(ticket, idempotency_key=f"onecall-{ticket.number}", phone="+13125550147")
    assert again.external_id == delivered.external_id
    assert len(remote.tickets(ticket.description)) == 1


def test_a_request_is_found_by_the_reference_in_its_description(adapter, remote):
    ticket = a_ticket()
    key = f"onecall-{ticket.number}"
    assert adapter.find(ticket, idempotency_key=key) is None
    created = adapter.deliver(ticket, idempotency_key=key, phone="+13125550147").external_id
    assert adapter.find(ticket, idempotency_key=key).external_id == created
    assert adapter.find(ticket, idempotency_key="onecall-000000000") is None
    assert reference(key).startswith("OneCall 311 ref ") and reference(key)[16:].isalpha()  # no redaction touches it
    # A type whose descriptions the CRM does not publish cannot be found this way (the retry relies on device_id).
    private = a_ticket(service_code="no-heat", attributes={})
    adapter.deliver(private, idempotency_key=f"onecall-{private.number}", phone=None)
    assert adapter.find(private, idempotency_key=f"onecall-{private.number}") is None


def test_tokens_resolve_and_statuses_follow_the_crm(adapter, remote):
    ticket = a_ticket()
    external_id = adapter.deliver(ticket, idempotency_key=f"onecall-{ticket.number}", phone=None).external_id
    assert adapter.resolve_token(external_id) == external_id
    assert adapter.resolve_token("000000000") is None

    [status] = adapter.fetch_status([external_id, "000000000"])
    assert (status.external_id, status.status) == (external_id, "open") and status.updated.tzinfo is not None

    remote.close(external_id, "Cart emptied Wednesday.")
    [status] = adapter.fetch_status([external_id])
    assert status.status == "closed" and status.note == "Cart emptied Wednesday."
    assert adapter.fetch_status([]) == []


def test_bad_data_or_a_bad_key_is_a_permanent_rejection(adapter, remote):
    with pytest.raises(CrmRejected, match="HTTP 400.*service_code"):
        adapter.deliver(a_ticket(service_code="unicorns"), idempotency_key="k-1", phone=None)
    with Open311Adapter(remote.url, api_key="not-the-key") as wrong_key:
        with pytest.raises(CrmRejected, match="HTTP 403.*api_key"):
            wrong_key.deliver(a_ticket(), idempotency_key="k-2", phone=None)


def test_5xx_timeouts_and_refused_connections_are_unavailable(proxy, remote, monkeypatch):
    monkeypatch.setattr(open311_adapter, "TIMEOUT", httpx.Timeout(0.5))
    ticket = a_ticket()
    key = f"onecall-{ticket.number}"
    with Open311Adapter(proxy.url, api_key=remote.api_key) as crm:
        proxy.mode = "error"
        with pytest.raises(CrmUnavailable, match="HTTP 500 stub failure") as refused:
            crm.deliver(ticket, idempotency_key=key, phone=None)
        assert remote.tickets(ticket.description) == [] and not refused.value.maybe_reached

        # The CRM creates it, but the answer never arrives in time...
        proxy.mode, proxy.stall_seconds = "stall", 1.5
        with pytest.raises(CrmUnavailable, match="timed out") as lost:
            crm.deliver(ticket, idempotency_key=key, phone=None)
        [created] = remote.tickets(ticket.description)
        assert lost.value.maybe_reached  # so the retry looks it up first
        # ...so the retry carries the same device_id and gets the same request back.
        proxy.mode = "pass"
        assert crm.deliver(ticket, idempotency_key=key, phone=None).external_id == created.number
        assert len(remote.tickets(ticket.description)) == 1
        proxy.mode = "error"
        with pytest.raises(CrmUnavailable):
            crm.fetch_status([created.number])

    with Open311Adapter(f"http://127.0.0.1:{free_port()}/open311/v2", api_key="x") as nobody:
        with pytest.raises(CrmUnavailable, match="ConnectError") as unreachable:
            nobody.deliver(ticket, idempotency_key=key, phone=None)
        assert not unreachable.value.maybe_reached  # nothing was sent


def test_settings_choose_the_adapter(settings):
    with make_adapter(settings) as builtin:
        assert isinstance(builtin, BuiltinAdapter)
        ticket = a_ticket()
        assert builtin.deliver(ticket, idempotency_key="k", phone=None).external_id == ticket.number
        assert builtin.resolve_token("123") == "123" and builtin.fetch_status(["1"]) == []
    chosen = dataclasses.replace(
        settings, crm_adapter="open311", crm_open311_endpoint="http://crm.example/open311/v2", crm_open311_api_key="s"
    )
    with make_adapter(chosen) as crm:
        assert isinstance(crm, Open311Adapter) and crm.api_key == "s"
