"""Reporting a problem: the kind, where, the type's questions, details, a number to reach you, review, the ticket."""

from __future__ import annotations

from crm_bridge import addresses, ticket_numbers
from crm_bridge.catalogue import ServiceType
from flows.engine import REGISTRY, At, Conversation
from flows.session import Locating, PlaceNote, Session, TicketNote
from flows.spoken_time import spoken_date
from flows.steps import place_answers
from flows.steps.phone_entry import keyed_number, number_prompt
from flows.steps.questions import send_text
from flows.steps.yes_no import spoken, yes_no
from flows.turns import Action, Input, InputKind, OpenTicket, Option, Outcome, SendText, Step, Turn, goto
from places.matching import Candidate, MatchKind

PAGE = 8  # service types per keypad page; 9 turns the page
LOCATION_TRIES = 2  # addresses not found on the map before the words are kept for an agent


def _drafting(s: Session) -> bool:
    return s.report is not None


def _locating(s: Session) -> bool:
    return s.report is not None or s.asking is not None


def _where(s: Session) -> Locating:
    """What the address step fills in: the answer waiting for an address, else the report."""
    return s.asking if s.asking is not None else s.draft()


def _located(c: Conversation, s: Session) -> Turn:
    """The address is settled (confirmed, or kept as said): the answer it was asked for, or the report goes on."""
    return place_answers.answer_here(c, s) if s.asking is not None else _next_attribute(c, s, 0)


def _service(c: Conversation, s: Session) -> ServiceType:
    return c.d.catalogue.get(s.draft().service)


def start_report(c: Conversation, s: Session, service_code: str | None = None) -> Turn:
    """Begin a report, at the type menu or, when the type is known, at the location."""
    s.report, s.asking = None, None
    service = c.d.catalogue.get(service_code)
    if service is not None:
        s.draft().service = service.code
        return c.show(s, "report_location")
    s.draft()
    return c.show(s, "report_type:1")


@REGISTRY.action("report", leads="reporting a problem (type, place, details)")
def do_report(c: Conversation, s: Session, at: At, action: Action, inp: Input) -> Turn:
    """Report a problem."""
    return start_report(c, s)


@REGISTRY.action("report_this", leads="reporting the problem just answered")
def do_report_this(c: Conversation, s: Session, at: At, action: Action, inp: Input) -> Turn:
    """Report the problem the last answer was about."""
    article = c.d.kb.article(s.lang, s.article)
    return start_report(c, s, article.service_code if article else None)


# ----- the kind of problem


@REGISTRY.node("report_type", needs=_drafting, param_ok=lambda c, s, page: page in ("1", "2"))  # 9 turns the page
def report_type(c: Conversation, s: Session, at: At) -> Turn:
    """One page of service types; a type may also be said or typed in words."""
    page = int(at.param or 1)
    services = c.d.catalogue.services
    shown = services[(page - 1) * PAGE : page * PAGE]
    options = [
        Option(str(i), Action("report.type", s_.code), s_.label(s.lang), (s_.label(s.lang),))
        for i, s_ in enumerate(shown, start=1)
    ]
    if page == 1 and len(services) > PAGE:
        options.append(Option("9", goto("report_type:2"), c.say(s, "opt_more_types"), (), "press_option"))
    if page > 1:
        options.append(Option("*", goto("report_type:1"), c.w(s.lang, "opt_back"), (), "press_option"))
    turn = c.build(s.lang, f"report_type:{page}", [c.say(s, "report_type_prompt")], options, free_text=True,
                   label="topic_option")
    turn.hints = [w for service in services for w in service.keywords.get(s.lang, ())][:100]
    return turn


@REGISTRY.hears("report_type")
def hear_type(c: Conversation, s: Session, at: At, inp: Input) -> Turn | None:
    """A kind of problem in words ("pothole", "bache")."""
    words = inp.value.strip() if inp.is_language_free else ""
    if not words or words.isdigit():
        return None
    service = c.d.catalogue.guess(words, s.lang)
    return _chose(c, s, service) if service is not None else None


@REGISTRY.action("report.type")
def do_type(c: Conversation, s: Session, at: At, action: Action, inp: Input) -> Turn:
    """A kind of problem chosen from the list."""
    return _chose(c, s, c.d.catalogue.get(action.arg))


