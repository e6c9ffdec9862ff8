"""The one interface every CRM adapter offers: deliver a ticket, resolve a token, fetch statuses."""

from __future__ import annotations

import datetime as dt
from abc import ABC, abstractmethod
from dataclasses import dataclass

from core import text_rules
from crm_bridge.models import TicketPublic


class CrmUnavailable(Exception):
    """The CRM could not be reached or failed on its side (timeout, connection error, 5xx): try again later.

    `maybe_reached` is True when a create may have reached the CRM and only its answer was lost (a timeout after
    sending, a dropped connection, a gateway's 502/504): before sending it again, look it up.
    """

    def __init__(self, message: str, *, maybe_reached: bool = False) -> None:
        super().__init__(message)
        self.maybe_reached = maybe_reached


class CrmRejected(Exception):
    """The CRM refused the request as given (a 4xx): retrying the same data cannot help."""


@dataclass(frozen=True)
class Delivered:
    """Where a delivered ticket lives in the CRM: its id, or a token to resolve into one later."""

    external_id: str | None
    token: str | None = None


@dataclass(frozen=True)
class ExternalStatus:
    """A request's state in the CRM, in Open311's two words: "open" or "closed"."""

    external_id: str
    status: str
    note: str = ""
    updated: dt.datetime | None = None

    def __post_init__(self) -> None:
        # The CRM's closing note is texted to residents: a machine sent it, so it is cleaned rather than refused.
        object.__setattr__(self, "note", text_rules.clean(self.note))


class Adapter(ABC):
    """A CRM the tickets are delivered to; used as a context manager so its connections are closed."""

    @abstractmethod
    def deliver(self, ticket: TicketPublic, *, idempotency_key: str, phone: str | None) -> Delivered:
        """Create the request in the CRM; the same idempotency_key never creates it twice."""

    @abstractmethod
    def find(self, ticket: TicketPublic, *, idempotency_key: str) -> Delivered | None:
        """The request an earlier attempt created for this ticket, if the CRM has one: checked before a resend."""

    @abstractmethod
    def resolve_token(self, token: str) -> str | None:
        """The CRM's id for a token, or None while it has not assigned one."""

    @abstractmethod
    def fetch_status(self, external_ids: list[str]) -> list[ExternalStatus]:
        """The current status of these requests (those the CRM knows)."""

    def close(self) -> None:  # noqa: B027 (optional: only adapters holding connections override it)
        """Release connections."""

    def __enter__(self) -> Adapter:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()
