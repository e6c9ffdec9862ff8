"""What the desk's and a voice message's forms share: the details a request type needs, how an intake refusal names
its field, and the call-back time chosen."""

from __future__ import annotations

import datetime as dt

from crm_bridge import catalogue
from crm_bridge.service import IntakeError

ASAP = "asap"
# crm_bridge's Open311-style field names, as these pages' forms name them.
INTAKE_FIELDS = {"service_code": "service_code", "address_string": "address", "description": "description"}


def required_details(ctx) -> list[tuple[str, str, str, list[tuple[str, str]]]]:
    """The details some types cannot be opened without (type name, code, question, choices), in English."""
    return [
        (
            service.label("en-US"),
            attribute.code,
            attribute.prompt.get("en-US", attribute.code),
            [(choice.key, choice.name.get("en-US", choice.key)) for choice in attribute.values],
        )
        for service in catalogue.of(ctx).services
        for attribute in service.attributes
        if attribute.required
    ]


def intake_problem(exc: IntakeError) -> tuple[str, str]:
    """The form field an intake refusal is about, and the words shown under it."""
    name = INTAKE_FIELDS.get(exc.code) or f"attr-{exc.code.removeprefix('attribute[').rstrip(']')}"
    return name, str(exc).replace("address_string", "the address").replace("attribute ", "")


def callback_time(chosen: str) -> dt.datetime | None:
    """The call-back time chosen, None for as soon as an agent is free; ValueError unless a time with its zone."""
    if chosen == ASAP:
        return None
    try:
        when = dt.datetime.fromisoformat(chosen)
    except ValueError:
        when = None
    if when is None or when.tzinfo is None:
        raise ValueError("choose one of the times offered, or as soon as an agent is free")
    return when