def _chose(c: Conversation, s: Session, service: ServiceType | None) -> Turn:
    if service is None:
        return c.show(s, "report_type:1")
    s.report, s.asking = None, None
    s.draft().service = service.code
    return c.show(s, "report_location")


# ----- where


@REGISTRY.node("report_location", needs=_locating, private=True)
def report_location(c: Conversation, s: Session, at: At) -> Turn:
    """Ask where (for a report, or for an answer that depends on it); skippable when a report does not need it."""
    if s.asking is not None:
        turn = c.build(s.lang, "report_location", [c.say(s, "address_prompt")], [], free_text=True)
        turn.expect = "speech"
        return turn
    skip = [] if _service(c, s).location_required else [Option("*", Action("report.loc_skip"), c.w(s.lang, "opt_skip"))]
    turn = c.build(s.lang, "report_location", [c.say(s, "report_location_prompt")], skip, free_text=True)
    turn.expect = "speech"
    return turn


@REGISTRY.hears("report_location")
def hear_location(c: Conversation, s: Session, at: At, inp: Input) -> Turn | None:
    """The address, in the resident's words: matched against the city's map when there is one."""
    words = inp.value.strip() if inp.is_language_free else ""
    if not words:
        return None
    draft = _where(s)
    draft.address, draft.point, draft.choices, draft.flagged = addresses.clean(words), None, [], False
    if c.d.places is None:
        return c.show(s, "report_location_ok")
    found = c.d.places.match(words)
    if found.kind is MatchKind.OUTSIDE:
        s.report, s.asking = None, None
        turn = c.show(s, "main")
        neighbour = found.neighbour
        line = c.w(s.lang, "report_location_outside", place=neighbour.name, number=neighbour.number)
        turn.lines.insert(0, (s.lang, line))
        return turn
    if found.kind is MatchKind.FOUND:
        draft.point = place_note(found.best)
        return c.show(s, "report_location_ok")
    if found.kind is MatchKind.CHOICES:
        draft.choices = [place_note(candidate) for candidate in found.candidates]
        return c.show(s, "report_location_pick")
    draft.location_tries += 1
    if draft.location_tries < LOCATION_TRIES:
        turn = c.show(s, "report_location")
        turn.lines.insert(0, (s.lang, c.w(s.lang, "report_location_unknown")))
        return turn
    draft.flagged = True  # asked again already: keep the words for an agent, never guess a point
    if s.asking is not None:  # an answer, not a ticket: nobody will place it, the answer says so itself
        return _located(c, s)
    turn = _located(c, s)
    turn.lines.insert(0, (s.lang, c.w(s.lang, "report_location_kept", address=draft.address)))
    return turn


def place_note(candidate: Candidate) -> PlaceNote:
    """A matched point as the session keeps it."""
    return PlaceNote(label=candidate.label, spoken=candidate.spoken, latitude=candidate.latitude,
                     longitude=candidate.longitude, confidence=candidate.confidence)


def _confirm(c: Conversation, s: Session, point: PlaceNote) -> None:
    draft = _where(s)
    point.areas = c.d.places.index.areas_at(point.latitude, point.longitude) if c.d.places else {}
    draft.point, draft.choices, draft.address, draft.flagged = point, [], point.spoken, False


@REGISTRY.node("report_location_ok", needs=_locating)
def report_location_ok(c: Conversation, s: Session, at: At) -> Turn:
    """Read the address back (the matched point, or the words as heard): right, or say it again."""
    draft = _where(s)
    if draft.point is not None:
        prompt = c.w(s.lang, "report_location_found", address=draft.point.spoken)
    else:
        prompt = c.w(s.lang, "report_location_heard", address=draft.address or "")
    yes = c.option(s.lang, "1", "yes", Action("report.loc_ok"))
    options = [yes, Option("2", Action("report.loc_again"), c.w(s.lang, "opt_say_again"), spoken(c, s.lang, "no"))]
    return c.build(s.lang, "report_location_ok", [prompt], options)


