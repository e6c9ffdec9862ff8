"""The builtin adapter: the OneCall database is the CRM, so delivering is a no-op and statuses are already local."""

from __future__ import annotations

from crm_bridge.adapters.base import Adapter, Delivered, ExternalStatus
from crm_bridge.models import TicketPublic


class BuiltinAdapter(Adapter):
    """Delivery to ourselves: the ticket number is the external id."""

    def deliver(self, ticket: TicketPublic, *, idempotency_key: str, phone: str | None) -> Delivered:
        """Nothing to send; the ticket is already in the CRM (our database)."""
        return Delivered(external_id=ticket.number, token=None)

    def find(self, ticket: TicketPublic, *, idempotency_key: str) -> Delivered | None:
        """Always there: our database is the CRM."""
        return Delivered(external_id=ticket.number, token=None)

    def resolve_token(self, token: str) -> str | None:
        """Tokens are ticket numbers."""
        return token

    def fetch_status(self, external_ids: list[str]) -> list[ExternalStatus]:
        """Nothing to fetch: supervisors change statuses in our database directly."""
        return []
