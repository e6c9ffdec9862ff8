"""Fixtures shared by the CRM bridge tests: the city's CRM (our own Open311 server in a second process)."""

from __future__ import annotations

import pytest

import core.clock
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


@pytest.fixture(autouse=True)
def real_time():
    """Each test starts on the real clock: the city's CRM (another process) lives in real time, and a look-up there
    searches around our "now". A test that pins the clock pins it itself; one left pinned by an earlier test (an app
    created with a clock) would otherwise send our searches to the wrong weeks."""
    core.clock.install(None)
    yield
    core.clock.install(None)
