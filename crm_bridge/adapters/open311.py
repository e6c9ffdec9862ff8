"""The Open311 adapter: delivers tickets to a city CRM speaking GeoReport v2 and reads their statuses back.

Used from rq jobs, so it is synchronous. device_id carries our idempotency key: a server that honours it (like
OneCall's own /open311/v2) never creates a request twice when a timed-out POST is sent again.
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import quote

import httpx

from crm_bridge.adapters.base import Adapter, CrmRejected, CrmUnavailable, Delivered, ExternalStatus
from crm_bridge.models import TicketPublic

TIMEOUT_SECONDS = 10.0
BATCH = 50  # ids per status query, to keep URLs short
RETRYABLE = (408, 425, 429)  # 4xx answers that mean "not now" rather than "never"


class Open311Adapter(Adapter):
    """A GeoReport v2 endpoint such as https://crm.example.gov/open311/v2."""

    def __init__(
        self,
        endpoint: str,
        *,
        api_key: str | None,
        jurisdiction: str | None = None,
        timeout: float | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        if not endpoint:
            raise ValueError("an Open311 endpoint is required (crm.open311_endpoint)")
        self.api_key = api_key
        self.jurisdiction = jurisdiction
        self._client = httpx.Client(
            base_url=endpoint.rstrip("/") + "/",
            timeout=timeout or TIMEOUT_SECONDS,
            transport=transport,
            headers={"User-Agent": "OneCall311", "Accept": "application/json"},
        )

    def close(self) -> None:
        """Close the HTTP connections."""
        self._client.close()

    def deliver(self, ticket: TicketPublic, *, idempotency_key: str, phone: str | None) -> Delivered:
        """POST requests.json; the answer carries the CRM's service_request_id or a token."""
        form = {"service_code": ticket.service_code, "description": ticket.description, "device_id": idempotency_key}
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
            # Retrying is safe (device_id) and better than losing the ticket over an odd answer.
            raise CrmUnavailable("POST requests.json: the answer has neither service_request_id nor token")
        return Delivered(external_id=external_id, token=token)

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
        try:
            response = self._client.request(method, path, **kwargs)
        except httpx.TimeoutException as exc:
            raise CrmUnavailable(f"{what}: timed out ({type(exc).__name__})") from exc
        except httpx.HTTPError as exc:
            raise CrmUnavailable(f"{what}: {type(exc).__name__}: {exc}") from exc
        if response.status_code == 404 and missing_ok:
            return None
        if response.status_code >= 500 or response.status_code in RETRYABLE:
            raise CrmUnavailable(f"{what}: HTTP {response.status_code} {_described(response)}".strip())
        if response.status_code >= 400:
            raise CrmRejected(f"{what}: HTTP {response.status_code} {_described(response)}".strip())
        try:
            return response.json()
        except ValueError:
            raise CrmUnavailable(f"{what}: HTTP {response.status_code} but the body is not JSON") from None


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


def _when(raw) -> dt.datetime | None:
    try:
        value = dt.datetime.fromisoformat(str(raw))
    except (TypeError, ValueError):
        return None
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def _described(response: httpx.Response) -> str:
    # The spec's error body is [{"code": .., "description": ..}]; otherwise a little of whatever came back.
    try:
        body = response.json()
        return "; ".join(str(e.get("description", "")) for e in body if isinstance(e, dict))[:300]
    except (ValueError, TypeError, AttributeError):
        return response.text[:200]
