"""Open311 GeoReport v2, pure: parsing what clients send and shaping services and requests as JSON or XML.

Tokens: we answer a POST with the ticket number at once, so a token is simply the ticket number.
Phone numbers are never shown: Ticket.phone is not in TicketPublic. Free text is published through crm_bridge.privacy
(no e-mails, phone numbers or names), and each service type's rules say how much of the address and description the
public sees.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import math
import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from pydantic import ValidationError

from core import text_rules
from core.defaults import OPEN311_MAX_PAGE, OPEN311_MAX_PAGE_SIZE, OPEN311_PAGE_SIZE
from core.phones import normalize
from crm_bridge import privacy
from crm_bridge.catalogue import Catalogue, ServiceType
from crm_bridge.models import ACTIVE, TicketCreate, TicketPublic, TicketStatus

SPEC = "http://wiki.open311.org/GeoReport_v2"
MAX_IDS = OPEN311_MAX_PAGE_SIZE
WINDOW = dt.timedelta(days=90)  # GeoReport v2: a start_date to end_date range may not span more than 90 days
# Dates a query may name; anything else is a mistake (year 99999, year 1), and ±90 days must stay representable.
EARLIEST = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
LATEST = dt.datetime(2199, 12, 31, 23, 59, 59, tzinfo=dt.UTC)
MAX_DATE_LENGTH = 40
# Where a service type is gone from the catalogue, publish as little as its most private types do.
UNKNOWN_SERVICE_ADDRESS = "block"
MAX_DEVICE_ID = 200
OPEN_STATUSES = ACTIVE
CLOSED_STATUSES = (TicketStatus.CLOSED, TicketStatus.DUPLICATE)
# The element name of one item of each list, as the spec's XML examples spell them.
_ITEM = {
    "services": "service",
    "service_requests": "request",
    "attributes": "attribute",
    "values": "value",
    "errors": "error",
    "endpoints": "endpoint",
    "formats": "format",
}
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_WHOLE_NUMBER = re.compile(r"[0-9]{1,9}")
_ATTRIBUTE = re.compile(r"^attribute\[([^\[\]]{1,80})\](\[\])?$")
_FIELD_NAMES = {"address": "address_string"}


class Open311Error(Exception):
    """A request we refuse; rendered as the spec's error list with this HTTP status."""

    def __init__(self, status: int, description: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.headers = headers


@dataclass(frozen=True)
class RequestQuery:
    """The filters of GET requests, checked."""

    numbers: tuple[str, ...] = ()
    service_codes: tuple[str, ...] = ()
    start: dt.datetime | None = None
    end: dt.datetime | None = None
    statuses: tuple[str, ...] = ()
    page: int = 1
    page_size: int = OPEN311_PAGE_SIZE


def errors(status: int, description: str) -> list[dict]:
    """The spec's error list."""
    return [{"code": status, "description": description}]


def language(locale: str | None, codes: Sequence[str]) -> str:
    """The configured language a `locale` parameter asks for ("es" or "es-US"), else the first one."""
    wanted = (locale or "").strip().lower().replace("_", "-")
    for code in codes:
        if wanted and (code.lower() == wanted or code.lower().split("-")[0] == wanted):
            return code
    return codes[0]


# ---------------------------------------------------------------- services


def service_list(catalogue: Catalogue, lang: str) -> list[dict]:
    """GET services: every service type."""
    return [_service(service, lang) for service in catalogue.services]


def _service(service: ServiceType, lang: str) -> dict:
    keywords = service.keywords.get(lang) or service.keywords.get("en-US") or ()
    return {
        "service_code": service.code,
        "service_name": service.label(lang),
        "description": service.description.get(lang) or service.description.get("en-US", ""),
        "metadata": bool(service.attributes),
        "type": "realtime",
        "keywords": ", ".join(keywords),
        "group": service.group,
    }


def service_definition(service: ServiceType, lang: str) -> dict:
    """GET services/{code}: the questions asked for a service type."""
    attributes = []
    for order, attribute in enumerate(service.attributes, start=1):
        choices = attribute.values
        attributes.append(
            {
                "variable": True,
                "code": attribute.code,
                "datatype": attribute.datatype,
                "required": attribute.required,
                "datatype_description": None,
                "order": order,
                "description": attribute.prompt.get(lang) or attribute.prompt.get("en-US", ""),
                "values": [{"key": v.key, "name": v.name.get(lang) or v.name.get("en-US", v.key)} for v in choices],
            }
        )
    return {"service_code": service.code, "attributes": attributes}


# ---------------------------------------------------------------- service requests


def public_status(status: str) -> str:
    """The spec's two statuses: our open, acknowledged and in-progress are "open"; closed and duplicate "closed"."""
    return "open" if status in OPEN_STATUSES else "closed"


def service_request(ticket: TicketPublic, service: ServiceType | None, lang: str, zone: ZoneInfo) -> dict:
    """One request as GET requests shows the public: no phone number, free text redacted, the type's rules applied."""
    rule = service.publish_address if service else UNKNOWN_SERVICE_ADDRESS
    address, lat, long = privacy.public_location(ticket.address, ticket.lat, ticket.long, rule)
    description = privacy.redact(ticket.description) if service and service.publish_description else None
    return {
        "service_request_id": ticket.number,
        "status": public_status(ticket.status),
        "status_notes": _status_notes(ticket),
        "service_name": service.label(lang) if service else ticket.service_code,
        "service_code": ticket.service_code,
        "description": description,
        "agency_responsible": service.department if service else "",
        "service_notice": notice(ticket, zone),
        "requested_datetime": iso(ticket.created_at, zone),
        "updated_datetime": iso(ticket.updated_at, zone),
        "expected_datetime": iso(ticket.expected_at, zone),
        "address": address,
        "lat": lat,
        "long": long,
        "media_url": None,  # voice recordings carry the resident's voice: never published
    }


def service_requests(tickets: Sequence[TicketPublic], catalogue: Catalogue, lang: str, zone: ZoneInfo) -> list[dict]:
    """GET requests: each ticket in the spec's shape."""
    return [service_request(t, catalogue.get(t.service_code), lang, zone) for t in tickets]


def created(ticket: TicketPublic, zone: ZoneInfo) -> dict:
    """POST requests: what a client learns about the request it just opened."""
    return {"service_request_id": ticket.number, "service_notice": notice(ticket, zone)}


def token(number: str) -> dict:
    """GET tokens/{token}: our tokens are the ticket numbers themselves."""
    return {"service_request_id": number, "token": number}


def notice(ticket: TicketPublic, zone: ZoneInfo) -> str:
    """What the city will do: the date it commits to, or which request this one duplicates."""
    if ticket.duplicate_of:
        return f"Already reported as request {ticket.duplicate_of}; this request closes with it."
    return f"Expected by {_utc(ticket.expected_at).astimezone(zone):%Y-%m-%d %H:%M %Z}."


def _status_notes(ticket: TicketPublic) -> str | None:
    if ticket.status in CLOSED_STATUSES and ticket.closing_note:
        return privacy.redact(ticket.closing_note)
    if ticket.status == TicketStatus.DUPLICATE and ticket.duplicate_of:
        return f"Duplicate of request {ticket.duplicate_of}."
    return None


def iso(value: dt.datetime | None, zone: ZoneInfo) -> str | None:
    """ISO 8601 with the city's offset, e.g. 2026-11-17T10:00:00-06:00."""
    return _utc(value).astimezone(zone).isoformat(timespec="seconds") if value else None


def _utc(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


# ---------------------------------------------------------------- parsing


def read_post(
    form: Mapping[str, str], api_keys: Sequence[str], codes: Sequence[str]
) -> tuple[TicketCreate, str | None]:
    """A POST requests form checked: its api_key, the ticket to open and its idempotency key (from device_id)."""
    api_key = check_api_key(form.get("api_key"), api_keys)
    data, device_id = parse_create(form, codes)
    return data, device_key(api_key, device_id, data) if device_id else None


def check_api_key(given: str | None, keys: Sequence[str]) -> str:
    """The client's api_key when it is one we issued; else a 403."""
    given = (given or "").strip()
    # compare_digest on every key, so timing does not reveal which prefix matched.
    if not given or not any(hmac.compare_digest(given.encode(), key.encode()) for key in keys):
        raise Open311Error(403, "api_key is missing or not valid")
    return given


def parse_create(form: Mapping[str, str], codes: Sequence[str]) -> tuple[TicketCreate, str | None]:
    """A POST requests form as a ticket to open and its device_id; first_name, last_name and email are not kept."""
    service_code = form.get("service_code", "").strip()
    if not service_code:
        raise Open311Error(400, "service_code is required")
    lat = _coordinate(form, "lat", 90)
    long = _coordinate(form, "long", 180)
    if (lat is None) != (long is None):
        raise Open311Error(400, "lat and long must be given together")
    device_id = form.get("device_id", "").strip() or None
    if device_id and len(device_id) > MAX_DEVICE_ID:
        raise Open311Error(400, f"device_id is longer than {MAX_DEVICE_ID} characters")
    attributes = {}
    for key, value in form.items():
        match = _ATTRIBUTE.match(key)
        if match and len(attributes) < 50:
            attributes[match.group(1)] = value
    try:
        data = TicketCreate(
            service_code=service_code,
            address=form.get("address_string", ""),
            description=form.get("description", ""),
            lat=lat,
            long=long,
            attributes=attributes,
            language=language(form.get("locale"), codes),
            channel="open311",
            phone=normalize(form.get("phone", "")[:40]),
        )
    except ValidationError as exc:
        field = str(exc.errors()[0]["loc"][0]) if exc.errors() and exc.errors()[0]["loc"] else "request"
        raise Open311Error(400, f"{_FIELD_NAMES.get(field, field)} is not valid") from None
    return data, device_id


def device_key(api_key: str, device_id: str, data: TicketCreate) -> str:
    """The idempotency key for a POST: the client, its device_id and what it reported.

    GeoReport's device_id names a device, which may send several different reports; keying on the content too
    makes a retried POST return the first request while a new report from the same phone still opens a new one.
    """
    content = json.dumps(
        [
            api_key,
            device_id,
            data.service_code,
            data.address,
            data.description,
            data.lat,
            data.long,
            sorted(data.attributes.items()),
        ],
        ensure_ascii=False,
    )
    return hashlib.sha256(content.encode()).hexdigest()


def _coordinate(form: Mapping[str, str], name: str, limit: float) -> float | None:
    raw = form.get(name, "").strip()
    if not raw:
        return None
    try:
        value = float(raw[:40])
    except ValueError:
        raise Open311Error(400, f"{name} is not a number") from None
    if not math.isfinite(value) or abs(value) > limit:
        raise Open311Error(400, f"{name} must be between -{limit:g} and {limit:g}")
    return value


def parse_query(params: Mapping[str, str], now: dt.datetime) -> RequestQuery:
    """GET requests filters, checked: a bad or out-of-range value is an Open311Error (400) naming the parameter.

    service_request_id overrides the others, as the spec says. `page` (from 1) and `page_size` (1 to 200, default 50)
    are our extension; GeoReport v2 leaves paging to the server.
    """
    numbers = _split(params, "service_request_id")
    if numbers:
        return RequestQuery(numbers=tuple(numbers[:MAX_IDS]), page_size=MAX_IDS)
    start = _datetime(params, "start_date")
    end = _datetime(params, "end_date")
    if start and end and start > end:
        raise Open311Error(400, "start_date is after end_date")
    if start and end and end - start > WINDOW:
        raise Open311Error(400, "start_date to end_date may not span more than 90 days")
    if start is None:
        start = (end or now) - WINDOW
    elif end is None:
        end = start + WINDOW
    statuses: list[str] = []
    for status in _split(params, "status"):
        if status.lower() not in ("open", "closed"):
            raise Open311Error(400, f"status {status[:40]!r} is not open or closed")
        statuses += OPEN_STATUSES if status.lower() == "open" else CLOSED_STATUSES
    return RequestQuery(
        service_codes=tuple(_split(params, "service_code")[:50]),
        start=start,
        end=end,
        statuses=tuple(dict.fromkeys(statuses)),
        page=_whole_number(params, "page", default=1, highest=OPEN311_MAX_PAGE),
        page_size=_whole_number(params, "page_size", default=OPEN311_PAGE_SIZE, highest=OPEN311_MAX_PAGE_SIZE),
    )


def _split(params: Mapping[str, str], name: str) -> list[str]:
    raw = params.get(name) or ""
    if _CONTROL.search(raw):  # PostgreSQL refuses NUL in text: it must be a 400 here, not a 500 there
        raise Open311Error(400, f"{name} contains a control character")
    return [part.strip() for part in raw.split(",") if part.strip()]


def _whole_number(params: Mapping[str, str], name: str, *, default: int, highest: int) -> int:
    raw = (params.get(name) or "").strip()
    if not raw:
        return default
    # ASCII digits only: int() also reads "²"-like digits and "1_000", which no client means.
    if not _WHOLE_NUMBER.fullmatch(raw) or not 1 <= int(raw) <= highest:
        raise Open311Error(400, f"{name} must be a whole number from 1 to {highest}")
    return int(raw)


def _datetime(params: Mapping[str, str], name: str) -> dt.datetime | None:
    raw = (params.get(name) or "").strip()
    if not raw:
        return None
    example = "an ISO 8601 date-time like 2026-11-01T00:00:00Z"
    if len(raw) > MAX_DATE_LENGTH:
        raise Open311Error(400, f"{name} is not {example}")
    try:
        value = dt.datetime.fromisoformat(raw)
        value = _utc(value).astimezone(dt.UTC)  # a time without an offset is taken as UTC
    except (ValueError, OverflowError):
        raise Open311Error(400, f"{name} {raw!r} is not {example}") from None
    if not EARLIEST <= value <= LATEST:
        raise Open311Error(400, f"{name} {raw!r} is out of range: use a date from {EARLIEST.year} to {LATEST.year}")
    return value


# ---------------------------------------------------------------- rendering


def to_json(data: object) -> bytes:
    """The JSON body."""
    return json.dumps(data, ensure_ascii=False).encode()


def to_xml(root: str, data: object) -> str:
    """The XML body, with the spec's element names (<services><service>, <service_requests><request>, …)."""
    element = ET.Element(root)
    _fill(element, root, data)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(element, encoding="unicode")


def _fill(element: ET.Element, name: str, value: object) -> None:
    if isinstance(value, list):
        item = _ITEM.get(name, "item")
        for entry in value:
            _fill(ET.SubElement(element, item), item, entry)
    elif isinstance(value, dict):
        for key, entry in value.items():
            _fill(ET.SubElement(element, key), key, entry)
    elif isinstance(value, bool):
        element.text = "true" if value else "false"
    elif value is not None:
        element.text = text_rules.clean(str(value))


def discovery(base_url: str, city: str) -> dict:
    """GET discovery: where this endpoint is and what it speaks."""
    return {
        "changeset": "2026-11-23T00:00:00Z",
        "contact": f"{city} 311",
        "key_service": f"Ask {city} 311 for an api_key to post requests.",
        "endpoints": [
            {
                "specification": SPEC,
                "url": f"{base_url}/open311/v2",
                "changeset": "2026-11-23T00:00:00Z",
                "type": "production",
                "formats": ["application/json", "text/xml"],
            }
        ],
    }
