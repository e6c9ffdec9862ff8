"""Running one conversation step for any channel: the knowledge base and menus, the step, the effects it asks for."""

from __future__ import annotations

from core import duty, version_stamp
from crm_bridge import catalogue
from flows import effects, steps  # noqa: F401  (importing steps registers every step and action)
from flows.capabilities import Capabilities
from flows.context import FlowContext
from flows.engine import REGISTRY, At, Conversation, Deps
from flows.menu_overrides import VERSION_KEY as MENUS_VERSION
from flows.menu_overrides import MenuCache
from flows.menus import Menus, parse_menus, read_document
from flows.session import Session
from flows.spoken_time import agent_hours_sentence
from flows.turns import Input, Turn
from flows.wording import Wording
from knowledge.base import VERSION_KEY as KNOWLEDGE_VERSION
from places.cache import VERSION_KEY as PLACES_VERSION
from places.cache import PlaceCache
from surge.cache import VERSION_KEY as SURGE_VERSION
from surge.cache import texts

STAMPS = [KNOWLEDGE_VERSION, MENUS_VERSION, SURGE_VERSION]
# Every Redis value conversation() reads, fetched by a webhook in one round trip before its route (core.prefetch).
EVERY_CONVERSATION_READS = [*STAMPS, PLACES_VERSION, duty.KEY]


def menus_for(settings, wording: Wording) -> Menus:
    """The city's menus file, checked against the registered steps and actions and the configured languages."""
    return menus_of(settings, wording, read_document(settings.menus_file))


def menus_of(settings, wording: Wording, document: dict, source: str | None = None) -> Menus:
    """A menus document (the file's, or one edited in the console) checked as the file is at start."""
    return parse_menus(
        document,
        source=source or settings.menus_file.name,
        registry=REGISTRY,
        languages=[language.code for language in settings.languages],
        wording=wording,
    )


def menu_cache(ctx: FlowContext) -> MenuCache:
    """This process's menus: the file's, or the newest version edited in the console (flows.menu_overrides)."""
    return ctx.memo(
        "flows.menus",
        lambda: MenuCache(ctx.engine, ctx.redis, file_menus=ctx.menus,
                          build=lambda document: menus_of(ctx.settings, ctx.wording, document, "console menus")),
    )


def place_cache(ctx: FlowContext) -> PlaceCache:
    """This process's copy of the city's map (reloaded after `run.py places import`)."""
    return ctx.memo("places.map", lambda: PlaceCache(ctx.settings, ctx.engine, ctx.redis))


async def conversation(ctx: FlowContext, caps: Capabilities) -> Conversation:
    """A conversation over the current knowledge base, menus and surge messages, for one channel."""
    # Their three version stamps in one round trip; each cache reloads only when its own has moved on.
    kb_stamp, menus_stamp, surge_stamp = await version_stamp.read_many(ctx.redis, STAMPS)
    kb = await ctx.knowledge.get(kb_stamp)
    menus = await menu_cache(ctx).get(menus_stamp)
    await duty.refresh(ctx.calendar, ctx.redis, dev_mode=ctx.settings.dev_mode)
    on_air = await ctx.announcements.on_air(surge_stamp)
    greeting = {lang.code: texts(on_air, "greeting", lang.code) for lang in ctx.settings.languages}
    places = await place_cache(ctx).get()
    deps = Deps(
        settings=ctx.settings,
        wording=ctx.wording,
        kb=kb,
        menus=menus,
        caps=caps,
        catalogue=catalogue.of(ctx),
        emergency=ctx.emergency,
        zone=ctx.settings.timezone,
        open_lines=_open_lines(ctx),
        announcements=lambda code: greeting[code],
        short_menu=any(row.short_menu for row in on_air),
        places=places,
        now=ctx.now,
    )
    return Conversation(deps)


def _open_lines(ctx: FlowContext):
    def lines(language: str) -> list[str]:
        now = ctx.now()
        state = ctx.calendar.state(now)
        if state.is_open:
            return []
        hours = agent_hours_sentence(ctx.calendar, ctx.wording, language, "agent_hours")
        if state.closure is not None:  # a supervisor's "close now": the reason they gave, in the caller's language
            return [ctx.wording(language, "closed_now"), state.closure.said(language), hours]
        added = ctx.calendar.added_holiday(ctx.calendar.local(now).date())
        holiday = added.said(language) if added is not None else state.holiday
        key = "closed_holiday" if holiday else "closed_now"
        return [ctx.wording(language, key, holiday=holiday), hours]

    return lines


async def start(ctx: FlowContext, s: Session, caps: Capabilities) -> Turn:
    """The first turn of a conversation."""
    return (await conversation(ctx, caps)).start(s)


async def render(ctx: FlowContext, s: Session, node: str, caps: Capabilities) -> Turn:
    """The turn at node, as if arriving there (no input), with any effect arriving there asks for."""
    conv = await conversation(ctx, caps)
    return await _settle(ctx, conv, s, conv.show(s, node))


async def advance(ctx: FlowContext, s: Session, node: str, inp: Input, caps: Capabilities) -> Turn:
    """One step: the resident's input at node, then any effect it asked for, then what comes next."""
    conv = await conversation(ctx, caps)
    return await _settle(ctx, conv, s, conv.advance(s, node, inp))


def flow_of(node: str | None) -> str | None:
    """The flow a step belongs to when it is one a lost session starts over ("report"), else None."""
    return REGISTRY.restarts.get(node.partition(":")[0]) if node else None


async def recover(ctx: FlowContext, s: Session, node: str, inp: Input, caps: Capabilities) -> Turn:
    """`advance` for a conversation whose session was lost mid-flow: the resident is told and the flow starts over."""
    conv = await conversation(ctx, caps)
    return await _settle(ctx, conv, s, conv.recover(s, node, inp))


async def ask(ctx: FlowContext, s: Session, inp: Input, caps: Capabilities) -> Turn:
    """A question in the resident's own words, outside any menu (a text message): the one answer path."""
    conv = await conversation(ctx, caps)
    return await _settle(ctx, conv, s, conv.run("question", s, At("ask"), inp))


async def begin(ctx: FlowContext, s: Session, action: str, caps: Capabilities, arg: str = "") -> Turn:
    """Start a part of the conversation by its action's name ("report", "check"), as a text keyword does."""
    conv = await conversation(ctx, caps)
    return await _settle(ctx, conv, s, conv.run(action, s, At("main"), Input.none(), arg))


MAX_EFFECTS = 3  # effects one input may chain (book a call-back, then text its confirmation)


async def _settle(ctx: FlowContext, conv: Conversation, s: Session, turn: Turn) -> Turn:
    for _ in range(MAX_EFFECTS):
        if turn.effect is None:
            return turn
        result = await effects.perform(ctx, s, turn.effect, channel=conv.caps.channel)
        following = conv.resume(s, result)
        following.steps[:0] = turn.steps
        following.lines[:0] = turn.lines
        turn = following
    turn.effect = None  # never an effect left unsettled: the turn is said as it stands
    return turn
