"""The app factory: one Starlette app mounting every package's routes, configured from injected settings."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterable

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from twilio.twiml.messaging_response import MessagingResponse

from app import health, home, metrics, test_runs
from app.fresh_state import FreshState
from console import pages as console_pages
from console import routes as console_routes
from core import clock as clocks
from core import event_loop_reads
from core.body_limit import BodyLimit, Limit
from core.calendar import BusinessCalendar
from core.db import make_engine
from core.defaults import API_BODY_LIMIT, HEARTBEAT_SECONDS, OPEN311_BODY_LIMIT, OTHER_BODY_LIMIT, WEBHOOK_BODY_LIMIT
from core.heartbeats import AsyncHeartbeats, Role
from core.hosts import HostCheck, allowed_hosts
from core.metrics import RequestMetrics
from core.redis import async_client, sync_client
from core.security_headers import SecurityHeaders
from crm_bridge import routes as crm_routes
from crm_bridge.catalogue import load_catalogue
from flows import runner
from flows.context import FlowContext
from flows.emergency import EmergencyWords
from flows.wording import Wording
from ivr import routes as ivr_routes
from knowledge.base import KnowledgeCache
from settings import Settings
from sms import routes as sms_routes
from surge.cache import AnnouncementCache

log = logging.getLogger("onecall")


def build_context(settings: Settings) -> FlowContext:
    """Connections and shared read-only data for one web process."""
    if not settings.redis_url:
        raise ValueError("settings.redis_url must be set (run.py starts an embedded Redis when REDIS_URL is unset)")
    redis = async_client(settings.redis_url)
    engine = make_engine(settings.database_url)
    codes = [language.code for language in settings.languages]
    wording = Wording.load(codes, settings.wording)
    return FlowContext(
        settings=settings,
        engine=engine,
        redis=redis,
        sync_redis=sync_client(settings.redis_url),
        calendar=BusinessCalendar(settings),
        knowledge=KnowledgeCache(engine, redis),
        wording=wording,
        menus=runner.menus_for(settings, wording),
        emergency=EmergencyWords.load(settings.knowledge_dir, codes),
        announcements=AnnouncementCache(engine, redis, clocks.now),
    )


async def beat_forever(ctx: FlowContext) -> None:
    """The web role's heartbeat (core.heartbeats) every few seconds while this process serves; an outage skips it."""
    beats = AsyncHeartbeats(ctx.redis)
    while True:
        with contextlib.suppress(Exception):  # an outage: /healthz says so; the next beat after it succeeds
            await beats.beat(Role.WEB)
        await asyncio.sleep(HEARTBEAT_SECONDS)


def check_data(settings: Settings) -> None:
    """Load the data files a start depends on (wording, menus, service catalogue); raise ValueError naming the key."""
    codes = [language.code for language in settings.languages]
    runner.menus_for(settings, Wording.load(codes, settings.wording))
    EmergencyWords.load(settings.knowledge_dir, codes)
    load_catalogue()


def create_app(settings: Settings, *, clock: clocks.Clock | None = None, listening: Iterable[str] = ()) -> Starlette:
    """The OneCall 311 web app; `clock` pins the time this process reads (tests, replays); `listening` names the
    address its server listens on, which may be used as a Host besides PUBLIC_BASE_URL's."""
    if clock is not None:
        clocks.install(clock)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette):
        app.state.ctx = build_context(settings)
        await app.state.ctx.knowledge.get()  # build the matcher before the first call arrives
        beating = asyncio.create_task(beat_forever(app.state.ctx))
        try:
            yield
        finally:
            beating.cancel()
            await app.state.ctx.redis.aclose()
            app.state.ctx.sync_redis.close()
            event_loop_reads.close(app.state.ctx.engine)
            app.state.ctx.engine.dispose()

    routes = [
        *health.routes,
        *metrics.routes,
        *home.routes,
        *ivr_routes.routes,
        *sms_routes.routes,
        *console_routes.routes,
        *console_pages.routes,
        *crm_routes.routes,
        *test_runs.routes,
    ]
    return Starlette(
        routes=routes,
        lifespan=lifespan,
        middleware=[
            Middleware(RequestMetrics, routes=routes),  # outermost: refusals by the others are timed too
            Middleware(HostCheck, hosts=allowed_hosts(settings.public_base_url, settings.allowed_hosts, listening)),
            Middleware(SecurityHeaders),
            Middleware(BodyLimit, default=OTHER_BODY_LIMIT, limits=BODY_LIMITS),
            Middleware(FreshState),
        ],
        exception_handlers={HTTPException: _http_error, 500: _crash},
    )


# Every request body is counted as it streams in and refused past its path's limit, before anything buffers it.
BODY_LIMITS = [
    Limit("/voice/", WEBHOOK_BODY_LIMIT),
    Limit("/sms/", WEBHOOK_BODY_LIMIT),
    Limit("/api/", API_BODY_LIMIT),
    Limit(f"{crm_routes.PREFIX}/", OPEN311_BODY_LIMIT, crm_routes.refusal),
]


async def _http_error(request: Request, exc: HTTPException) -> Response:
    if request.url.path.startswith("/console/"):
        return console_pages.error_page(request, exc)
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
    if request.url.path.startswith("/sms/"):  # a text gets the same apology, as a reply (Redis away, say)
        return PlainTextResponse(_text_apology(request), status_code=200, media_type="application/xml")
    return PlainTextResponse("internal error", status_code=500)


def _text_apology(request: Request) -> str:
    settings = request.app.state.ctx.settings
    response = MessagingResponse()
    response.message(request.app.state.ctx.wording(settings.default_language.code, "sms_sorry_trouble"))
    return str(response)