@REGISTRY.node("report_location_pick", needs=lambda s: _locating(s) and bool(_where(s).choices))
def report_location_pick(c: Conversation, s: Session, at: At) -> Turn:
    """Two or three places close to what was said: the resident picks one, or says it again."""
    choices = _where(s).choices[:3]
    options = [Option(str(i), Action("report.loc_pick", str(i - 1)), choice.spoken, (choice.spoken,))
               for i, choice in enumerate(choices, start=1)]
    options.append(Option(str(len(choices) + 1), Action("report.loc_again"), c.w(s.lang, "opt_none_of_these"),
                          spoken(c, s.lang, "no")))
    return c.build(s.lang, "report_location_pick", [c.w(s.lang, "report_location_choices")], options)


@REGISTRY.action("report.loc_pick")
def do_loc_pick(c: Conversation, s: Session, at: At, action: Action, inp: Input) -> Turn:
    """One of the places offered."""
    choices = _where(s).choices
    index = int(action.arg) if action.arg.isdigit() else -1
    if not 0 <= index < len(choices):
        return c.show(s, "report_location")
    _confirm(c, s, choices[index])
    return _located(c, s)


@REGISTRY.action("report.loc_ok")
def do_loc_ok(c: Conversation, s: Session, at: At, action: Action, inp: Input) -> Turn:
    """The address is right."""
    point = _where(s).point
    if point is not None:
        _confirm(c, s, point)
    return _located(c, s)


@REGISTRY.action("report.loc_again")
def do_loc_again(c: Conversation, s: Session, at: At, action: Action, inp: Input) -> Turn:
    """Say the address again."""
    draft = _where(s)
    draft.point, draft.choices = None, []
    return c.show(s, "report_location")


@REGISTRY.action("report.loc_skip")
def do_loc_skip(c: Conversation, s: Session, at: At, action: Action, inp: Input) -> Turn:
    """No address for this kind of problem."""
    draft = s.draft()
    draft.address, draft.point, draft.choices, draft.flagged = "", None, [], False
    return _next_attribute(c, s, 0)


# ----- the type's own questions


def _next_attribute(c: Conversation, s: Session, index: int) -> Turn:
    if index >= len(_service(c, s).attributes):
        return c.show(s, "report_details")
    s.draft().attr_i = index
    return c.show(s, "report_attr")


@REGISTRY.node("report_attr", needs=_drafting)
def report_attr(c: Conversation, s: Session, at: At) -> Turn:
    """One of the service type's questions ("Is the light out or flickering?")."""
    attribute = _service(c, s).attributes[s.draft().attr_i]
    options = [
        Option(str(i), Action("report.attr", v.key), v.name.get(s.lang, v.key), (v.name.get(s.lang, v.key),))
        for i, v in enumerate(attribute.values[:9], start=1)
    ]
    if not attribute.required:
        options.append(Option("*", Action("report.attr_skip"), c.w(s.lang, "opt_skip"), (), "press_option"))
    prompt = attribute.prompt.get(s.lang) or attribute.prompt.get("en-US", attribute.code)
    return c.build(s.lang, "report_attr", [prompt], options, label="topic_option")


@REGISTRY.action("report.attr")
def do_attr(c: Conversation, s: Session, at: At, action: Action, inp: Input) -> Turn:
    """An answer to the type's question."""
    draft = s.draft()
    draft.attrs[_service(c, s).attributes[draft.attr_i].code] = action.arg
    return _next_attribute(c, s, draft.attr_i + 1)


@REGISTRY.action("report.attr_skip")
def do_attr_skip(c: Conversation, s: Session, at: At, action: Action, inp: Input) -> Turn:
    """Skip an optional question."""
    return _next_attribute(c, s, s.draft().attr_i + 1)


# ----- details


@REGISTRY.node("report_details", needs=_drafting, private=True)
def report_details(c: Conversation, s: Session, at: At) -> Turn:
    """Details in words, or a voice message where the channel records audio."""
    options = [Option("1", goto("report_record"), c.w(s.lang, "opt_record"))] if c.caps.records_audio else []
    if not _service(c, s).details_required:
        options.append(Option("2", Action("report.details_skip"), c.w(s.lang, "opt_skip")))
    return c.build(s.lang, "report_details", [c.say(s, "report_details_prompt")], options, free_text=True)


