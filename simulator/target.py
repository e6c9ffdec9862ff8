"""Where `run.py simulate` and `run.py scenarios run` send their signed webhooks, and the URL they sign for.

A signed webhook is a credential: whoever receives it can replay it to the service the signature is for. So the
terminal signs for the URL it actually sends to (never PUBLIC_BASE_URL when --url points elsewhere), and sends only
to this machine unless told --allow-remote.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit


def signing_base(url: str) -> str:
    """The base URL a request to `url` is signed for: its scheme, host and path (no query, no trailing slash)."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}{parts.path}".rstrip("/")


def is_local(url: str) -> bool:
    """Whether the URL reaches this machine: localhost, 127.0.0.0/8 or ::1 (names other than localhost are not
    resolved: a name may point anywhere)."""
    host = (urlsplit(url).hostname or "").rstrip(".").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def url_problem(url: str, *, allow_remote: bool) -> str | None:
    """Why webhooks may not be sent to this URL, in one line, or None."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return f"--url {url!r} is not an http(s) address like http://127.0.0.1:8311"
    if not allow_remote and not is_local(url):
        return (
            f"--url {url} is not this machine; signed webhooks go elsewhere only with --allow-remote "
            "(they are signed for that URL)"
        )
    return None
