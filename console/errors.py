"""The one table from domain refusals to HTTP statuses, for the API (console.routes) and the pages alike."""

from __future__ import annotations

from callbacks.service import CallbackError, Refusal

# A call-back that is gone or being placed is a missing resource or a conflict; any other refusal (a past time, one
# outside agent hours) is about what was sent.
CALLBACK_STATUSES = {Refusal.NOT_FOUND: 404, Refusal.IN_PROGRESS: 409}
UNPROCESSABLE = 422


def http_status(exc: CallbackError) -> int:
    """The HTTP status a refused call-back change answers with."""
    return CALLBACK_STATUSES.get(exc.reason, UNPROCESSABLE)
