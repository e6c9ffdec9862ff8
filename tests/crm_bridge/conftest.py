"""Fixtures shared by the CRM bridge tests: the city's CRM (our own Open311 server in a second process)."""

from __future__ import annotations

import pytest

from tests.crm_bridge.open311_servers import FlakyProxy, start_remote_crm


@pytest.fixture(scope="module")
def remote(tmp_path_factory, redis_url):
    crm = start_remote_crm(tmp_path_factory.mktemp("city-crm"), redis_url)
    yield crm
    crm.stop()


@pytest.fixture
def proxy(remote):
    stand_in = FlakyProxy(remote.base)
    yield stand_in
    stand_in.close()
