"""Asking for a call-back: keep my place (from the queue) or a time I choose (from the queue, the menu when agents are
off duty, a text, or a request just checked); the number to call; a text to confirm; then booking it.
"""

from __future__ import annotations

import datetime as dt

from callbacks.models import CallbackKind, CallbackSource
from core import clock
from core.phones import display, outbound_refusal
from flows.engine import REGISTRY, At, Conversation
from flows.session import CallbackDraft, Session
from flows.spoken_time import spoken_when
from flows.steps.phone_entry import keyed_number, number_prompt
from flows.steps.questions import send_text
from flows.steps.yes_no import spoken, yes_no
from flows.turns import (
    Action,
    BookCallback,
    BookingResult,
    CallbackBooking,
    CallbackCancelled,
    CancelCallback,
    CancelResult,
    FindSlots,
    Input,
    Option,
    SendText,
    SlotOffer,
    Turn,
    goto,
)

KEEP_PLACE = CallbackKind.KEEP_PLACE


def _drafting(s: Session) -> bool:
    return s.callback is not None


def start(c: Conversation, s: Session, draft: CallbackDraft) -> Turn:
    """Begin asking for a call-back: a chosen time first looks for free times, a kept place asks for the number."""
    s.callback = draft
    return c.show(s, "callback_start")


@REGISTRY.action("callback_time", leads="choosing a time to be called back")
def do_callback_time(c: Conversation, s: Session, at: At, action: Action, inp: Input) -> Turn:
    """Choose a time for us to call back."""
    source = action.arg or CallbackSource.MENU
    return start(c, s, CallbackDraft(kind=CallbackKind.SCHEDULED, source=source, topic=s.article))


@REGISTRY.action("callback_ticket", leads="a call-back about the request")
def do_callback_ticket(c: Conversation, s: Session, at: At, action: Action, inp: Input) -> Turn:
    """Have someone call about the request just checked (the agent is told the request and its status)."""
    if not s.checked:
        return c.show(s, "main")
    draft = CallbackDraft(kind=CallbackKind.SCHEDULED, source=CallbackSource.TICKET,
                          ticket_number=s.checked)
    return start(c, s, draft)


@REGISTRY.node("callback_start", needs=_drafting)
def callback_start(c: Conversation, s: Session, at: At) -> Turn:
    """A kept place goes to the number; a chosen time asks flows.effects for the free times first."""
    if s.callback.kind == KEEP_PLACE:
        turn = _to_number(c, s)
        turn.lines.insert(0, (s.lang, c.say(s, "callback_keep_intro")))
        return turn
    s.awaiting = "callback_slots"
    return Turn(language=s.lang, node="callback_start", effect=FindSlots(s.callback.ticket_number))


@REGISTRY.resumes("callback_slots")
def slots_found(c: Conversation, s: Session, offer: SlotOffer) -> Turn:
    """The free times to choose from, or why there are none (or no such request)."""
    if offer.ticket_found is False:
        number = s.callback.ticket_number or ""
        return _give_up(c, s, c.w(s.lang, "ticket_not_found", number=c.say_number(number)))
    if not offer.slots:
        return _give_up(c, s, c.say(s, "callback_no_slots", days=c.d.settings.callbacks.days_ahead))
    s.callback.slots = list(offer.slots)
    return c.show(s, "callback_slots")


@REGISTRY.node("callback_slots", needs=lambda s: s.callback is not None and bool(s.callback.slots))
def callback_slots(c: Conversation, s: Session, at: At) -> Turn:
    """The free times, each with its key: "Tomorrow at 9 a.m., press 1." (a numbered list by text)."""
    now = clock.now()
    options = [
        Option(str(i), Action("callback.slot", slot.isoformat()), _when(c, s, slot, now), (), "slot_option")
        for i, slot in enumerate(s.callback.slots, start=1)
    ]
    options.append(c.option(s.lang, "*", "back", goto("main"), "press_option"))
    return c.build(s.lang, "callback_slots", [c.say(s, "callback_slots_prompt")], options, label="slot_option")


@REGISTRY.action("callback.slot")
def do_slot(c: Conversation, s: Session, at: At, action: Action, inp: Input) -> Turn:
    """A time chosen from those offered."""
    s.callback.due_at = dt.datetime.fromisoformat(action.arg)
    return _to_number(c, s)


# ----- the number to call


