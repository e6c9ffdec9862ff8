"""The resident's last confirmed address, offered again (masked) on their next call or text from the same number;
kept only when they say yes (asked once), forgotten on request (an option here, FORGET ADDRESS by text).
What is kept, and for how long, is places.remembered's; the effects are carried out by flows.effects."""

from __future__ import annotations

from flows.engine import REGISTRY, At, Conversation
from flows.session import Session
from flows.steps.reporting import place_note
from flows.steps.yes_no import spoken
from flows.turns import Action, ForgetAddress, Input, KeepAddress, Option, Turn
from places.matching import MatchKind
from places.remembered import Remembered


def masked(spoken_address: str) -> str:
    """'1205 North Main Street, Apt 2' → '1205 North Main…': enough to recognise, not the whole address."""
    street = spoken_address.split(",")[0].split()
    return " ".join(street[:-1] if len(street) > 2 else street) + "…"


@REGISTRY.resumes("recall")
def recalled(c: Conversation, s: Session, found: Remembered | None) -> Turn:
    """Offer the address kept from last time, when it is still on the map; else ask for it."""
    if s.asking is None:
        return c.show(s, "main")
    s.asking.offer_to_remember = found is None
    if found is not None and found.label and c.d.places is not None:
        match = c.d.places.match(found.label)
        if match.kind is MatchKind.FOUND:
            s.asking.point, s.asking.recalled = place_note(match.best), True
            return c.show(s, "address_remembered")
    return c.show(s, "report_location")


@REGISTRY.node("address_remembered", private=True,
               needs=lambda s: s.asking is not None and s.asking.recalled and s.asking.point is not None)
def address_remembered(c: Conversation, s: Session, at: At) -> Turn:
    """"Is it still the address at 1205 North Main…?": yes, another address, or forget it."""
    prompt = c.w(s.lang, "address_remembered_prompt", address=masked(s.asking.point.spoken))
    options = [
        c.option(s.lang, "1", "yes", Action("report.loc_ok")),
        Option("2", Action("address.other"), c.w(s.lang, "opt_other_address"), spoken(c, s.lang, "no")),
        Option("3", Action("address.forget"), c.w(s.lang, "opt_forget_address")),
    ]
    return c.build(s.lang, "address_remembered", [prompt], options)


@REGISTRY.action("address.other")
def do_other(c: Conversation, s: Session, at: At, action: Action, inp: Input) -> Turn:
    """Another address this time (the one kept stays kept)."""
    if s.asking is not None:
        s.asking.point, s.asking.recalled = None, False
    return c.show(s, "report_location")


@REGISTRY.action("address.forget", leads="forgets the address remembered for this number")
def do_forget(c: Conversation, s: Session, at: At, action: Action, inp: Input) -> Turn:
    """Forget the address kept for this number."""
    if s.asking is not None:  # forgotten: whether to remember the next one is theirs to say again
        s.asking.point, s.asking.recalled, s.asking.offer_to_remember = None, False, True
    s.awaiting = "forget_address"
    return Turn(language=s.lang, node=at.node, effect=ForgetAddress())


@REGISTRY.resumes("forget_address")
def forgotten(c: Conversation, s: Session, had: bool) -> Turn:
    """Say it is forgotten; then the address for this answer, if one was being asked for."""
    turn = c.show(s, "report_location" if s.asking is not None else "main")
    turn.lines.insert(0, (s.lang, c.w(s.lang, "address_forgotten" if had else "address_none_kept")))
    return turn


@REGISTRY.node("address_remember_offer", needs=lambda s: bool(s.to_remember))
def address_remember_offer(c: Conversation, s: Session, at: At) -> Turn:
    """Shall we remember this address for next time?"""
    options = [
        Option("1", Action("address.remember", "yes"), c.w(s.lang, "opt_remember_yes"), spoken(c, s.lang, "yes")),
        Option("2", Action("address.remember", "no"), c.w(s.lang, "opt_remember_no"), spoken(c, s.lang, "no")),
    ]
    return c.build(s.lang, "address_remember_offer", [c.say(s, "address_remember_prompt")], options)


@REGISTRY.action("address.remember")
def do_remember(c: Conversation, s: Session, at: At, action: Action, inp: Input) -> Turn:
    """Yes: keep the point for next time; no: keep only that they said no, so they are not asked again."""
    label, s.to_remember = (s.to_remember if action.arg == "yes" else None), None
    s.awaiting = "keep_address"
    return Turn(language=s.lang, node="after", effect=KeepAddress(label))


@REGISTRY.resumes("keep_address")
def kept(c: Conversation, s: Session, label: str | None) -> Turn:
    """Say what was kept (the label, when it was), and how to have it forgotten."""
    turn = c.show(s, "after")
    turn.lines.insert(0, (s.lang, c.say(s, "address_kept" if label else "address_not_kept")))
    return turn
