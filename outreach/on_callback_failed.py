"""When a call-back's last try went unanswered, text the resident that we tried and how to reach us, once.

callbacks records the failure (status failed, `failure_noticed_at` still empty); this module acts on that record from
above: `sweep` runs on the cron schedule and right after a failure is recorded, and queues one `notify_failed` job per
call-back. The text goes through messaging, so consent (STOP), the allowed numbers and the caps apply.
"""

from __future__ import annotations

from rq import get_current_job
from sqlmodel import Session

from callbacks import service
from callbacks.models import Callback, CallbackStatus
from core.db import in_session
from core.phones import display
from core.worker import JobContext, context, enqueue_once, job_connection
from flows.spoken_time import describe_hours
from flows.wording import Wording
from messaging import segments
from messaging.outbound import deliver


def notice_job_id(callback_id: int) -> str:
    """The id of a call-back's notice job, so a sweep never queues a second live one."""
    return f"callback-failed-{callback_id}"


def sweep() -> int:
    """Job: queue a notice for every failed call-back whose resident was not yet told; how many were queued."""
    ctx = context()
    callback_ids = in_session(ctx.engine, service.failed_unnoticed)
    with job_connection(ctx.settings) as connection:
        return sum(_queue_notice(connection, callback_id) for callback_id in callback_ids)


def _queue_notice(connection, callback_id: int) -> bool:
    return enqueue_once(connection, notify_failed, job_id=notice_job_id(callback_id), callback_id=callback_id)


def notify_failed(*, callback_id: int) -> str:
    """Job: tell the resident we tried to call them back and how to reach us, once."""
    ctx = context()
    lock = get_current_job().connection.lock(f"lock:callback-failed:{callback_id}", timeout=120, blocking_timeout=30)
    with lock, Session(ctx.engine) as session:
        row = service.get(session, callback_id=callback_id)
        if row is None or row.status != CallbackStatus.FAILED:
            return "not_failed"
        if row.failure_noticed_at is not None:
            return "already_noticed"
        status = deliver(ctx, session, to=row.phone, body=failed_text(ctx, row), kind="callback_failed")
        service.mark_failure_noticed(session, callback_id=row.id, now=ctx.now())  # once, sent or refused
        session.commit()
    return status


def failed_text(ctx: JobContext, row: Callback) -> str:
    """We tried N times; call us (when agents answer) or text CALL ME for a time — in the resident's language."""
    wording = Wording.of(ctx)
    hours = describe_hours(ctx.calendar, wording, row.language)
    text = wording(row.language, "sms_callback_failed", city=ctx.settings.city_name, attempts=row.attempts,
                   phone=display(ctx.settings.numbers[0]), hours=hours)
    return segments.fit(text, 4)
