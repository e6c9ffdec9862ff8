"""Forms posted as Twilio posts them: signed for the public URL the service checks."""

from __future__ import annotations

import pytest

from simulator.call import CallDriver
from simulator.transport import DriverError, signed_transport
from tests.helpers import PUBLIC_BASE_URL
from tests.simulator.phones import (
    RESIDENT,
    run,
)


def test_a_request_signed_with_another_token_is_refused(app, settings):
    transport = signed_transport(app, auth_token="not-the-token", public_base_url=PUBLIC_BASE_URL)
    with pytest.raises(DriverError) as refused:
        run(CallDriver.dial(transport, caller=RESIDENT, to=settings.numbers[0]))
    assert refused.value.status == 403 and "403" in str(refused.value)
