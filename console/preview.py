"""What callers hear: the start of a new call and the waiting message as they are now, and a draft message in place."""

from __future__ import annotations

from dataclasses import dataclass, field

from flows import runner
from flows.capabilities import VOICE
from flows.context import FlowContext
from flows.session import Session
from surge.models import Scope

Line = tuple[str, str]  # (language, sentence)


@dataclass
class Heard:
    """One language's view: the start of a call, the wait in line, and the end of a text reply."""

    language: str
    name: str
    call_start: list[Line] = field(default_factory=list)
    waiting: list[Line] = field(default_factory=list)
    text_footer: str = ""


async def now(ctx: FlowContext) -> list[Heard]:
    """What a caller hears now, per language, read through the same cache every call reads (so on the next call)."""
    default = ctx.settings.default_language.code
    welcome = await runner.start(ctx, Session(lang=default, channel="voice"), VOICE)
    heard = []
    for language in ctx.settings.languages:
        code = language.code
        queue = await ctx.announcements.lines(Scope.QUEUE, code)
        footer = await ctx.announcements.lines(Scope.SMS, code)
        heard.append(
            Heard(
                language=code,
                name=language.name,
                call_start=[*welcome.lines, *welcome.prompt] if code == default else [],
                waiting=[(code, _wait(ctx, code)), *((code, text) for text in queue), (code, _offers(ctx, code))],
                text_footer=" ".join([*footer, ctx.wording(code, "sms_footer")]),
            )
        )
    return heard


def draft(ctx: FlowContext, scope: Scope, texts: dict[str, str]) -> list[Heard]:
    """Where a draft message would be heard, per language it has a text for, with the words around it."""
    default = ctx.settings.default_language.code
    greeting = ctx.wording(default, "greeting", city=ctx.settings.city_name)
    heard = []
    for language in ctx.settings.languages:
        code = language.code
        if code not in texts:
            continue
        one = Heard(language=code, name=language.name)
        if scope is Scope.GREETING:
            one.call_start = [(code, texts[code]), (default, greeting)]
        elif scope is Scope.QUEUE:
            one.waiting = [(code, _wait(ctx, code)), (code, texts[code]), (code, _offers(ctx, code))]
        else:
            one.text_footer = f"… {texts[code]} {ctx.wording(code, 'sms_footer')}"
        heard.append(one)
    return heard


def _wait(ctx: FlowContext, code: str) -> str:
    # A typical caller's words before the message: second in line, a few minutes to wait.
    position = ctx.wording(code, "queue_position", position=2)
    return f"{position} {ctx.wording(code, 'queue_wait_range', low=3, high=5)}"


def _offers(ctx: FlowContext, code: str) -> str:
    return f"{ctx.wording(code, 'queue_offer_callback')} {ctx.wording(code, 'queue_offer_voicemail')}"