def _to_number(c: Conversation, s: Session) -> Turn:
    if not c.caps.asks_callback_number:  # a text comes from the resident's own number: that is the one we call
        s.callback.phone, s.callback.text_updates = s.phone, True
        return _book(c, s)
    if s.phone and _refused(c, s.phone) is None:
        return c.show(s, "callback_number")
    return c.show(s, "callback_number_entry")


def _refused(c: Conversation, phone: str):
    return outbound_refusal(phone, c.d.settings.outbound.countries)


@REGISTRY.node("callback_number", needs=_drafting)
def callback_number(c: Conversation, s: Session, at: At) -> Turn:
    """Call back the number calling (its last four digits read), or another one."""
    last4 = " ".join((s.phone or "")[-4:])
    yes_words = spoken(c, s.lang, "yes")
    options = [
        Option("1", Action("callback.phone_yes"), c.w(s.lang, "opt_yes_number"), yes_words),
        Option("2", Action("callback.phone_other"), c.w(s.lang, "opt_other_number")),
    ]
    return c.build(s.lang, "callback_number", [c.w(s.lang, "callback_number_prompt", last4=last4)], options)


@REGISTRY.action("callback.phone_yes")
def do_phone_yes(c: Conversation, s: Session, at: At, action: Action, inp: Input) -> Turn:
    """Call back the number calling."""
    s.callback.phone = s.phone
    return c.show(s, "callback_texts")


@REGISTRY.action("callback.phone_other")
def do_phone_other(c: Conversation, s: Session, at: At, action: Action, inp: Input) -> Turn:
    """Key in another number."""
    return c.show(s, "callback_number_entry")


@REGISTRY.node("callback_number_entry", needs=_drafting, private=True)
def callback_number_entry(c: Conversation, s: Session, at: At) -> Turn:
    """Key in the number to call."""
    return number_prompt(c, s, "callback_number_entry")


@REGISTRY.hears("callback_number_entry")
def hear_number(c: Conversation, s: Session, at: At, inp: Input) -> Turn | None:
    """A keyed number: read back when it is an ordinary line we may call, asked again (saying why) otherwise."""
    phone, again = keyed_number(c, s, inp, "callback_number_entry")
    if phone is None:
        return again
    s.callback.phone = phone
    return c.show(s, "callback_number_confirm")


@REGISTRY.node("callback_number_confirm", needs=lambda s: s.callback is not None and bool(s.callback.phone))
def callback_number_confirm(c: Conversation, s: Session, at: At) -> Turn:
    """Read the keyed number back: right, or key it again."""
    prompt = c.w(s.lang, "callback_number_heard", number=spoken_phone(s.callback.phone))
    options = [
        c.option(s.lang, "1", "yes", Action("callback.number_ok")),
        Option("2", Action("callback.phone_other"), c.w(s.lang, "opt_enter_again")),
    ]
    return c.build(s.lang, "callback_number_confirm", [prompt], options)


@REGISTRY.action("callback.number_ok")
def do_number_ok(c: Conversation, s: Session, at: At, action: Action, inp: Input) -> Turn:
    """The keyed number is right: the caller's own goes on to the confirming text; another number's owner is asked."""
    if s.callback.phone != s.phone:
        s.callback.text_updates = False  # the owner is texted to confirm, not the caller
        return _book(c, s)
    return c.show(s, "callback_texts")


def spoken_phone(phone: str) -> str:
    """A number read back digit by digit in its groups: "3 1 2, 5 5 5, 0 1 4 8"."""
    shown = display(phone).lstrip("+")
    return ", ".join(" ".join(group) for group in shown.split("-"))


# ----- a text to confirm, then booking


@REGISTRY.node("callback_texts", needs=lambda s: s.callback is not None and bool(s.callback.phone))
def callback_texts(c: Conversation, s: Session, at: At) -> Turn:
    """A text confirming it, with how to cancel or move it?"""
    options = yes_no(c, s.lang, "callback.texts")
    return c.build(s.lang, "callback_texts", [c.w(s.lang, "callback_texts_prompt")], options)


@REGISTRY.action("callback.texts")
def do_texts(c: Conversation, s: Session, at: At, action: Action, inp: Input) -> Turn:
    """Yes or no to the confirmation text; then book it."""
    s.callback.text_updates = action.arg == "yes"
    return _book(c, s)


def _book(c: Conversation, s: Session) -> Turn:
    s.awaiting = "callback"
    draft = s.callback.model_copy(deep=True)
    return Turn(language=s.lang, node="callback_texts", effect=BookCallback(draft))


