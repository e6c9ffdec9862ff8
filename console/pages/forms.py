"""Reading a console form: the CSRF token first, then the fields, each trimmed."""

from __future__ import annotations

import secrets

from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request

EXPIRED = "This form has expired or did not come from this console. Reload the page and try again."


async def checked_form(request: Request) -> FormData:
    """The posted form, once its CSRF token matches the session's; 403 otherwise."""
    form = await request.form(max_files=0, max_fields=50)
    token = str(form.get("csrf", ""))
    if not token or not secrets.compare_digest(token.encode(), request.user.csrf.encode()):
        raise HTTPException(403, EXPIRED)
    return form


def text(form: FormData, name: str) -> str:
    """A text field as typed, without surrounding blanks; empty when absent or a file."""
    value = form.get(name, "")
    return value.strip() if isinstance(value, str) else ""
