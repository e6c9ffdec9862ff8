"""The one way out to Twilio's REST API, with its base URL settable (TWILIO_API_BASE_URL) for tests and mocks."""

from __future__ import annotations

from twilio.rest import Client

from settings import Settings


def make_client(settings: Settings) -> Client:
    """A Twilio REST client for our account, pointed at TWILIO_API_BASE_URL when that is set."""
    client = Client(settings.account_sid, settings.auth_token)
    if settings.twilio_api_base_url:
        client.api.base_url = settings.twilio_api_base_url.rstrip("/")
    return client
