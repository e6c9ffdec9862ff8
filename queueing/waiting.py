"""While a caller waits: an honest estimate on every wait-URL poll, the supervisors' message, and the offers."""

from __future__ import annotations

from urllib.parse import urlencode

from twilio.twiml.voice_response import Gather, VoiceResponse

from core.context import AppContext
from core.db import run_db
from flows.sessions import SessionStore
from queueing.estimator import spoken_range
from queueing.live import LiveQueues
from queueing.models import QueueOutcome, QueueResult

TWILIO_RESULTS = {
    "bridged": QueueResult.ANSWERED,
    "bridging-in-process": QueueResult.ANSWERED,
    "hangup": QueueResult.ABANDONED,
    "queue-full": QueueResult.QUEUE_FULL,
    "leave": QueueResult.LEFT,
    "redirected": QueueResult.LEFT,
    "error": QueueResult.ERROR,
    "system-error": QueueResult.ERROR,
}


def _seconds(value: str | None) -> int:
    return int(value) if value and value.isdigit() else 0


async def wait(ctx: AppContext, form: dict[str, str], *, queue: str, language: str) -> str:
    """The TwiML played while waiting: position (not at the head of the line), estimate, message, offers."""
    live = LiveQueues(ctx.redis, ctx.settings)
    now, waited = ctx.now(), _seconds(form.get("QueueTime"))
    position = max(1, _seconds(form.get("QueuePosition")) or 1)
    session = await SessionStore(ctx.redis, "call", 4 * 3600).load(form["CallSid"])
    await live.joined(queue, form["CallSid"], now, waited=waited, position=position, meta=_meta(ctx, session))
    if form.get("CurrentQueueSize", "").isdigit():
        await live.observe(queue, now, int(form["CurrentQueueSize"]))
    estimate = await live.estimate(queue, position, now, waited)
    w = ctx.wording
    lines = [] if position == 1 else [w(language, "queue_position", position=position)]
    minutes = spoken_range(estimate)
    if minutes is None:
        lines.append(w(language, "queue_wait_short"))
    elif minutes[0] == 0:
        lines.append(w(language, "queue_wait_up_to", high=minutes[1]))
    else:
        lines.append(w(language, "queue_wait_range", low=minutes[0], high=minutes[1]))
    lines += await ctx.announcements.lines("queue", language)
    lines += [w(language, "queue_offer_soon"), w(language, "queue_offer_voicemail")]
    return _wait_twiml(ctx, lines, queue=queue, language=language)


def _meta(ctx: AppContext, session: dict) -> dict[str, str]:
    kb_title = session.get("article") or ""
    return {"language": session.get("lang", ""), "topic": kb_title}


def _wait_twiml(ctx: AppContext, lines: list[str], *, queue: str, language: str) -> str:
    response = VoiceResponse()
    query = urlencode({"lang": language, "queue": queue})
    # Everything sits inside the Gather so a key works during the announcements and the music; when the document
    # ends Twilio polls the wait URL again, so the estimate follows reality about every offer_every seconds.
    gather = Gather(input="dtmf", num_digits=1, action=f"/voice/queue/keys?{query}", method="POST", timeout=1)
    voice = ctx.settings.language(language).voice
    for line in lines:
        gather.say(line, voice=voice, language=language)
    if ctx.settings.queue.hold_music:
        gather.play(ctx.settings.queue.hold_music)
    else:
        gather.pause(length=ctx.settings.queue.offer_every)
    response.append(gather)
    return str(response)


async def keys(ctx: AppContext, form: dict[str, str], *, queue: str, language: str) -> str:
    """A key pressed while waiting: 3 leaves the queue for a voice message; call-backs are announced as coming."""
    response = VoiceResponse()
    voice = ctx.settings.language(language).voice
    query = urlencode({"lang": language, "queue": queue})
    if form.get("Digits") == "3":
        store = SessionStore(ctx.redis, "call", 4 * 3600)
        session = await store.load(form["CallSid"])
        session["after_queue"] = "voicemail"
        await store.save(form["CallSid"], session)
        response.leave()
        return str(response)
    if form.get("Digits") in ("1", "2"):
        response.say(ctx.wording(language, "callback_coming_soon"), voice=voice, language=language)
    response.redirect(f"/voice/queue/wait?{query}", method="POST")
    return str(response)


async def result(ctx: AppContext, form: dict[str, str], *, queue: str, language: str) -> str:
    """The caller left the queue: record how (answered, hung up, full, left) and carry on."""
    outcome = TWILIO_RESULTS.get(form.get("QueueResult", ""), QueueResult.ERROR)
    waited = _seconds(form.get("QueueTime"))
    live = LiveQueues(ctx.redis, ctx.settings)
    if outcome is QueueResult.ANSWERED:
        await live.answered(queue, form["CallSid"], ctx.now(), waited=waited)
    else:
        await live.left(queue, form["CallSid"], ctx.now(), waited=waited, abandoned=outcome is QueueResult.ABANDONED)
    await run_db(
        ctx.engine, _record, call_sid=form["CallSid"], queue=queue, language=language, result=outcome, waited=waited
    )
    return await _after_queue(ctx, form, outcome, language)


def _record(db, *, call_sid: str, queue: str, language: str, result: QueueResult, waited: int) -> None:
    db.add(QueueOutcome(call_sid=call_sid, queue=queue, language=language, result=result.value, wait_seconds=waited))


async def _after_queue(ctx: AppContext, form: dict[str, str], outcome: QueueResult, language: str) -> str:
    from ivr import calls

    store = SessionStore(ctx.redis, "call", 4 * 3600)
    session = await store.load(form["CallSid"])
    if outcome in (QueueResult.LEFT, QueueResult.QUEUE_FULL, QueueResult.ERROR):
        node = "voicemail_record" if session.pop("after_queue", None) == "voicemail" else "voicemail_offer"
        await store.save(form["CallSid"], session)
        return await calls.show(ctx, form, node)
    response = VoiceResponse()
    if outcome is QueueResult.ANSWERED:
        response.say(
            ctx.wording(language, "goodbye", city=ctx.settings.city_name),
            voice=ctx.settings.language(language).voice,
            language=language,
        )
    response.hangup()
    return str(response)
