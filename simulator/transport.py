"""How the simulator reaches the service: forms posted as Twilio posts them, signed, each delivery named.

A Transport posts a form to a URL or path and returns the status and body. signed_transport() is the one the
simulator uses everywhere: over the network, over httpx.ASGITransport(app) in-process, or a Starlette TestClient.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Protocol
from urllib.parse import urlencode, urlsplit

import httpx
from twilio.request_validator import RequestValidator

from core import test_traffic

ACCOUNT_SID = "AC" + "0" * 32
IDEMPOTENCY_HEADER = "I-Twilio-Idempotency-Token"


class DriverError(Exception):
    """The service answered something Twilio would report as an error (HTTP error, not TwiML), in one line."""

    def __init__(self, message: str, status: int | None = None):
        super().__init__(message)
        self.status = status


class Transport(Protocol):
    """How the driver reaches the service: POST a form, get the status and body."""

    async def post(self, url_or_path: str, form: dict[str, str]) -> tuple[int, str]: ...


class SignedTransport:
    """Posts forms signed with X-Twilio-Signature, each with a fresh I-Twilio-Idempotency-Token; with a test mark,
    each also carries core.test_traffic's header (the run and its simulated time, signed with the same token)."""

    def __init__(self, client: httpx.AsyncClient | httpx.Client, auth_token: str, public_base_url: str):
        self.client = client
        self.auth_token = auth_token
        self.validator = RequestValidator(auth_token)
        self.public = public_base_url.rstrip("/")
        self.last: tuple[str, dict[str, str], dict[str, str]] | None = None
        self.test_mark: Callable[[], test_traffic.TrafficMark | None] | None = None

    async def post(self, url_or_path: str, form: dict[str, str]) -> tuple[int, str]:
        """Sign the form for the public URL Twilio would have used and deliver it."""
        parts = urlsplit(url_or_path)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        signed_url = url_or_path if parts.scheme else f"{self.public}{path}"
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Twilio-Signature": self.validator.compute_signature(signed_url, form),
            IDEMPOTENCY_HEADER: secrets.token_hex(16),  # Twilio names each delivery; a retry repeats the name
        }
        mark = self.test_mark() if self.test_mark else None
        if mark is not None:
            headers[test_traffic.HEADER] = test_traffic.header_value(
                self.auth_token, headers["X-Twilio-Signature"], mark
            )
        self.last = (path, form, headers)
        return await self._send(path, form, headers)

    async def retry(self) -> tuple[int, str]:
        """Deliver the last request again, as Twilio retries it: the same URL, form, signature and token."""
        return await self._send(*self.last)

    async def _send(self, path: str, form: dict[str, str], headers: dict[str, str]) -> tuple[int, str]:
        try:
            request = self.client.post(path, content=urlencode(form), headers=headers)
            response = await request if isinstance(self.client, httpx.AsyncClient) else request
        except httpx.ConnectError:
            raise DriverError(
                f"cannot reach {self.client.base_url}: is the server running? (`make run` starts it)"
            ) from None
        except httpx.TimeoutException:
            raise DriverError(f"{self.client.base_url}{path} did not answer in time") from None
        except httpx.HTTPError as exc:
            raise DriverError(f"{path}: {exc}") from None
        return response.status_code, response.text


def signed_transport(client: httpx.AsyncClient | httpx.Client, *, auth_token: str, public_base_url: str) -> Transport:
    """A Transport that signs each form with X-Twilio-Signature for public_base_url + path, as Twilio does, and names
    each delivery with a fresh I-Twilio-Idempotency-Token (retry() delivers the last one again with the same token).

    client is an httpx client whose base URL reaches the service (an AsyncClient over the network or over
    httpx.ASGITransport(app); a synchronous one, e.g. Starlette's TestClient, works too).
    """
    return SignedTransport(client, auth_token, public_base_url)


def new_sid(prefix: str = "CA") -> str:
    """A Twilio-shaped SID (two letters and 32 hex digits)."""
    return prefix + secrets.token_hex(16)
