"""A local HTTP server that answers like api.twilio.com, so outbound texts and calls are checked at the HTTP level."""

from __future__ import annotations

import base64
import itertools
import json
import re
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs


@dataclass
class Sent:
    path: str
    account: str
    form: dict[str, str]
    auth_user: str


class TwilioStub:
    """Records each REST request and answers 201 with a Twilio-shaped resource; can be told to fail."""

    def __init__(self) -> None:
        self.requests: list[Sent] = []
        self.fail_with: int | None = None
        self._sids = itertools.count(1)
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's naming)
                stub._handle(self)

            def log_message(self, *args):
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def messages(self) -> list[dict[str, str]]:
        """The form of every message sent, in order."""
        return [r.form for r in self.requests if r.path.endswith("/Messages.json")]

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        form = {k: v[-1] for k, v in parse_qs(handler.rfile.read(length).decode()).items()}
        auth = handler.headers.get("Authorization", "")
        user = base64.b64decode(auth[6:]).decode().split(":")[0] if auth.startswith("Basic ") else ""
        match = re.match(r"^/2010-04-01/Accounts/(AC\w+)/(\w+)\.json$", handler.path)
        if match is None:
            return self._reply(handler, 404, {"code": 20404, "message": "not found", "status": 404})
        if self.fail_with:
            return self._reply(
                handler, self.fail_with, {"code": 20500, "message": "stub failure", "status": self.fail_with}
            )
        self.requests.append(Sent(handler.path, match.group(1), form, user))
        prefix = "SM" if match.group(2) == "Messages" else "CA"
        sid = f"{prefix}{next(self._sids):032x}"
        body = {
            "sid": sid,
            "account_sid": match.group(1),
            "to": form.get("To"),
            "from": form.get("From"),
            "body": form.get("Body"),
            "status": "queued",
            "uri": f"{handler.path[:-5]}/{sid}.json",
        }
        self._reply(handler, 201, body)

    def _reply(self, handler: BaseHTTPRequestHandler, status: int, body: dict) -> None:
        data = json.dumps(body).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)
