"""Running one conversation step for any channel: the knowledge base, the step, and the effects it asks for."""

from __future__ import annotations

from crm_bridge import catalogue, intake
from crm_bridge.models import TicketCreate
from crm_bridge.service import IntakeError
from flows.context import FlowContext
from flows.conversation import Conversation
from flows.spoken_time import describe_hours
from flows.turns import Deps, EnterQueue, Input, LookupTicket, OpenTicket, SaveVoicemail, Turn
from queueing import admission
from surge.cache import texts


async def conversation(ctx: FlowContext) -> Conversation:
    """A conversation over the current knowledge base and configuration."""
    kb = await ctx.knowledge.get()
    on_air = await ctx.announcements.on_air()
    greeting = {lang.code: texts(on_air, "greeting", lang.code) for lang in ctx.settings.languages}
    deps = Deps(
        settings=ctx.settings,
        wording=ctx.wording,
        kb=kb,
        catalogue=catalogue.of(ctx),
        zone=ctx.settings.timezone,
        open_lines=_open_lines(ctx),
        announcements=lambda code: greeting[code],
        short_menu=any(row.short_menu for row in on_air),
    )
    return Conversation(deps)


def _open_lines(ctx: FlowContext):
    def lines(language: str) -> list[str]:
        state = ctx.calendar.state(ctx.now())
        if state.is_open:
            return []
        key = "closed_holiday" if state.holiday else "closed_now"
        hours = describe_hours(ctx.calendar, ctx.wording, language)
        return [ctx.wording(language, key, holiday=state.holiday), ctx.wording(language, "agent_hours", hours=hours)]

    return lines


async def start(ctx: FlowContext, session: dict) -> Turn:
    """The first turn of a conversation."""
    return (await conversation(ctx)).start(session)


async def render(ctx: FlowContext, session: dict, node: str) -> Turn:
    """The turn at node, as if arriving there (no input)."""
    conv = await conversation(ctx)
    return conv.show(session, node)


async def advance(ctx: FlowContext, session: dict, node: str, inp: Input, *, channel: str) -> Turn:
    """One step: the resident's input at node, then any ticket to open or look up, then what comes next."""
    conv = await conversation(ctx)
    turn = conv.advance(session, node, inp)
    if turn.effect is None:
        return turn
    result = await _perform(ctx, session, turn.effect, channel=channel)
    following = conv.resume(session, result)
    following.steps[:0] = turn.steps
    following.lines[:0] = turn.lines
    return following


async def _perform(ctx: FlowContext, session: dict, effect: object, *, channel: str):
    if isinstance(effect, OpenTicket):
        draft = effect.draft
        data = TicketCreate(
            service_code=draft.get("service", ""),
            address=draft.get("address", ""),
            description=draft.get("details", ""),
            recording_url=draft.get("recording"),
            phone=draft.get("phone"),
            notify_on_close=bool(draft.get("notify")) and bool(draft.get("phone")),
            attributes=draft.get("attrs", {}),
            language=session["lang"],
            channel=channel,
        )
        try:
            return await intake.submit(ctx, data)
        except IntakeError as exc:
            return exc
    if isinstance(effect, LookupTicket):
        return await intake.lookup(ctx, effect.number)
    if isinstance(effect, EnterQueue):
        return await admission.decide(ctx, effect.language)
    if isinstance(effect, SaveVoicemail):
        return await admission.save_voicemail(
            ctx, call_sid=session.get("call_sid", ""), caller=session.get("phone"), language=session["lang"],
            url=effect.recording_url,
        )
    raise TypeError(f"unknown effect {effect!r}")
