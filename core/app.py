"""The app factory: one Starlette app mounting every package's routes, configured from injected settings."""

from __future__ import annotations

import contextlib
import logging

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import PlainTextResponse

from console import routes as console_routes
from console.live import AnnouncementCache
from core import health, home
from core.context import AppContext
from core.db import make_engine
from core.redis import async_client, sync_client
from crm_bridge import routes as crm_routes
from crm_bridge.catalogue import load_catalogue
from flows.hours import BusinessCalendar
from flows.knowledge import KnowledgeCache
from flows.wording import Wording
from ivr import routes as ivr_routes
from queueing import routes as queue_routes
from settings import Settings
from sms import routes as sms_routes

log = logging.getLogger("onecall")


def build_context(settings: Settings) -> AppContext:
    """Connections and shared read-only data for one web process."""
    if not settings.redis_url:
        raise ValueError("settings.redis_url must be set (run.py starts an embedded Redis when REDIS_URL is unset)")
    redis = async_client(settings.redis_url)
    engine = make_engine(settings.database_url)
    codes = [language.code for language in settings.languages]
    ctx = AppContext(
        settings=settings,
        engine=engine,
        redis=redis,
        sync_redis=sync_client(settings.redis_url),
        knowledge=KnowledgeCache(engine, redis),
        wording=Wording.load(codes, settings.wording),
        calendar=BusinessCalendar(settings),
        catalogue=load_catalogue(),
    )
    ctx.announcements = AnnouncementCache(engine, redis, ctx.now)
    return ctx


def create_app(settings: Settings) -> Starlette:
    """The OneCall 311 web app."""

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette):
        app.state.ctx = build_context(settings)
        await app.state.ctx.knowledge.get()  # build the matcher before the first call arrives
        try:
            yield
        finally:
            await app.state.ctx.redis.aclose()
            app.state.ctx.sync_redis.close()
            app.state.ctx.engine.dispose()

    routes = [
        *health.routes,
        *home.routes,
        *ivr_routes.routes,
        *sms_routes.routes,
        *queue_routes.routes,
        *console_routes.routes,
        *crm_routes.routes,
    ]
    return Starlette(routes=routes, lifespan=lifespan, exception_handlers={HTTPException: _http_error, 500: _crash})


async def _http_error(request: Request, exc: HTTPException) -> PlainTextResponse:
    return PlainTextResponse(exc.detail or "error", status_code=exc.status_code)


async def _crash(request: Request, exc: Exception) -> PlainTextResponse:
    # A caller must never hear Twilio's "application error": answer voice webhooks with a polite apology.
    log.exception("unhandled error on %s", request.url.path)
    if request.url.path.startswith("/voice/"):
        body = (
            '<?xml version="1.0" encoding="UTF-8"?><Response><Say>Sorry, something went wrong on our side. '
            "Please try your call again in a few minutes.</Say><Hangup/></Response>"
        )
        return PlainTextResponse(body, status_code=200, media_type="application/xml")
    return PlainTextResponse("internal error", status_code=500)
