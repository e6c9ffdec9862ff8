"""Residents' recordings (a ticket's description, a voice message) played in the console.

Twilio serves recordings only with the account's credentials, which a browser must never hold, so a console route
fetches the audio server-side (httpx, async: the event loop never waits) and passes it on. Only URLs on Twilio's API
(api.twilio.com, or the configured TWILIO_API_BASE_URL) are fetched, and the URL always comes from our own database,
never from the request, so the route cannot be pointed anywhere else; a redirect is followed only to Twilio's own
hosts (https, *.twilio.com or *.twiliocdn.com), and the credentials go to the API alone. Without credentials
(development mode) the page links the recording instead.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import httpx

from settings import Settings

TWILIO_API = "https://api.twilio.com"
MAX_BYTES = 25 * 1024 * 1024  # a voice message is at most a few minutes; anything larger is not one of ours
TIMEOUT_SECONDS = 15
MAX_REDIRECTS = 3
TWILIO_DOMAINS = ("twilio.com", "twiliocdn.com")  # where Twilio may hand the audio on to (https only)


class RecordingUnavailable(Exception):
    """The recording could not be fetched (Twilio refused, timed out, or sent something that is not audio)."""


def _origin(url: str) -> tuple[str, str] | None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.username or parts.password:
        return None
    return parts.scheme, parts.netloc.lower()


def allowed(settings: Settings, url: str | None) -> bool:
    """Whether the URL is on Twilio's API (or the configured stand-in), where our credentials may be sent."""
    if not url:
        return False
    origin = _origin(url)
    bases = [TWILIO_API, *([settings.twilio_api_base_url] if settings.twilio_api_base_url else [])]
    return origin is not None and any(origin == _origin(base) for base in bases)


def playable(settings: Settings, url: str | None) -> bool:
    """Whether the console can play this recording itself: it is on Twilio's API and we have the account's keys."""
    return not settings.dev_mode and allowed(settings, url)


def linkable(url: str | None) -> bool:
    """Whether the URL may be offered as a plain link (a web address, never `javascript:` or the like)."""
    return bool(url) and _origin(url) is not None


def may_follow(settings: Settings, url: str) -> bool:
    """Whether a redirect from Twilio may be followed to url: its API (or the stand-in), or its own media hosts."""
    if allowed(settings, url):
        return True
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    own = any(host == domain or host.endswith(f".{domain}") for domain in TWILIO_DOMAINS)
    return parts.scheme == "https" and own and not parts.username and not parts.password


async def fetch(settings: Settings, url: str) -> tuple[bytes, str]:
    """The recording's bytes and audio type, fetched with the account's credentials; RecordingUnavailable if not."""
    if not playable(settings, url):
        raise RecordingUnavailable("this recording is not on Twilio's API, or there are no Twilio credentials")
    credentials = httpx.BasicAuth(settings.account_sid, settings.auth_token)
    try:
        # Redirects are followed here, one by one, and only to Twilio's own hosts: a redirect anywhere else (a
        # compromised stand-in, a spoofed answer) must not make this server fetch, or pass on, what it points at.
        async with httpx.AsyncClient(timeout=TIMEOUT_SECONDS, follow_redirects=False) as client:
            for _ in range(MAX_REDIRECTS + 1):
                # The account's credentials go only to the API itself, never to a media host it hands us to.
                auth = credentials if allowed(settings, url) else None
                async with client.stream("GET", url, auth=auth) as response:
                    if not response.is_redirect:
                        return await _audio(response)
                    url = str(response.url.join(response.headers["location"]))
                    if not may_follow(settings, url):
                        raise RecordingUnavailable("Twilio redirected the recording off its own hosts")
    except httpx.HTTPError as exc:
        raise RecordingUnavailable(f"Twilio could not be reached ({type(exc).__name__})") from None
    raise RecordingUnavailable("too many redirects")


async def _audio(response: httpx.Response) -> tuple[bytes, str]:
    if response.status_code != 200:
        raise RecordingUnavailable(f"Twilio answered {response.status_code}")
    kind = response.headers.get("content-type", "").split(";")[0].strip().lower()
    if not kind.startswith("audio/"):
        raise RecordingUnavailable("Twilio did not send audio")
    body = bytearray()
    async for chunk in response.aiter_bytes():
        body += chunk
        if len(body) > MAX_BYTES:
            raise RecordingUnavailable("the recording is too large")
    return bytes(body), kind
