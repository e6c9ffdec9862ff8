"""A call-back's call as TwiML: what the resident hears when they (or a machine) answer, putting them through to the
next agent by the call-back queue, the hold while they wait, and what Twilio reports when the call ends.

The call was created by outreach.callback_dispatch with `/voice/callback/answer?callback=ID&attempt=N` as its URL and
`/voice/callback/status?...` as its status callback; every URL here carries the same two numbers, so a late webhook
of an earlier attempt changes nothing.
"""

from __future__ import annotations

from urllib.parse import urlencode

from twilio.twiml.voice_response import Gather, VoiceResponse

from core import text_rules
from crm_bridge import ticket_numbers
from flows.context import FlowContext
from outreach import callback_dispatch
from outreach.callback_dispatch import CallbackView
from queueing import waiting
from queueing.models import QueueResult

MAX_PROMPTS = 2  # "press 1 to be connected", said twice before we hang up and try again later


def _machine(answered_by: str) -> bool:
    # Twilio's AnsweredBy: human, unknown, fax, machine_start (and machine_end_* with DetectMessageEnd).
    return answered_by.startswith("machine") or answered_by == "fax"


def _query(callback_id: int, attempt: int, **more) -> str:
    return urlencode({"callback": callback_id, "attempt": attempt, **more})


async def answer(ctx: FlowContext, form: dict[str, str], *, callback_id: int, attempt: int) -> str:
    """The call was answered: a machine hears a short message with nothing personal; a person hears who is calling
    about what, and presses 1 to be put through."""
    machine = _machine(form.get("AnsweredBy", ""))
    view = await callback_dispatch.answered(ctx, callback_id=callback_id, attempt=attempt, human=not machine)
    if view is None:
        return _goodbye(ctx, ctx.settings.default_language.code, "callback_not_needed")
    if machine:
        return _goodbye(ctx, view.language, "callback_machine")
    return await _offer(ctx, view, attempt=attempt, tries=1)


async def connect(ctx: FlowContext, form: dict[str, str], *, callback_id: int, attempt: int, tries: int) -> str:
    """The resident's key: 1 puts them through (the call-back queue, which agents take in join order); none asks
    again, then hangs up to try later."""
    view = await callback_dispatch.current(ctx, callback_id=callback_id, attempt=attempt)
    if view is None:
        return _goodbye(ctx, ctx.settings.default_language.code, "callback_not_needed")
    if form.get("Digits") == "1":
        return _enqueue(ctx, view, attempt)
    if tries < MAX_PROMPTS:
        return await _offer(ctx, view, attempt=attempt, tries=tries + 1)
    await callback_dispatch.missed(ctx, callback_id=callback_id, attempt=attempt)
    return _goodbye(ctx, view.language, "callback_no_key")


async def _offer(ctx: FlowContext, view: CallbackView, *, attempt: int, tries: int) -> str:
    language = ctx.settings.language(view.language)
    city = ctx.settings.city_name
    if view.topic and (article := (await ctx.knowledge.get()).article(language.code, view.topic)):
        line = ctx.wording(language.code, "callback_greeting", city=city, topic=article.title)
    elif view.ticket_number:
        number = ticket_numbers.spoken(view.ticket_number)
        line = ctx.wording(language.code, "callback_greeting_ticket", city=city, number=number)
    else:
        line = ctx.wording(language.code, "callback_greeting_plain", city=city)
    action = f"/voice/callback/connect?{_query(view.id, attempt, tries=tries)}"
    response = VoiceResponse()
    gather = Gather(input="dtmf", num_digits=1, action=action, method="POST", timeout=ctx.settings.gather_timeout)
    gather.say(line, voice=language.voice, language=language.code)
    response.append(gather)
    response.redirect(action, method="POST")  # no key: the same URL without Digits
    return text_rules.xml_document(response)


