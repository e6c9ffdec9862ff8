"""CRM adapters, one chosen by settings.crm_adapter: "builtin" (our database) or "open311" (a GeoReport v2 CRM)."""

from __future__ import annotations

from collections.abc import Callable

from crm_bridge.adapters.base import Adapter, CrmRejected, CrmUnavailable, Delivered, ExternalStatus
from crm_bridge.adapters.builtin import BuiltinAdapter
from crm_bridge.adapters.open311 import Open311Adapter
from settings import Settings

__all__ = ["Adapter", "CrmRejected", "CrmUnavailable", "Delivered", "ExternalStatus", "make_adapter"]


def make_adapter(settings: Settings, *, before_request: Callable[[], None] | None = None) -> Adapter:
    """The adapter the settings choose; close it (or use `with`) when done. `before_request` runs before every
    request to the CRM (a delivery renews its lock there) and stops the request by raising."""
    if settings.crm_adapter == "open311":
        return Open311Adapter(
            settings.crm_open311_endpoint or "",
            api_key=settings.crm_open311_api_key,
            jurisdiction=settings.crm_open311_jurisdiction,
            before_request=before_request,
        )
    return BuiltinAdapter()
