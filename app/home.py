"""GET /: a small page for whoever opens the server in a browser, linking only what exists."""

from __future__ import annotations

from html import escape

from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Route

LINKS = (
    ("/console/", "Supervisors' console", "Live queues, surge messages, the audit trail: sign in first."),
    ("/healthz", "Health check", "200 when the database and Redis answer, 503 naming the one that does not."),
    ("/open311/v2/discovery.json", "Open311 discovery", "This server's Open311 GeoReport v2 endpoint description."),
    ("/open311/v2/services.json", "Service list", "The request types residents can report (also .xml)."),
    ("/open311/v2/requests.json", "Public requests", "Recent service requests, as Open311 publishes them."),
)


async def home(request: Request) -> HTMLResponse:
    """The page: the city's name, what this server is, and links to its public endpoints."""
    settings = request.app.state.ctx.settings
    city = escape(settings.city_name)  # config text: escaped like any other data put into HTML
    public = escape(settings.public_base_url)
    items = "\n".join(
        f'    <li><a href="{href}">{escape(title)}</a> — {escape(about)}</li>' for href, title, about in LINKS
    )
    mode = (
        "<p><strong>Development mode:</strong> no Twilio credentials are set, so texts and calls go to the local "
        "outbox (printed in the terminal) instead of Twilio.</p>"
        if settings.dev_mode
        else ""
    )
    page = f"""<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>{city} 311 — OneCall 311</title></head>
<body>
<main>
  <h1>{city} 311</h1>
  <p>This is the OneCall 311 server for {city}'s 311 line: phone calls and text messages arrive as Twilio
  webhooks at <code>{public}/voice/incoming</code> and <code>{public}/sms/incoming</code>.</p>
  {mode}
  <ul>
{items}
  </ul>
  <p>Try a call from a terminal: <code>.venv/bin/python run.py simulate</code>.</p>
</main>
</body>
</html>
"""
    return HTMLResponse(page)


routes = [Route("/", home, methods=["GET"])]
