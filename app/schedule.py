"""Periodic jobs for rq's CronScheduler: the CRM outbox, the CRM's statuses, closed-ticket notices, call-backs, the
records webhooks wrote behind, forgetting old webhook deliveries, and the alert watch (alert rules and surge detection).

Several schedulers may run: each job takes a Redis run lock or a unique job id, so extras only cost a skipped run.
The jobs run on an ordinary rq worker (core.worker.run_worker), which gives them their settings.
"""

from __future__ import annotations

from console.watch import WATCH_SECONDS, watch
from core import deliveries, write_behind
from core.defaults import (
    CALLBACK_DISPATCH_SECONDS,
    CALLBACK_FAILED_SWEEP_SECONDS,
    CALLBACK_RECONCILE_SECONDS,
    CLOSED_NOTICE_SWEEP_SECONDS,
    CRM_POLL_SECONDS,
    CRM_RECONCILE_SECONDS,
    PROCESSED_DELIVERY_PRUNE_SECONDS,
    WRITE_BEHIND_DRAIN_SECONDS,
)
from core.worker import QUEUE_NAMES, queue
from crm_bridge.jobs import poll_updates, reconcile_outbox
from ivr import records  # noqa: F401  (registers the call records the drain writes)
from outreach import callback_dispatch, on_callback_failed, on_ticket_closed
from sms import records as text_records  # noqa: F401  (and the texts')


def register(cron) -> None:
    """Register every periodic job on an rq.cron.CronScheduler."""
    queue_name = QUEUE_NAMES[0]
    cron.register(reconcile_outbox, queue_name=queue_name, interval=CRM_RECONCILE_SECONDS, job_timeout=300)
    cron.register(poll_updates, queue_name=queue_name, interval=CRM_POLL_SECONDS, job_timeout=600)
    cron.register(on_ticket_closed.sweep, queue_name=queue_name, interval=CLOSED_NOTICE_SWEEP_SECONDS, job_timeout=300)
    cron.register(callback_dispatch.dispatch, queue_name=queue_name, interval=CALLBACK_DISPATCH_SECONDS,
                  job_timeout=120)
    cron.register(callback_dispatch.reconcile, queue_name=queue_name, interval=CALLBACK_RECONCILE_SECONDS,
                  job_timeout=300)
    cron.register(on_callback_failed.sweep, queue_name=queue_name, interval=CALLBACK_FAILED_SWEEP_SECONDS,
                  job_timeout=300)
    cron.register(watch, queue_name=queue_name, interval=WATCH_SECONDS, job_timeout=60)
    # Every second, nothing kept: a run left waiting behind a busy worker is dropped, the next one does its work.
    cron.register(write_behind.drain_job, queue_name=queue_name, interval=WRITE_BEHIND_DRAIN_SECONDS, job_timeout=120,
                  result_ttl=0, ttl=30)
    cron.register(deliveries.prune_job, queue_name=queue_name, interval=PROCESSED_DELIVERY_PRUNE_SECONDS,
                  job_timeout=300)


def at_worker_start(connection) -> None:
    """Jobs a starting worker runs first: call-backs are reconciled from the database (nothing lost in a restart)."""
    queue(connection).enqueue(callback_dispatch.reconcile)
