"""Checking a request: a ticket number keyed, said or texted, then its status, last update and expected date."""

from __future__ import annotations

from crm_bridge import ticket_numbers
from flows.engine import REGISTRY, At, Conversation
from flows.session import Session
from flows.spoken_time import spoken_date
from flows.turns import Input, InputKind, LookupTicket, Outcome, Step, Turn, goto


@REGISTRY.node("check_number", leads="checking on a request by its number")
def check_number(c: Conversation, s: Session, at: At) -> Turn:
    """Ask for the ticket number (star goes back to the main menu)."""
    back = c.option(s.lang, "*", "back", goto("main"))
    turn = c.build(s.lang, "check_number", [c.say(s, "check_prompt")], [back])
    turn.expect, turn.num_digits = "digits", ticket_numbers.LENGTH
    return turn


@REGISTRY.hears("check_number")
def hear_number(c: Conversation, s: Session, at: At, inp: Input) -> Turn | None:
    """A ticket number: looked up when its check digit is right, asked again otherwise."""
    words = inp.value.strip() if inp.is_language_free else ""
    if not (inp.kind is InputKind.KEY or words) or inp.value.strip() == "*":
        return None
    number = ticket_numbers.clean(inp.value)
    if not ticket_numbers.is_valid(number):
        turn = check_number(c, s, at)
        turn.lines.insert(0, (s.lang, c.w(s.lang, "number_not_right")))
        turn.steps.append(Step("check_number", Outcome.INVALID, InputKind.KEY, number[:20]))
        return turn
    s.awaiting, s.checking = "lookup", number
    return Turn(language=s.lang, node="check_number", effect=LookupTicket(number))


@REGISTRY.resumes("lookup")
def checked(c: Conversation, s: Session, ticket) -> Turn:
    """The request's status, when it was last updated, and when it should be done (or the closing note)."""
    number, s.checking = s.checking or "", None
    s.checked = ticket.number if ticket is not None else None  # a call-back may be asked about it
    turn = c.menu(s, "check_done")
    turn.steps.insert(0, Step("check_number", Outcome.TICKET_CHECKED, InputKind.KEY, number))
    if ticket is None:
        turn.lines = [(s.lang, c.w(s.lang, "ticket_not_found", number=c.say_number(number)))]
        return turn
    service = c.d.catalogue.get(ticket.service_code)
    status = c.w(s.lang, f"status_{ticket.status}")
    label = service.label(s.lang) if service else ticket.service_code
    lines = [c.w(s.lang, "ticket_status", number=c.say_number(ticket.number), service=label, status=status)]
    lines.append(c.w(s.lang, "ticket_updated", date=spoken_date(ticket.updated_at, c.d.zone, c.w, s.lang)))
    if ticket.status == "closed" and ticket.closing_note:
        lines.append(c.w(s.lang, "ticket_note", note=ticket.closing_note))
    elif ticket.status != "closed":
        lines.append(c.w(s.lang, "ticket_expected", date=spoken_date(ticket.expected_at, c.d.zone, c.w, s.lang)))
    turn.lines = [(s.lang, line) for line in lines]
    return turn


@REGISTRY.node("check_done", menu="After a status check")
def check_done(c: Conversation, s: Session, at: At) -> Turn:
    """Check another, the main menu, goodbye."""
    return c.menu(s, "check_done")


@REGISTRY.condition("checked_ticket", means="only after a request was found")
def checked_ticket(c: Conversation, s: Session) -> bool:
    """A status check just found the resident's request (a call-back may be asked about it)."""
    return bool(s.checked)