@REGISTRY.resumes("callback")
def booked(c: Conversation, s: Session, result: CallbackBooking) -> Turn:
    """It is booked (or the earlier one changed): when we will call, how to cancel; or why not."""
    draft = s.callback
    if result.status == BookingResult.OWNER_ASKED:  # another line's number: one sentence that reveals nothing about it
        s.callback = None
        turn = c.show(s, "callback_done")
        turn.lines.insert(0, (s.lang, c.say(s, "callback_owner_asked")))
        return turn
    if result.status == BookingResult.SLOT_TAKEN:
        draft.slots, draft.due_at = [], None
        turn = c.show(s, "callback_start")
        turn.lines.insert(0, (s.lang, c.say(s, "callback_slot_taken")))
        return turn
    if result.status == BookingResult.NOT_ALLOWED and c.caps.asks_callback_number:
        turn = c.show(s, "callback_number_entry")
        turn.lines.insert(0, (s.lang, c.w(s.lang, "number_not_allowed")))
        return turn
    if result.status not in (BookingResult.BOOKED, BookingResult.UPDATED):
        key = f"callback_{result.status}"
        return _give_up(c, s, c.say(s, key))
    lines = [c.say(s, "callback_updated")] if result.status == BookingResult.UPDATED else []
    lines.append(_booked_line(c, s, draft, printed=not c.caps.asks_callback_number))
    lines.append(c.say(s, "callback_how_to_change"))
    s.callback = None
    if draft.text_updates and c.caps.asks_callback_number:
        body = " ".join([c.w(s.lang, "callback_text_prefix", city=c.d.settings.city_name),
                         _booked_line(c, s, draft, printed=True), c.w(s.lang, "callback_how_to_change_sms")])
        effect = SendText(body, "callback", then="callback_done", sent_line="callback_text_sent", to=draft.phone)
        turn = send_text(s, effect)
    else:
        turn = c.show(s, "callback_done")
    turn.lines[:0] = [(s.lang, line) for line in lines]
    return turn


def _booked_line(c: Conversation, s: Session, draft: CallbackDraft, *, printed: bool) -> str:
    number = display(draft.phone or "") if printed else " ".join((draft.phone or "")[-4:])
    key = "callback_booked_place" if draft.kind == KEEP_PLACE else "callback_booked_time"
    key += "_sms" if printed else ""
    when = _when(c, s, draft.due_at, clock.now()) if draft.due_at else ""
    return c.w(s.lang, key, when=when, number=number)


def _when(c: Conversation, s: Session, when: dt.datetime, now: dt.datetime) -> str:
    return spoken_when(when, now, c.d.zone or c.d.settings.timezone, c.w, s.lang)


@REGISTRY.node("callback_done")
def callback_done(c: Conversation, s: Session, at: At) -> Turn:
    """The end: on the phone the call ends (a kept place needs nobody on the line)."""
    turn = Turn(language=s.lang, node="callback_done", end=True)
    turn.lines = [(s.lang, c.say(s, "callback_goodbye", city=c.d.settings.city_name))]
    return turn


def _give_up(c: Conversation, s: Session, line: str) -> Turn:
    s.callback = None
    turn = c.show(s, "main")
    turn.lines.insert(0, (s.lang, line))
    return turn


# ----- cancelling


@REGISTRY.action("callback_cancel")
def do_callback_cancel(c: Conversation, s: Session, at: At, action: Action, inp: Input) -> Turn:
    """Cancel the call-back booked for this number (flows.effects)."""
    if not s.phone:
        return _give_up(c, s, c.say(s, "callback_none"))
    s.awaiting = "callback_cancel"
    return Turn(language=s.lang, node="main", effect=CancelCallback(s.phone))


@REGISTRY.resumes("callback_cancel")
def cancelled(c: Conversation, s: Session, result: CallbackCancelled) -> Turn:
    """Cancelled (and for when it was), nothing to cancel, or we are calling right now."""
    if result.status == CancelResult.CANCELLED and result.due_at is not None:
        line = c.say(s, "callback_cancelled_time", when=_when(c, s, result.due_at, clock.now()))
    elif result.status == CancelResult.CANCELLED:
        line = c.say(s, "callback_cancelled")
    else:
        line = c.say(s, "callback_none" if result.status == CancelResult.NONE else "callback_in_progress")
    return _give_up(c, s, line)
