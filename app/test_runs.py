"""POST /test-traffic/end: a scenario run is over; its tickets are removed and its call-backs cancelled.

The runner posts it as its last webhook, signed like every other and carrying the run's own test-traffic mark
(core.test_traffic): only the run itself can end it, and nothing of a resident's is ever touched.
"""

from __future__ import annotations

from sqlmodel import Session
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from callbacks import service as callbacks
from core import clock, test_traffic
from core.db import run_db
from core.twilio_auth import signed_form
from crm_bridge import service as crm


def _remove(session: Session, *, run: str) -> dict[str, int]:
    cancelled = callbacks.end_test_run(session, run=run, now=clock.now())
    return {"tickets_removed": crm.remove_test_run(session, run=run), "callbacks_cancelled": cancelled}


async def end_run(request: Request) -> JSONResponse:
    """Remove what the test run named in the form (and in its mark) left behind."""
    form = await signed_form(request)
    run = test_traffic.current_run()
    if run is None or form.get("Run") != run or run == test_traffic.BROWSER_PHONE_RUN:
        raise HTTPException(403, "only a scenario run's own marked request ends it")
    return JSONResponse(await run_db(request.app.state.ctx.engine, _remove, run=run))


routes = [Route(test_traffic.END_OF_RUN_PATH, end_run, methods=["POST"])]