def _enqueue(ctx: FlowContext, view: CallbackView, attempt: int) -> str:
    language = ctx.settings.language(view.language)
    query = _query(view.id, attempt, lang=language.code)
    response = VoiceResponse()
    response.say(ctx.wording(language.code, "callback_connecting"), voice=language.voice, language=language.code)
    response.enqueue(
        ctx.settings.queue.callback_queue,
        wait_url=f"/voice/callback/wait?{query}",
        wait_url_method="POST",
        action=f"/voice/callback/queued?{query}",
        method="POST",
    )
    return text_rules.xml_document(response)


async def wait(ctx: FlowContext, form: dict[str, str], *, callback_id: int, attempt: int) -> str:
    """Holding for the next agent: counted into the call-back queue at its place in the one line (its resident's first
    join, or the time they chose), with what the agent's briefing reads."""
    view = await callback_dispatch.current(ctx, callback_id=callback_id, attempt=attempt)
    response = VoiceResponse()
    language = ctx.settings.language(view.language if view else None)
    if view is not None:
        now = ctx.now()
        poll = waiting.Poll(
            call_sid=form["CallSid"],
            queue=ctx.settings.queue.callback_queue,
            waited=max(0, int((now - view.entitled_at).total_seconds())),
            position=max(1, int(position)) if (position := form.get("QueuePosition", "")).isdigit() else 1,
        )
        await waiting.poll(ctx, poll, meta=await callback_dispatch.briefing(ctx, view))
    response.say(ctx.wording(language.code, "callback_hold"), voice=language.voice, language=language.code)
    if ctx.settings.queue.hold_music:
        response.play(ctx.settings.queue.hold_music)
    else:
        response.pause(length=ctx.settings.queue.offer_every)
    return text_rules.xml_document(response)


async def queued(ctx: FlowContext, form: dict[str, str], *, callback_id: int, attempt: int, language: str) -> str:
    """The resident left the call-back queue: put through (done), or they hung up while waiting."""
    waited = form.get("QueueTime", "")
    outcome = await waiting.left(
        ctx,
        call_sid=form["CallSid"],
        queue=ctx.settings.queue.callback_queue,
        language=language,
        twilio_result=form.get("QueueResult", ""),
        waited=int(waited) if waited.isdigit() else 0,
    )
    if outcome is QueueResult.ANSWERED:
        await callback_dispatch.bridged(ctx, call_sid=form["CallSid"])
        return _goodbye(ctx, language, "goodbye")
    response = VoiceResponse()
    response.hangup()
    return text_rules.xml_document(response)


async def status(ctx: FlowContext, form: dict[str, str], *, callback_id: int, attempt: int) -> None:
    """Twilio's status callback: the attempt's call ended (completed, busy, no-answer, failed or canceled)."""
    await callback_dispatch.ended(ctx, callback_id=callback_id, attempt=attempt,
                                  call_status=form.get("CallStatus", ""))


def whisper(ctx: FlowContext, meta: dict[str, str], *, language: str, topic: str) -> str:
    """What the agent hears before a call-back is put through: that it is one, its language and topic, and the
    request it is about with that request's status."""
    staff = ctx.settings.default_language.code
    line = ctx.wording(staff, "agent_next_callback", language=language, topic=topic)
    if meta.get("ticket"):
        key = f"status_{meta.get('ticket_status')}"
        status = ctx.wording(staff, key) if ctx.wording.has(staff, key) else ctx.wording(staff, "agent_no_topic")
        line += " " + ctx.wording(staff, "agent_callback_ticket", number=ticket_numbers.spoken(meta["ticket"]),
                                  status=status)
    return line


def _goodbye(ctx: FlowContext, language: str, key: str) -> str:
    spoken = ctx.settings.language(language)
    response = VoiceResponse()
    response.say(ctx.wording(spoken.code, key, city=ctx.settings.city_name), voice=spoken.voice,
                 language=spoken.code)
    response.hangup()
    return text_rules.xml_document(response)
