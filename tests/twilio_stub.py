"""A local HTTP server that answers like api.twilio.com and checks every request against Twilio's OpenAPI description.

The description is Twilio's own (tests/twilio_oai/, MIT). openapi-core checks each request's path, method, Basic auth
and form body (types, enums, patterns) against it. On top of that the stub applies what Twilio requires but states only
in prose, which the schema cannot express (a Message needs From or MessagingServiceSid, and Body, MediaUrl or
ContentSid; a Call needs Url, Twiml or ApplicationSid), and it refuses parameters the description does not name:
Twilio itself ignores those with warning 20001, so a misspelt parameter would silently do nothing in production.

A request that does not match is answered 400 (401 without credentials, 404 for an unknown resource) with a
Twilio-shaped error and kept in `rejected`; the `twilio_api` fixture fails any test that leaves one there, so every
test that sends a text or places a call also proves the request matched Twilio's schema.
"""

from __future__ import annotations

import base64
import itertools
import json
import re
import secrets
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

SPEC_PATH = Path(__file__).parent / "twilio_oai" / "twilio_api_v2010.json"
# The server named in the description: requests are matched as if sent there, whatever port the stub listens on.
TWILIO_HOST = "https://api.twilio.com"
RESOURCE = re.compile(r"^/2010-04-01/Accounts/(?P<account>[^/]+)/(?P<resource>Messages|Calls)\.json$")
SPEC_PATHS = {
    "Messages": "/2010-04-01/Accounts/{AccountSid}/Messages.json",
    "Calls": "/2010-04-01/Accounts/{AccountSid}/Calls.json",
}


@dataclass(frozen=True)
class Required:
    """At least one of `params` must be given a value, else Twilio answers `code`."""

    params: tuple[str, ...]
    code: int
    message: str


# Twilio's error codes for a missing parameter on each create. The description marks only To (Messages) and To and
# From (Calls) as required; the one-of rules come from its parameter descriptions and Twilio's error pages.
REQUIRED = {
    "Messages": (
        Required(("To",), 21604, "A 'To' phone number is required."),
        Required(("From", "MessagingServiceSid"), 21603, "A 'From' or 'MessagingServiceSid' parameter is required."),
        Required(("Body", "MediaUrl", "ContentSid"), 21602, "Message body is required."),
    ),
    "Calls": (
        Required(("To",), 21201, "No 'To' number is specified."),
        Required(("From",), 21213, "No 'From' number is specified."),
        Required(("Url", "Twiml", "ApplicationSid"), 21200, "A 'Url', 'Twiml' or 'ApplicationSid' is required."),
    ),
}
UNKNOWN_PARAMETER = 20001  # Twilio's code for parameters it does not recognise (a warning there, refused here)
# Any other mismatch with the schema (a wrong type, a value outside an enum, a malformed SID). Twilio names a specific
# code per parameter; the stub uses one, 20 + the HTTP status, like Twilio's 20404 and 20500.
SCHEMA_MISMATCH = 20400

_spec_lock = threading.Lock()
_openapi = None


def twilio_openapi():
    """Twilio's OpenAPI description, parsed and checked once per test session (it is large), with openapi-core."""
    global _openapi
    with _spec_lock:
        if _openapi is None:
            from openapi_core import OpenAPI

            _openapi = OpenAPI.from_dict(json.loads(SPEC_PATH.read_text(encoding="utf-8")))
        return _openapi


def form_parameters(resource: str) -> dict:
    """The form parameters Twilio's description defines for creating a Message or a Call, with their schemas."""
    operation = twilio_openapi().spec.read_value()["paths"][SPEC_PATHS[resource]]["post"]
    return operation["requestBody"]["content"]["application/x-www-form-urlencoded"]["schema"]["properties"]


@dataclass
class Sent:
    path: str
    account: str
    form: dict[str, str]
    auth_user: str


@dataclass
class Rejected:
    """A request the stub refused because it does not match Twilio's description, and what it answered."""

    method: str
    path: str
    form: dict[str, list[str]]
    status: int
    code: int
    message: str


