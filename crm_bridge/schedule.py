"""Periodic CRM jobs for rq's CronScheduler: re-queue the outbox every minute, read statuses every two.

Start one (or several: each job takes a Redis run lock, so extra schedulers only cost a skipped run):

    from rq.cron import CronScheduler
    from core.redis import sync_client
    from crm_bridge import schedule

    cron = CronScheduler(connection=sync_client(settings.redis_url))
    schedule.register(cron)
    cron.start()  # blocks; stops on SIGINT/SIGTERM

The jobs run on an ordinary rq worker (core.worker.run_worker), which gives them their settings.
"""

from __future__ import annotations

from core.worker import QUEUE_NAMES
from crm_bridge.jobs import poll_updates, reconcile_outbox

RECONCILE_SECONDS = 60
POLL_SECONDS = 120


def register(cron) -> None:
    """Register the CRM bridge's periodic jobs on an rq.cron.CronScheduler."""
    cron.register(reconcile_outbox, queue_name=QUEUE_NAMES[0], interval=RECONCILE_SECONDS, job_timeout=300)
    cron.register(poll_updates, queue_name=QUEUE_NAMES[0], interval=POLL_SECONDS, job_timeout=600)
