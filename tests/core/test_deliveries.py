"""The database's memory of webhook deliveries acted on: kept for a retention, then pruned by a periodic job."""

from __future__ import annotations

import datetime as dt

from rq.cron import CronScheduler
from sqlmodel import select

from app import schedule
from core import clock, deliveries
from core.defaults import PROCESSED_DELIVERY_KEEP_DAYS, PROCESSED_DELIVERY_PRUNE_SECONDS
from core.deliveries import ProcessedDelivery
from core.worker import configure


def test_processed_deliveries_older_than_the_retention_are_pruned_by_a_cron_job(engine, session, settings, redis):
    keep = dt.timedelta(days=PROCESSED_DELIVERY_KEEP_DAYS)
    now = clock.now()
    session.add(ProcessedDelivery(key="sms:SMold", created_at=now - keep - dt.timedelta(hours=1)))
    session.add(ProcessedDelivery(key="sms:SMrecent", created_at=now - keep + dt.timedelta(hours=1)))
    session.commit()
    configure(settings)
    with redis.lock("deliveries:cron:prune", timeout=30):
        assert deliveries.prune_job() == 0  # another scheduler's run is pruning right now
    assert deliveries.prune_job() == 1
    session.expire_all()
    assert session.exec(select(ProcessedDelivery.key)).all() == ["sms:SMrecent"]
    cron = CronScheduler(connection=redis)
    schedule.register(cron)
    intervals = {job.func_name: job.interval for job in cron.get_jobs()}
    assert intervals["core.deliveries.prune_job"] == PROCESSED_DELIVERY_PRUNE_SECONDS