@REGISTRY.node("report_record", needs=_drafting, private=True)
def report_record(c: Conversation, s: Session, at: At) -> Turn:
    """Record the details."""
    turn = Turn(language=s.lang, node="report_record", expect="record")
    turn.prompt = [(s.lang, c.say(s, "report_record_prompt"))]
    return turn


def _hear_details(c: Conversation, s: Session, at: At, inp: Input) -> Turn | None:
    words = inp.value.strip() if inp.is_language_free else ""
    if not words and inp.kind is not InputKind.RECORDING:
        return None
    if inp.kind is InputKind.RECORDING:
        s.draft().recording = inp.value[:4000]
    else:
        s.draft().details = inp.value[:4000]
    return _after_details(c, s)


REGISTRY.hears("report_details")(_hear_details)
REGISTRY.hears("report_record")(_hear_details)


@REGISTRY.action("report.details_skip")
def do_details_skip(c: Conversation, s: Session, at: At, action: Action, inp: Input) -> Turn:
    """No details."""
    return _after_details(c, s)


def _after_details(c: Conversation, s: Session) -> Turn:
    if not c.caps.asks_callback_number or not s.phone:
        s.draft().phone = s.phone
        return _notify_or_review(c, s)
    return c.show(s, "report_phone")


# ----- a number to reach the resident


@REGISTRY.node("report_phone", needs=_drafting)
def report_phone(c: Conversation, s: Session, at: At) -> Turn:
    """Call back at this number (its last four digits read), another one, or none."""
    last4 = " ".join((s.phone or "")[-4:])
    yes_words = spoken(c, s.lang, "yes")
    options = [
        Option("1", Action("report.phone_yes"), c.w(s.lang, "opt_yes_number"), yes_words),
        Option("2", Action("report.phone_other"), c.w(s.lang, "opt_other_number")),
        Option("3", Action("report.phone_none"), c.w(s.lang, "opt_no_callback")),
    ]
    return c.build(s.lang, "report_phone", [c.w(s.lang, "report_phone_prompt", last4=last4)], options)


@REGISTRY.node("report_phone_entry", needs=_drafting, private=True)
def report_phone_entry(c: Conversation, s: Session, at: At) -> Turn:
    """Key in another number."""
    return number_prompt(c, s, "report_phone_entry")


@REGISTRY.hears("report_phone_entry")
def hear_phone(c: Conversation, s: Session, at: At, inp: Input) -> Turn | None:
    """A keyed number: kept when it is a real one, asked again otherwise."""
    phone, again = keyed_number(c, s, inp, "report_phone_entry")
    if phone is None:
        return again
    s.draft().phone = phone
    return _notify_or_review(c, s)


@REGISTRY.action("report.phone_yes")
def do_phone_yes(c: Conversation, s: Session, at: At, action: Action, inp: Input) -> Turn:
    """Use the number calling."""
    s.draft().phone = s.phone
    return _notify_or_review(c, s)


@REGISTRY.action("report.phone_other")
def do_phone_other(c: Conversation, s: Session, at: At, action: Action, inp: Input) -> Turn:
    """Key in another number."""
    return c.show(s, "report_phone_entry")


@REGISTRY.action("report.phone_none")
def do_phone_none(c: Conversation, s: Session, at: At, action: Action, inp: Input) -> Turn:
    """No number."""
    s.draft().phone = None
    return c.show(s, "report_review")


def _notify_or_review(c: Conversation, s: Session) -> Turn:
    return c.show(s, "report_notify" if s.draft().phone else "report_review")


@REGISTRY.node("report_notify", needs=_drafting)
def report_notify(c: Conversation, s: Session, at: At) -> Turn:
    """Text me when it is fixed?"""
    options = yes_no(c, s.lang, "report.notify")
    return c.build(s.lang, "report_notify", [c.w(s.lang, "report_notify_prompt")], options)


@REGISTRY.action("report.notify")
def do_notify(c: Conversation, s: Session, at: At, action: Action, inp: Input) -> Turn:
    """Yes or no to a text when it is fixed."""
    s.draft().notify = action.arg == "yes"
    return c.show(s, "report_review")


