"""The one way out to Twilio's REST API, with its base URL settable (TWILIO_API_BASE_URL) for tests and mocks."""

from __future__ import annotations

from twilio.rest import Client

from core.dev_outbox import DevOutbox
from settings import Settings


def uses_outbox(settings: Settings) -> bool:
    """True in development mode (no Twilio credentials) unless TWILIO_API_BASE_URL points at a stand-in."""
    return settings.dev_mode and not settings.twilio_api_base_url


def make_client(settings: Settings):
    """A Twilio REST client for our account, or the local outbox when there is no account to send with."""
    if uses_outbox(settings):
        # A made-up account would only collect 401s from api.twilio.com (and leak residents' numbers to it).
        return DevOutbox(settings)
    client = Client(settings.account_sid, settings.auth_token)
    if settings.twilio_api_base_url:
        client.api.base_url = settings.twilio_api_base_url.rstrip("/")
    return client
