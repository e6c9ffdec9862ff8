"""The Open311 adapter: delivers tickets to a city CRM speaking GeoReport v2 and reads their statuses back.

Used from rq jobs, so it is synchronous. device_id carries our idempotency key: a server that honours it (like
OneCall's own /open311/v2) never creates a request twice when a timed-out POST is sent again. Not every CRM does,
so each description also ends with a reference derived from the key ("OneCall 311 ref kqzvxmbtrwpl"), and `find`
searches the CRM's public list for it before a resend (jobs.py decides when).

Every request is bounded: connecting, sending and reading each have a timeout, and an answer still arriving after
CRM_REQUEST_SECONDS in all is abandoned, so the delivery lock (core/defaults.py) always outlasts a request.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import string
import time
from collections.abc import Callable
from urllib.parse import quote

import httpx

from core import clock
from core.defaults import (
    CRM_HTTP_ANSWER_SECONDS,
    CRM_HTTP_CONNECT_SECONDS,
    CRM_HTTP_POOL_SECONDS,
    CRM_HTTP_SEND_SECONDS,
    CRM_LOOKUP_PAGES,
    CRM_REQUEST_SECONDS,
)
from crm_bridge.adapters.base import Adapter, CrmRejected, CrmUnavailable, Delivered, ExternalStatus
from crm_bridge.models import TicketPublic

TIMEOUT = httpx.Timeout(
    connect=CRM_HTTP_CONNECT_SECONDS,
    write=CRM_HTTP_SEND_SECONDS,
    read=CRM_HTTP_ANSWER_SECONDS,
    pool=CRM_HTTP_POOL_SECONDS,
)
BATCH = 50  # ids per status query, to keep URLs short
RETRYABLE = (408, 425, 429)  # 4xx answers that mean "not now" rather than "never"
ANSWER_LOST = (502, 504)  # a gateway in front of the CRM gave up waiting: the CRM may have acted
MAX_ANSWER_BYTES = 10 * 1024 * 1024
REFERENCE = "OneCall 311 ref {}"
# A search for a request made on an earlier attempt covers the time since the ticket opened, with a margin for
# clocks that disagree, within the 90 days a GeoReport v2 query may span.
LOOKUP_MARGIN = dt.timedelta(days=1)
LOOKUP_SPAN = dt.timedelta(days=89)


class Open311Adapter(Adapter):
    """A GeoReport v2 endpoint such as https://crm.example.gov/open311/v2."""

    def __init__(
        self,
        endpoint: str,
        *,
        api_key: str | None,
        jurisdiction: str | None = None,
        timeout: httpx.Timeout | float | None = None,
        transport: httpx.BaseTransport | None = None,
        before_request: Callable[[], None] | None = None,
    ) -> None:
        if not endpoint:
            raise ValueError("an Open311 endpoint is required (crm.open311_endpoint)")
        self.api_key = api_key
        self.jurisdiction = jurisdiction
        hooks = {"request": [lambda _request: before_request()]} if before_request else {}
        self._client = httpx.Client(
            base_url=endpoint.rstrip("/") + "/",
            timeout=timeout or TIMEOUT,
            transport=transport,
            headers={"User-Agent": "OneCall311", "Accept": "application/json"},
            event_hooks=hooks,
        )

    def close(self) -> None:
        """Close the HTTP connections."""
        self._client.close()

    def deliver(self, ticket: TicketPublic, *, idempotency_key: str, phone: str | None) -> Delivered:
        """POST requests.json; the answer carries the CRM's service_request_id or a token."""
        marked = f"{ticket.description}\n\n{reference(idempotency_key)}".strip()
        form = {"service_code": ticket.service_code, "description": marked, "device_id": idempotency_key}
        if self.api_key:
            form["api_key"] = self.api_key
        if self.jurisdiction:
            form["jurisdiction_id"] = self.jurisdiction
        if ticket.address:
            form["address_string"] = ticket.address
        if ticket.lat is not None and ticket.long is not None:
            form["lat"], form["long"] = repr(ticket.lat), repr(ticket.long)
        if phone:
            form["phone"] = phone
        for code, value in (ticket.attributes or {}).items():
            form[f"attribute[{code}]"] = str(value)
        first = _first(self._call("POST", "requests.json", data=form))
        external_id, token = _text(first.get("service_request_id")), _text(first.get("token"))
        if not external_id and not token:
            # Retrying (after a look-up) is better than losing the ticket over an odd answer.
            raise CrmUnavailable(
                "POST requests.json: the answer has neither service_request_id nor token", maybe_reached=True
            )
        return Delivered(external_id=external_id, token=token)

    def find(self, ticket: TicketPublic, *, idempotency_key: str) -> Delivered | None:
        """GET requests.json of the ticket's type since it opened, page by page; the one carrying our reference.

        GeoReport v2 cannot filter by device_id, so the reference in the description is what identifies ours; a CRM
        that does not publish descriptions cannot be searched this way, and None is the answer.
        """
        wanted = reference(idempotency_key)
        now = clock.now()
        end = now + LOOKUP_MARGIN
        start = max(min(_utc(ticket.created_at), now) - LOOKUP_MARGIN, end - LOOKUP_SPAN)
        params = {**self._params(), "service_code": ticket.service_code, "start_date": _z(start), "end_date": _z(end)}
        seen: set[str] = set()
        for page in range(1, CRM_LOOKUP_PAGES + 1):
            try:
                answer = self._call(
                    "GET", "requests.json", params={**params, **({"page": str(page)} if page > 1 else {})}
                )
            except CrmRejected:
                if page == 1:
                    raise
                return None  # a server without our paging extension refused `page`: its one page was searched
            items = [item for item in answer if isinstance(item, dict)] if isinstance(answer, list) else []
            fresh = [item for item in items if _text(item.get("service_request_id")) not in seen]
            for item in fresh:
                external_id = _text(item.get("service_request_id"))
                if external_id and wanted in str(item.get("description") or ""):
                    return Delivered(external_id=external_id)
            if not fresh:
                return None  # the end of the list, or a server that ignores `page` and sent the first one again
            seen.update(_text(item.get("service_request_id")) for item in fresh)
        return None

    def resolve_token(self, token: str) -> str | None:
        """GET tokens/{token}.json; None while the CRM has not assigned an id (or does not know the token yet)."""
        answer = self._call("GET", f"tokens/{quote(token, safe='')}.json", params=self._params(), missing_ok=True)
        return _text(_first(answer).get("service_request_id")) if answer else None

    def fetch_status(self, external_ids: list[str]) -> list[ExternalStatus]:
        """GET requests.json?service_request_id=a,b,… in batches."""
        wanted = list(dict.fromkeys(i for i in external_ids if i))
        result = []
        for start in range(0, len(wanted), BATCH):
            batch = wanted[start : start + BATCH]
            params = {**self._params(), "service_request_id": ",".join(batch)}
            answer = self._call("GET", "requests.json", params=params)
            for item in answer if isinstance(answer, list) else []:
                status = _status(item, set(batch))
                if status is not None:
                    result.append(status)
        return result

    def _params(self) -> dict[str, str]:
        return {"jurisdiction_id": self.jurisdiction} if self.jurisdiction else {}

    def _call(self, method: str, path: str, *, missing_ok: bool = False, **kwargs):
        what = f"{method} {path.split('?')[0]}"
        creates = method == "POST"  # only a create can have happened without our hearing of it
        try:
            with self._client.stream(method, path, **kwargs) as response:
                body = _read(response, what, deadline=time.monotonic() + CRM_REQUEST_SECONDS, creates=creates)
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
            raise CrmUnavailable(f"{what}: {type(exc).__name__}: {exc}") from exc  # nothing was sent
        except httpx.TimeoutException as exc:
            raise CrmUnavailable(f"{what}: timed out ({type(exc).__name__})", maybe_reached=creates) from exc
        except httpx.HTTPError as exc:
            raise CrmUnavailable(f"{what}: {type(exc).__name__}: {exc}", maybe_reached=creates) from exc
        status = response.status_code
        if status == 404 and missing_ok:
            return None
        if status >= 500 or status in RETRYABLE:
            lost = creates and status in ANSWER_LOST
            raise CrmUnavailable(f"{what}: HTTP {status} {_described(body)}".strip(), maybe_reached=lost)
        if status >= 400:
            raise CrmRejected(f"{what}: HTTP {status} {_described(body)}".strip())
        try:
            return json.loads(body)
        except ValueError:
            raise CrmUnavailable(f"{what}: HTTP {status} but the body is not JSON", maybe_reached=creates) from None


