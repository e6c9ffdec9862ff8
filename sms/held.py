"""Texts that came faster than the per-minute limit: kept, and when the minute's window opens the resident is told
which ones were not read, so they send them again; nothing a resident texted disappears without a word.

The texts wait in Redis (shared by every web process) under the number, at most SMS_HELD_MAX of them for a day; the
first refused text of a minute queues one `tell_held` job for the moment the window opens. The text goes through
messaging, so consent (STOP), the allowed numbers and the caps apply.
"""

from __future__ import annotations

import datetime as dt
import json

from rq import get_current_job
from sqlmodel import Session

from core.defaults import SMS_HELD_MAX, SMS_HELD_QUOTE_CHARS, SMS_HELD_TTL
from core.worker import context, describe, queue, retry
from flows.wording import Wording
from messaging import segments
from messaging.outbound import deliver


def key_for(phone: str) -> str:
    """The Redis list of one number's held texts."""
    return f"sms:held:{phone}"


async def hold(redis, *, phone: str, body: str, language: str) -> None:
    """Keep a text that was not read, in the language of the conversation it belongs to."""
    key = key_for(phone)
    async with redis.pipeline(transaction=True) as pipe:
        pipe.rpush(key, json.dumps({"body": body, "language": language}))
        pipe.ltrim(key, -SMS_HELD_MAX, -1).expire(key, SMS_HELD_TTL)
        await pipe.execute()


def schedule(connection, *, phone: str, now: dt.datetime, opens_at: dt.datetime) -> None:
    """Queue the job that tells the resident, for when the window opens (by the clock the limit counts with)."""
    wait = max(dt.timedelta(seconds=1), opens_at - now)
    # The description names the job only: rq logs it, and the number must not reach the logs.
    queue(connection).enqueue_in(wait, tell_held, phone=phone, retry=retry(), description=describe(tell_held))


def tell_held(*, phone: str) -> str:
    """Job: text the resident which texts were not read and ask them to send those again; what became of it."""
    ctx = context()
    connection = get_current_job().connection
    key = key_for(phone)
    with connection.pipeline(transaction=True) as pipe:
        pipe.lrange(key, 0, -1).delete(key)
        raw, _ = pipe.execute()
    held = [json.loads(item) for item in raw]
    if not held:
        return "nothing_held"
    with Session(ctx.engine) as session:
        status = deliver(ctx, session, to=phone, body=send_again_text(ctx, held), kind="sms_held")
        session.commit()
    return status


def send_again_text(ctx, held: list[dict]) -> str:
    """Which texts came too quickly to read, quoted, and to send them again, in the resident's language."""
    wording = Wording.of(ctx)
    language = held[-1]["language"]
    quoted = ", ".join(f"“{_short(item['body'])}”" for item in held)
    text = wording(language, "sms_send_again", city=ctx.settings.city_name, texts=quoted)
    return segments.fit(text, 4)


def _short(body: str) -> str:
    body = " ".join(body.split())
    return body if len(body) <= SMS_HELD_QUOTE_CHARS else body[: SMS_HELD_QUOTE_CHARS - 1].rstrip() + "…"
