"""GET /metrics: Prometheus's text format for a scraper holding METRICS_TOKEN; live queue and job figures read now.

What every process counts (request latency by route, texts, calls, errors) is in core.metrics; what Redis holds
(callers waiting and their wait, jobs queued, failed and scheduled) is read at each scrape, so any web process
answers for the whole service."""

from __future__ import annotations

import hmac

from prometheus_client.core import GaugeMetricFamily
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from core.metrics import CONTENT_TYPE, exposition
from core.worker import QUEUE_NAMES
from flows.context import FlowContext
from queueing.live_queues import LiveQueues


def authorised(request: Request, token: str) -> bool:
    """Whether the request carries `Authorization: Bearer <token>` (compared in constant time)."""
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token.encode())


async def metrics(request: Request) -> Response:
    """The metrics for a scraper with the token; 404 while METRICS_TOKEN is unset, 401 without the right token."""
    ctx: FlowContext = request.app.state.ctx
    token = ctx.settings.metrics_token
    if not token:
        return PlainTextResponse("metrics are off: set METRICS_TOKEN", status_code=404)
    if not authorised(request, token):
        return PlainTextResponse("a bearer token is required", status_code=401,
                                 headers={"WWW-Authenticate": 'Bearer realm="metrics"'})
    live = _Figures(await _queue_figures(ctx) + await _job_figures(ctx))
    return Response(exposition(live), media_type=CONTENT_TYPE)


async def _queue_figures(ctx: FlowContext) -> list[GaugeMetricFamily]:
    waiting = GaugeMetricFamily("onecall_queue_waiting", "Callers waiting in a queue now", labels=["queue"])
    longest = GaugeMetricFamily("onecall_queue_longest_wait_seconds", "How long the longest-waiting caller has waited",
                                labels=["queue"])
    live = LiveQueues(ctx.redis, ctx.settings)
    now = ctx.now()
    for name in [*ctx.settings.queue.names.values(), ctx.settings.queue.callback_queue]:
        waiting.add_metric([name], await live.waiting_count(name, now))
        oldest = await live.oldest(name, now)
        longest.add_metric([name], max(0.0, now.timestamp() - oldest[1]) if oldest else 0.0)
    return [waiting, longest]


async def _job_figures(ctx: FlowContext) -> list[GaugeMetricFamily]:
    # rq's own keys, read with the async client: rq's helpers would block the event loop.
    queued = GaugeMetricFamily("onecall_jobs_queued", "Jobs waiting for a worker", labels=["queue"])
    failed = GaugeMetricFamily("onecall_jobs_failed", "Jobs that failed for good (rq's failed registry)",
                               labels=["queue"])
    scheduled = GaugeMetricFamily("onecall_jobs_scheduled", "Jobs waiting for their time (retries, call-backs)",
                                  labels=["queue"])
    for name in QUEUE_NAMES:
        queued.add_metric([name], await ctx.redis.llen(f"rq:queue:{name}"))
        failed.add_metric([name], await ctx.redis.zcard(f"rq:failed:{name}"))
        scheduled.add_metric([name], await ctx.redis.zcard(f"rq:scheduled:{name}"))
    return [queued, failed, scheduled]


class _Figures:
    """A collector for figures already read."""

    def __init__(self, families: list[GaugeMetricFamily]) -> None:
        self.families = families

    def collect(self):
        """The figures."""
        return iter(self.families)


routes = [Route("/metrics", metrics, methods=["GET"])]
