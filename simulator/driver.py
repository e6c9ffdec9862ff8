"""The TwiML driver: plays Twilio's part against the service's real webhooks, from the server side.

One name for the simulator's pieces, which live in their own modules:
  simulator.transport    signed posting of Twilio's forms (idempotency token, retry), DriverError
  simulator.switchboard  Twilio's queues and bridges shared by the calls of a simulation
  simulator.call         one call playing TwiML verbs (CallDriver); its state in simulator.call_state
  simulator.texts        a text to the service and its replies
  simulator.line         one thing heard or done on the line
"""

from __future__ import annotations

from simulator.call import CallDriver
from simulator.call_state import CallState
from simulator.line import Line
from simulator.switchboard import Switchboard
from simulator.texts import send_text
from simulator.transport import ACCOUNT_SID, DriverError, Transport, new_sid, signed_transport

__all__ = [
    "ACCOUNT_SID",
    "CallDriver",
    "CallState",
    "DriverError",
    "Line",
    "Switchboard",
    "Transport",
    "new_sid",
    "send_text",
    "signed_transport",
]