def reference(idempotency_key: str) -> str:
    """The reference our descriptions end with: letters only, so no CRM's redaction of numbers or names touches it."""
    digest = hashlib.sha256(idempotency_key.encode()).digest()
    return REFERENCE.format("".join(string.ascii_lowercase[byte % 26] for byte in digest[:12]))


def _read(response: httpx.Response, what: str, *, deadline: float, creates: bool) -> bytes:
    # httpx's read timeout restarts with every chunk; the deadline bounds the whole answer.
    body = bytearray()
    for chunk in response.iter_bytes():
        body += chunk
        if time.monotonic() > deadline:
            raise CrmUnavailable(f"{what}: the answer took over {CRM_REQUEST_SECONDS:g} s", maybe_reached=creates)
        if len(body) > MAX_ANSWER_BYTES:
            raise CrmUnavailable(f"{what}: the answer is over {MAX_ANSWER_BYTES} bytes", maybe_reached=creates)
    return bytes(body)


def _first(answer) -> dict:
    if isinstance(answer, list) and answer and isinstance(answer[0], dict):
        return answer[0]
    return answer if isinstance(answer, dict) else {}


def _text(value) -> str | None:
    text = "" if value is None else str(value).strip()[:100]
    return text or None


def _status(item, batch: set[str]) -> ExternalStatus | None:
    if not isinstance(item, dict):
        return None
    external_id = _text(item.get("service_request_id"))
    if external_id not in batch:  # a server that ignores the filter must not close someone else's ticket
        return None
    closed = str(item.get("status", "")).strip().lower() == "closed"
    return ExternalStatus(
        external_id=external_id,
        status="closed" if closed else "open",
        note=str(item.get("status_notes") or "")[:1000],
        updated=_when(item.get("updated_datetime")),
    )


def _utc(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def _z(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _when(raw) -> dt.datetime | None:
    try:
        value = dt.datetime.fromisoformat(str(raw))
    except (TypeError, ValueError):
        return None
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def _described(body: bytes) -> str:
    # The spec's error body is [{"code": .., "description": ..}]; otherwise a little of whatever came back.
    try:
        answer = json.loads(body)
        return "; ".join(str(e.get("description", "")) for e in answer if isinstance(e, dict))[:300]
    except (ValueError, TypeError, AttributeError):
        return body[:200].decode("utf-8", "replace")
