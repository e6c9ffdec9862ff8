"""Values a browser keeps for us (cookies), signed with HMAC-SHA256 so a changed or forged one is refused."""

from __future__ import annotations

import base64
import hashlib
import hmac


def sign(secret: str, purpose: str, value: str) -> str:
    """`value` with its signature appended; the purpose keeps a signature for one use from passing for another."""
    return f"{value}.{_mac(secret, purpose, value)}"


def unsign(secret: str, purpose: str, signed: str) -> str | None:
    """The value of a signed string, or None when the signature does not match."""
    value, _, mac = signed.rpartition(".")
    if not value or not hmac.compare_digest(mac.encode(), _mac(secret, purpose, value).encode()):
        return None
    return value


def _mac(secret: str, purpose: str, value: str) -> str:
    digest = hmac.new(secret.encode(), f"{purpose}\x00{value}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