class Mismatch(Exception):
    def __init__(self, status: int, code: int, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


class TwilioStub:
    """Records each REST request and answers 201 with a Twilio-shaped resource; can be told to fail.

    Requests that do not match Twilio's OpenAPI description are refused and kept in `rejected` instead.
    """

    def __init__(self) -> None:
        self.requests: list[Sent] = []
        self.rejected: list[Rejected] = []
        self.fail_with: int | None = None
        self._sids = itertools.count(1)
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's naming)
                stub._handle(self)

            def do_GET(self):  # noqa: N802
                stub._handle(self)

            def log_message(self, *args):
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def __enter__(self) -> TwilioStub:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def messages(self) -> list[dict[str, str]]:
        """The form of every message sent, in order."""
        return [r.form for r in self.requests if r.path.endswith("/Messages.json")]

    def calls(self) -> list[dict[str, str]]:
        """The form of every call placed, in order."""
        return [r.form for r in self.requests if r.path.endswith("/Calls.json")]

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length)
        fields = parse_qs(body.decode(errors="replace"), keep_blank_values=True)
        form = {k: v[-1] for k, v in fields.items()}
        auth = handler.headers.get("Authorization", "")
        user = base64.b64decode(auth[6:]).decode().split(":")[0] if auth.startswith("Basic ") else ""
        try:
            resource, account = self._check(handler, body, fields)
        except Mismatch as refused:
            self.rejected.append(
                Rejected(handler.command, handler.path, fields, refused.status, refused.code, refused.message)
            )
            return self._error(handler, refused.status, refused.code, refused.message)
        if self.fail_with:
            return self._error(handler, self.fail_with, 20500, "stub failure")
        self.requests.append(Sent(handler.path, account, form, user))
        self._reply(handler, 201, self._resource(resource, account, handler.path, form))

    def _check(self, handler: BaseHTTPRequestHandler, body: bytes, fields: dict[str, list[str]]) -> tuple[str, str]:
        """The resource and account of a request that matches Twilio's description; raises Mismatch otherwise.

        Twilio's order: credentials first, then the missing parameters it has codes for, then everything else.
        """
        path = urlsplit(handler.path).path
        match = RESOURCE.match(path)
        if match is None or handler.command != "POST":
            raise Mismatch(404, 20404, f"The stub creates Messages and Calls only, not {handler.command} {path}")
        resource = match.group("resource")
        mismatch = self._validate(handler, path, body, fields)
        if mismatch and mismatch.status != 400:
            raise mismatch
        for rule in REQUIRED[resource]:
            if not any(value for name in rule.params for value in fields.get(name, [])):
                raise Mismatch(400, rule.code, rule.message)
        unknown = sorted(set(fields) - set(form_parameters(resource)))
        if unknown:
            raise Mismatch(400, UNKNOWN_PARAMETER, f"Unknown parameters: {', '.join(unknown)}")
        if mismatch:
            raise mismatch
        return resource, match.group("account")

    def _validate(
        self, handler: BaseHTTPRequestHandler, path: str, body: bytes, fields: dict[str, list[str]]
    ) -> Mismatch | None:
        """openapi-core's verdict on the request against Twilio's description: None when it matches."""
        from openapi_core.templating.paths.exceptions import PathError
        from openapi_core.testing import MockRequest
        from openapi_core.validation.request.exceptions import SecurityValidationError

        request = MockRequest(
            TWILIO_HOST,
            handler.command,
            path,
            args=parse_qs(urlsplit(handler.path).query),
            headers=dict(handler.headers.items()),
            data=body,
            content_type=handler.headers.get("Content-Type", ""),
        )
        try:
            twilio_openapi().validate_request(request)
        except SecurityValidationError as exc:
            return Mismatch(401, 20003, f"Authenticate: {exc}")
        except PathError as exc:
            return Mismatch(404, 20404, str(exc))
        except Exception as exc:  # openapi-core's validation errors: name the field and what is wrong
            return Mismatch(400, SCHEMA_MISMATCH, _describe(exc, fields))
        return None

    def _resource(self, resource: str, account: str, path: str, form: dict[str, str]) -> dict:
        # Random like Twilio's: a counter would collide with the test callers' own call SIDs (CA000...1).
        sid = f"{'SM' if resource == 'Messages' else 'CA'}{secrets.token_hex(16)}"
        body = {
            "sid": sid,
            "account_sid": account,
            "to": form.get("To"),
            "from": form.get("From"),
            "status": "queued",
            "api_version": "2010-04-01",
            "uri": f"{path[:-5]}/{sid}.json",
        }
        if resource == "Messages":
            body |= {"body": form.get("Body"), "direction": "outbound-api"}
        else:
            body |= {"direction": "outbound-api", "answered_by": None}
        return body

    def _error(self, handler: BaseHTTPRequestHandler, status: int, code: int, message: str) -> None:
        more_info = f"https://www.twilio.com/docs/errors/{code}"
        self._reply(handler, status, {"code": code, "message": message, "more_info": more_info, "status": status})

    def _reply(self, handler: BaseHTTPRequestHandler, status: int, body: dict) -> None:
        data = json.dumps(body).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)


def _describe(exc: Exception, fields: dict[str, list[str]]) -> str:
    """openapi-core's error as one line, naming each failing field."""
    from openapi_core.casting.schemas.exceptions import CastError

    cause = exc.__cause__
    if isinstance(cause, CastError):  # a value that is not of the declared type: find which parameter held it
        names = sorted(name for name, values in fields.items() if cause.value in values)
        return f"{exc} ({', '.join(names) or 'unknown parameter'})"
    details = getattr(cause, "schema_errors", None) or []
    parts = [f"{'.'.join(str(p) for p in err.absolute_path)}: {err.message}".lstrip(": ") for err in details]
    return "; ".join([str(exc).split(": Value ")[0], *parts]) if parts else str(exc)