# ----- review and send


@REGISTRY.node("report_review", needs=_drafting)
def report_review(c: Conversation, s: Session, at: At) -> Turn:
    """Read the report back: send it, start over, or back to the menu."""
    draft = s.draft()
    where = draft.address or c.w(s.lang, "no_address")
    prompt = c.w(s.lang, "report_review_prompt", service=_service(c, s).label(s.lang), address=where)
    options = [
        Option("1", Action("report.submit"), c.w(s.lang, "opt_submit"), spoken(c, s.lang, "yes")),
        Option("2", Action("report"), c.w(s.lang, "opt_restart")),
        c.option(s.lang, "*", "back", goto("main")),
    ]
    return c.build(s.lang, "report_review", [prompt], options)


@REGISTRY.action("report.submit")
def do_submit(c: Conversation, s: Session, at: At, action: Action, inp: Input) -> Turn:
    """Open the ticket (an effect carried out by flows.effects)."""
    s.awaiting = "ticket"
    return Turn(language=s.lang, node="report_review", effect=OpenTicket(s.draft().model_copy(deep=True)))


@REGISTRY.resumes("ticket")
def report_done_after(c: Conversation, s: Session, ticket) -> Turn:
    """The ticket is open: its number and expected date, or the main menu with an apology."""
    if ticket is None or isinstance(ticket, Exception):
        turn = c.show(s, "main")
        turn.lines.insert(0, (s.lang, c.w(s.lang, "report_failed")))
        return turn
    s.ticket = TicketNote(number=ticket.number, expected=ticket.expected_at, duplicate_of=ticket.duplicate_of,
                          service=ticket.service_code)
    s.report = None
    turn = _done_menu(c, s, repeat=True)
    turn.steps.insert(0, Step("report_review", Outcome.TICKET_OPENED, InputKind.NONE, ticket.number))
    return turn


@REGISTRY.node("report_done", needs=lambda s: s.ticket is not None, menu="After a report")
def report_done(c: Conversation, s: Session, at: At) -> Turn:
    """Hear the number again, get it by text, the main menu, goodbye."""
    return _done_menu(c, s)


def _done_menu(c: Conversation, s: Session, repeat: bool = False) -> Turn:
    turn = c.menu(s, "report_done")
    if repeat:
        turn.lines = [(s.lang, line) for line in ticket_lines(c, s)]
    return turn


def ticket_lines(c: Conversation, s: Session, *, printed: bool = False) -> list[str]:
    """The ticket number and when it should be done (printed: as a text message shows it)."""
    ticket = s.ticket
    expected = spoken_date(ticket.expected, c.d.zone, c.w, s.lang)
    number = ticket_numbers.printed(ticket.number) if printed else c.say_number(ticket.number)
    lines = [c.w(s.lang, "already_reported")] if ticket.duplicate_of else []
    return lines + [c.w(s.lang, "ticket_number", number=number), c.w(s.lang, "ticket_expected", date=expected)]


@REGISTRY.action("repeat_number", leads="the ticket number again")
def do_repeat_number(c: Conversation, s: Session, at: At, action: Action, inp: Input) -> Turn:
    """Hear the ticket number again."""
    return _done_menu(c, s, repeat=True)


@REGISTRY.action("text_number", leads="the ticket number by text message")
def do_text_number(c: Conversation, s: Session, at: At, action: Action, inp: Input) -> Turn:
    """Get the ticket number by text (the caller hears whether it went)."""
    body = " ".join(ticket_lines(c, s, printed=True))
    effect = SendText(body, "ticket", then="report_done", sent_line="text_sent_ticket", ticket_number=s.ticket.number)
    return send_text(s, effect)


@REGISTRY.condition("has_phone", means="only when we have a number to text")
def has_phone(c: Conversation, s: Session) -> bool:
    """We know a number to text the resident at."""
    return bool(s.phone)


# A caller whose session was lost at any of these steps (Redis restarted) is told, and the report starts over.
REGISTRY.restart_with("report", (
    "report_type", "report_location", "report_location_ok", "report_location_pick", "report_attr", "report_details",
    "report_record", "report_phone", "report_phone_entry", "report_notify", "report_review",
))
