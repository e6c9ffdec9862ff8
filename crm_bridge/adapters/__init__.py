"""CRM adapters, one chosen by settings.crm_adapter: "builtin" (our database) or "open311" (a GeoReport v2 CRM)."""

from __future__ import annotations

from crm_bridge.adapters.base import Adapter, CrmRejected, CrmUnavailable, Delivered, ExternalStatus
from crm_bridge.adapters.builtin import BuiltinAdapter
from crm_bridge.adapters.open311 import Open311Adapter
from settings import Settings

__all__ = ["Adapter", "CrmRejected", "CrmUnavailable", "Delivered", "ExternalStatus", "make_adapter"]


def make_adapter(settings: Settings) -> Adapter:
    """The adapter the settings choose; close it (or use `with`) when done."""
    if settings.crm_adapter == "open311":
        return Open311Adapter(
            settings.crm_open311_endpoint or "",
            api_key=settings.crm_open311_api_key,
            jurisdiction=settings.crm_open311_jurisdiction,
        )
    return BuiltinAdapter()
