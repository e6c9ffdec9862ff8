"""When staff cancel a call-back in the console, text the resident that it is off and how to reach us, once.

callbacks records the cancellation (status cancelled, audited under the staff member's name); the console queues
`notify_cancelled` right after it. The text goes through messaging, so consent (STOP), the allowed numbers and the caps
apply: only a resident who may be texted is. A resident who cancelled themselves (by text or on a call) already heard
it and is not texted: only the console queues this job.
"""

from __future__ import annotations

from rq import get_current_job
from sqlmodel import Session

from callbacks import service
from callbacks.models import Callback, CallbackStatus
from core.phones import display
from core.worker import JobContext, context
from flows.spoken_time import describe_hours
from flows.wording import Wording
from messaging import segments
from messaging.outbound import deliver


def notice_job_id(callback_id: int) -> str:
    """The id of a call-back's cancellation notice job, so it is queued once."""
    return f"callback-cancelled-{callback_id}"


def notify_cancelled(*, callback_id: int) -> str:
    """Job: tell the resident their call-back was cancelled by staff, and how to reach us."""
    ctx = context()
    lock = get_current_job().connection.lock(f"lock:callback-cancelled:{callback_id}", timeout=120,
                                             blocking_timeout=30)
    with lock, Session(ctx.engine) as session:
        row = service.get(session, callback_id=callback_id)
        if row is None or row.status != CallbackStatus.CANCELLED:
            return "not_cancelled"
        status = deliver(ctx, session, to=row.phone, body=cancelled_text(ctx, row), kind="callback_cancelled")
        session.commit()
    return status


def cancelled_text(ctx: JobContext, row: Callback) -> str:
    """Your call-back is cancelled; call us (when agents answer) or text CALL ME for a time, in the resident's
    language."""
    wording = Wording.of(ctx)
    hours = describe_hours(ctx.calendar, wording, row.language)
    text = wording(row.language, "sms_callback_cancelled", city=ctx.settings.city_name,
                   phone=display(ctx.settings.numbers[0]), hours=hours)
    return segments.fit(text, 4)
