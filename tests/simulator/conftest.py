"""The simulator tests' phones: calls and texts against the app, sharing one switchboard, on the test's clock."""

from __future__ import annotations

import pytest

from tests.simulator.phones import Phones


@pytest.fixture
def phones(app, settings, clock):
    return Phones(app, settings, clock)
