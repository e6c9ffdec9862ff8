"""A caller waiting for a person, as TwiML: the wait document on every poll, keys pressed, leaving the queue."""

from __future__ import annotations

from urllib.parse import urlencode

from twilio.twiml.voice_response import Gather, VoiceResponse

from callbacks.limits import RequestCounters
from callbacks.models import CallbackKind, CallbackSource
from core import text_rules, threads
from core.defaults import SPOKEN_FEW_SECONDS
from core.phones import normalize
from core.twilio_fields import queue_figure, seconds
from flows.context import FlowContext
from flows.session import CallbackDraft
from ivr import calls
from queueing import waiting
from queueing.estimator import SpokenKind, SpokenWait
from queueing.models import QueueResult


async def wait(ctx: FlowContext, form: dict[str, str], *, queue: str, language: str) -> str:
    """The TwiML played while waiting: position (not at the head of the line), estimate, message, offers."""
    session = await calls.store(ctx).load(form["CallSid"])
    poll = waiting.Poll(
        call_sid=form["CallSid"],
        queue=queue,
        waited=seconds(form.get("QueueTime")) or 0,
        position=queue_figure(form.get("QueuePosition")) or 1,  # 1 at the head of the line
        size=queue_figure(form.get("CurrentQueueSize")),
    )
    meta = {"language": session.lang if session else "", "topic": (session.article if session else None) or ""}
    news = await waiting.poll(ctx, poll, meta=meta)
    w = ctx.wording
    lines = [] if news.position == 1 else [w(language, "queue_position", position=news.position)]
    lines.append(_wait_words(ctx, language, news.said))  # the words queueing records as told
    lines += await ctx.announcements.lines("queue", language)
    lines += [w(language, "queue_offer_callback"), w(language, "queue_offer_voicemail")]
    return _wait_twiml(ctx, lines, queue=queue, language=language)


def _wait_words(ctx: FlowContext, language: str, said: SpokenWait) -> str:
    """The sentence that tells the caller their wait."""
    w = ctx.wording
    if said.kind is SpokenKind.SECONDS:
        if said.number == SPOKEN_FEW_SECONDS:
            return w(language, "queue_wait_few_seconds")
        return w(language, "queue_wait_about_seconds", seconds=said.number)
    if said.kind is SpokenKind.ABOUT:
        if said.number == 1:
            return w(language, "queue_wait_about_a_minute")
        return w(language, "queue_wait_about_minutes", minutes=said.number)
    if said.kind is SpokenKind.RANGE:
        if said.low == 0:
            return w(language, "queue_wait_up_to", high=said.high)
        return w(language, "queue_wait_range", low=said.low, high=said.high)
    return w(language, "queue_wait_short")


def _wait_twiml(ctx: FlowContext, lines: list[str], *, queue: str, language: str) -> str:
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
    return text_rules.xml_document(response)


async def keys(ctx: FlowContext, form: dict[str, str], *, queue: str, language: str) -> str:
    """A key pressed while waiting: 1 keeps the caller's place for a call-back, 2 chooses a time for one, 3 leaves a
    voice message; each leaves the queue (<Leave>) and the queue result shows the step that follows."""
    response = VoiceResponse()
    query = urlencode({"lang": language, "queue": queue})
    digits = form.get("Digits")
    if digits in ("1", "2") and (full := await _callbacks_full(ctx, form)) is not None:
        # Checked before <Leave>: a caller who cannot have a call-back keeps their place in line.
        voice = ctx.settings.language(language).voice
        for key in (f"callback_{full}", "queue_place_kept"):
            response.say(ctx.wording(language, key), voice=voice, language=language)
    elif digits in ("1", "2", "3"):
        session = await calls.store(ctx).load(form["CallSid"]) or calls.new_session(ctx, form)
        session.after_queue = "voicemail" if digits == "3" else "callback"
        if digits != "3":
            # Keep my place keeps the time the caller first joined the line (Twilio's QueueTime, else our record).
            waited = form.get("QueueTime", "")
            joined = await waiting.joined_at(
                ctx, queue=queue, call_sid=form["CallSid"], waited=int(waited) if waited.isdigit() else None
            )
            kind = CallbackKind.KEEP_PLACE if digits == "1" else CallbackKind.SCHEDULED
            session.callback = CallbackDraft(
                kind=kind, source=CallbackSource.QUEUE, joined_at=joined, topic=session.article
            )
        await calls.store(ctx).save(form["CallSid"], session)
        response.leave()
        return text_rules.xml_document(response)
    response.redirect(f"/voice/queue/wait?{query}", method="POST")
    return text_rules.xml_document(response)


async def _callbacks_full(ctx: FlowContext, form: dict[str, str]) -> str | None:
    counters = RequestCounters(ctx.sync_redis, ctx.settings.callbacks)
    return await threads.run(counters.full, normalize(form.get("From", "")) or "", ctx.now())


async def result(ctx: FlowContext, form: dict[str, str], *, queue: str, language: str) -> str:
    """The caller left the queue: record how, then offer a voice message or say goodbye."""
    outcome = await waiting.left(
        ctx,
        call_sid=form["CallSid"],
        queue=queue,
        language=language,
        twilio_result=form.get("QueueResult", ""),
        waited=seconds(form.get("QueueTime")) or 0,
    )
    if outcome in (QueueResult.LEFT, QueueResult.QUEUE_FULL, QueueResult.ERROR):
        session = await calls.store(ctx).load(form["CallSid"]) or calls.new_session(ctx, form)
        after = {"voicemail": "voicemail_record", "callback": "callback_start"}
        node = after.get(session.after_queue or "", "voicemail_offer")
        session.after_queue = None
        await calls.store(ctx).save(form["CallSid"], session)
        return await calls.show(ctx, form, node)
    response = VoiceResponse()
    if outcome is QueueResult.ANSWERED:
        response.say(
            ctx.wording(language, "goodbye", city=ctx.settings.city_name),
            voice=ctx.settings.language(language).voice,
            language=language,
        )
    response.hangup()
    return text_rules.xml_document(response)
