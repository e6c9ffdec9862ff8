"""Errors on console pages as pages: what went wrong, in words, with the menu still there."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from console.pages.render import page

HEADINGS = {
    400: "That did not work",
    403: "Not allowed",
    404: "Not found",
    405: "Not allowed",
    429: "Too many requests",
}
DETAILS = {
    403: "Your account's role does not allow this page or change. Ask an administrator if you need it.",
    404: "There is no such page in the console.",
}


def error_page(request: Request, exc: HTTPException) -> Response:
    """The error as a console page (a 403 from `requires` says which role is needed in words)."""
    detail = exc.detail if exc.detail and exc.detail not in ("Forbidden", "Not Found") else ""
    detail = detail or DETAILS.get(exc.status_code, "Something went wrong.")
    heading = HEADINGS.get(exc.status_code, "Something went wrong")
    return page(request, "error.html", status_code=exc.status_code, heading=heading, detail=detail)
