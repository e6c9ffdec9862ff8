"""Asking for a person: join the queue when agents can answer, otherwise leave a voice message for a call-back."""

from __future__ import annotations

from flows.engine import REGISTRY, At, Conversation
from flows.session import Session
from flows.turns import Action, EnterQueue, Input, InputKind, Outcome, SaveVoicemail, Step, Turn
from queueing.admission import Admission


@REGISTRY.action("agent", outcome=Outcome.AGENT, leads="a person: the queue for this language")
def do_agent(c: Conversation, s: Session, at: At, action: Action, inp: Input) -> Turn:
    """The resident wants a person: ask flows.effects whether they can join a queue now."""
    s.awaiting = "queue"
    return Turn(language=s.lang, node="main", effect=EnterQueue(s.lang))


@REGISTRY.resumes("queue")
def queue_decided(c: Conversation, s: Session, decision: Admission) -> Turn:
    """Into the queue, or why not and a voice message offered instead."""
    if decision.queue:
        turn = Turn(language=s.lang, node="queue", transfer=decision.queue)
        turn.lines.append((s.lang, c.w(s.lang, "agent_connecting")))
        return turn
    turn = c.show(s, "voicemail_offer")
    reason = "queue_busy" if decision.reason == "busy" else "agents_closed"
    turn.lines = [(s.lang, c.w(s.lang, reason))] + [(s.lang, line) for line in c.d.open_lines(s.lang)[1:]]
    return turn


@REGISTRY.node("voicemail_offer", menu="No person free")
def voicemail_offer(c: Conversation, s: Session, at: At) -> Turn:
    """Leave a voice message, the main menu, or goodbye."""
    return c.menu(s, "voicemail_offer")


@REGISTRY.node("voicemail_record", private=True, leads="a voice message")
def voicemail_record(c: Conversation, s: Session, at: At) -> Turn:
    """Record a voice message."""
    turn = Turn(language=s.lang, node="voicemail_record", expect="record")
    turn.prompt = [(s.lang, c.w(s.lang, "voicemail_prompt"))]
    return turn


@REGISTRY.hears("voicemail_record")
def hear_voicemail(c: Conversation, s: Session, at: At, inp: Input) -> Turn | None:
    """The recording arrived: keep it (an effect)."""
    if inp.kind is not InputKind.RECORDING:
        return None
    s.awaiting = "voicemail"
    return Turn(language=s.lang, node=at.node, effect=SaveVoicemail(inp.value))


@REGISTRY.resumes("voicemail")
def voicemail_saved(c: Conversation, s: Session, result: object) -> Turn:
    """Thanks and goodbye."""
    turn = Turn(language=s.lang, node="voicemail_record", end=True)
    turn.lines = [
        (s.lang, c.w(s.lang, "voicemail_thanks")),
        (s.lang, c.w(s.lang, "goodbye", city=c.d.settings.city_name)),
    ]
    turn.steps.append(Step("voicemail_record", Outcome.VOICEMAIL, InputKind.RECORDING))
    return turn
