"""Periodic jobs for rq's CronScheduler: the CRM outbox, the CRM's statuses, and closed-ticket notices.

Several schedulers may run: each job takes a Redis run lock or a unique job id, so extras only cost a skipped run.
The jobs run on an ordinary rq worker (core.worker.run_worker), which gives them their settings.
"""

from __future__ import annotations

from core.defaults import CLOSED_NOTICE_SWEEP_SECONDS, CRM_POLL_SECONDS, CRM_RECONCILE_SECONDS
from core.worker import QUEUE_NAMES
from crm_bridge.jobs import poll_updates, reconcile_outbox
from flows import on_ticket_closed


def register(cron) -> None:
    """Register every periodic job on an rq.cron.CronScheduler."""
    queue_name = QUEUE_NAMES[0]
    cron.register(reconcile_outbox, queue_name=queue_name, interval=CRM_RECONCILE_SECONDS, job_timeout=300)
    cron.register(poll_updates, queue_name=queue_name, interval=CRM_POLL_SECONDS, job_timeout=600)
    cron.register(on_ticket_closed.sweep, queue_name=queue_name, interval=CLOSED_NOTICE_SWEEP_SECONDS, job_timeout=300)
