"""The bare endpoint every speed figure is measured against: a Starlette route that reads the form and answers a
fixed TwiML document, nothing else. `python bench/bare_endpoint.py PORT` serves it with uvicorn on uvloop and
httptools in one process; bench/webhook_speed.py imports `app` to serve it the way it serves ours."""

from __future__ import annotations

import sys

from starlette.applications import Starlette
from starlette.responses import Response
from starlette.routing import Route

TWIML = ('<?xml version="1.0" encoding="UTF-8"?><Response><Say>Hello</Say>'
         '<Gather action="/voice/step?node=main&amp;seq=1" input="dtmf speech" method="POST"/></Response>')


async def hook(request):
    """Read the form, as every webhook must, and answer the fixed TwiML."""
    await request.form()
    return Response(TWIML, media_type="application/xml")


app = Starlette(routes=[Route("/voice/{name}", hook, methods=["POST"])])


def main(port: int) -> None:
    """Serve `app` on 127.0.0.1:port until stopped (uvloop and httptools when installed, as ours runs)."""
    import uvicorn

    options = {"loop": "uvloop", "http": "httptools"}
    for name, module in (("loop", "uvloop"), ("http", "httptools")):
        try:
            __import__(module)
        except ImportError:
            options[name] = "auto"
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", limit_concurrency=200, **options)


if __name__ == "__main__":
    main(int(sys.argv[1]))
