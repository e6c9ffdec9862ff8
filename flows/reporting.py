"""Reporting a problem and checking a request: channel-neutral steps the Conversation mixes in."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from core.phones import normalize
from crm_bridge import addresses
from crm_bridge import ticket_numbers as numbers
from crm_bridge.catalogue import ServiceType
from flows.spoken_time import spoken_date
from flows.turns import Input, InputKind, LookupTicket, OpenTicket, Option, Outcome, Step, Turn

PAGE = 8  # service types per keypad page; 9 turns the page


class ReportingSteps:
    """The report and check nodes; expects the host class's _menu, _option, _main, w and d."""

    # ----- entry points

    def start_report(self, session: dict, service_code: str | None = None) -> Turn:
        """Begin a report, at the type menu or, when the type is known, at the location."""
        session["report"] = {"attrs": {}}
        service = self.d.catalogue.get(service_code)
        if service is not None:
            session["report"]["service"] = service.code
            return self._report_location(session)
        return self._report_type(session, 1)

    def start_check(self, session: dict) -> Turn:
        """Ask for a ticket number."""
        return self._check_number(session)

    # ----- renderers and input handlers for the nodes below

    def _reporting_renderer(self, session: dict, node: str) -> Callable[[bool], Turn] | None:
        if node.startswith("report_type:") and node[12:] in ("1", "2"):
            return lambda simple: self._report_type(session, int(node[12:]))
        renderers = {
            "report_location": self._report_location,
            "report_location_ok": self._report_location_ok,
            "report_attr": self._report_attr,
            "report_details": self._report_details,
            "report_record": self._report_record,
            "report_phone": self._report_phone,
            "report_phone_entry": self._report_phone_entry,
            "report_notify": self._report_notify,
            "report_review": self._report_review,
            "report_done": self._report_done_menu,
            "check_number": self._check_number,
            "check_done": self._check_done_menu,
        }
        # A stale node (the draft already sent or expired) falls back to the main menu.
        needs = "ticket" if node == "report_done" else "report" if node.startswith("report") else None
        if node in renderers and (needs is None or session.get(needs)):
            return lambda simple: renderers[node](session)
        return None

    def _custom_input(self, session: dict, node: str, inp: Input) -> Turn | None:
        """Inputs that are not a menu choice: an address, a recording, a typed number, a spoken service."""
        words = inp.value.strip() if inp.is_language_free else ""
        if node == "report_location" and words:
            session["report"]["address"] = addresses.clean(words)
            return self._report_location_ok(session)
        if node in ("report_details", "report_record") and (words or inp.kind is InputKind.RECORDING):
            key = "recording" if inp.kind is InputKind.RECORDING else "details"
            session["report"][key] = inp.value[:4000]
            return self._report_after_details(session)
        if node == "report_phone_entry" and inp.kind is InputKind.KEY:
            return self._report_phone_entered(session, inp.value)
        if node == "check_number" and (inp.kind is InputKind.KEY or words) and inp.value.strip() != "*":
            return self._check_entered(session, inp.value)
        if node.startswith("report_type:") and words and not words.isdigit():
            service = self.d.catalogue.guess(words, session["lang"])
            if service is not None:
                return self._report_chose(session, service)
        return None

    def _report_act(self, session: dict, node: str, action: str, inp: Input) -> Turn:
        """A menu choice in the report or check steps (actions start with 'r:')."""
        name, _, arg = action[2:].partition(":")
        draft = session.setdefault("report", {"attrs": {}})
        if name == "page":
            return self._report_type(session, int(arg))
        if name == "type":
            return self._report_chose(session, self.d.catalogue.get(arg))
        if name == "loc_ok":
            return self._report_next_attr(session, 0)
        if name == "loc_again":
            return self._report_location(session)
        if name == "loc_skip":
            draft["address"] = ""
            return self._report_next_attr(session, 0)
        if name in ("attr", "attr_skip"):
            index = draft.get("attr_i", 0)
            attribute = self._service(session).attributes[index]
            if name == "attr":
                draft["attrs"][attribute.code] = arg
            return self._report_next_attr(session, index + 1)
        if name == "record":
            return self._report_record(session)
        if name == "details_skip":
            return self._report_after_details(session)
        if name == "phone_yes":
            draft["phone"] = session.get("phone")
            return self._report_notify_or_review(session)
        if name == "phone_other":
            return self._report_phone_entry(session)
        if name == "phone_none":
            draft["phone"] = None
            return self._report_review(session)
        if name in ("notify_yes", "notify_no"):
            draft["notify"] = name == "notify_yes"
            return self._report_review(session)
        if name == "submit":
            session["awaiting"] = "ticket"
            turn = Turn(language=session["lang"], node="report_review", effect=OpenTicket(dict(draft)))
            return turn
        if name == "restart":
            return self.start_report(session)
        if name == "done_repeat":
            return self._report_done_menu(session, repeat=True)
        if name == "done_text":
            return self._report_done_text(session)
        if name == "check":
            return self._check_number(session)
        return self._main(session)

    # ----- report: type, location, attributes, details, phone, review

    def _service(self, session: dict) -> ServiceType:
        return self.d.catalogue.get(session["report"].get("service"))

    def _report_type(self, session: dict, page: int) -> Turn:
        lang = session["lang"]
        services = self.d.catalogue.services
        shown = services[(page - 1) * PAGE : page * PAGE]
        options = [
            Option(str(i), f"r:type:{s.code}", s.label(lang), (s.label(lang),)) for i, s in enumerate(shown, start=1)
        ]
        if page == 1 and len(services) > PAGE:
            options.append(Option("9", "r:page:2", self.w(lang, "opt_more_types"), ()))
        if page > 1:
            options.append(Option("*", "r:page:1", self.w(lang, "opt_back"), ()))
        turn = self._menu(
            lang,
            f"report_type:{page}",
            [self._w(session, "report_type_prompt")],
            options,
            free_text=True,
            label="topic_option",
        )
        turn.hints = [w for s in services for w in s.keywords.get(lang, ())][:100]
        return turn

    def _report_chose(self, session: dict, service: ServiceType | None) -> Turn:
        if service is None:
            return self._report_type(session, 1)
        session["report"] = {"attrs": {}, "service": service.code}
        return self._report_location(session)

    def _report_location(self, session: dict) -> Turn:
        lang = session["lang"]
        options = (
            []
            if self._service(session).location_required
            else [Option("*", "r:loc_skip", self.w(lang, "opt_skip"), ())]
        )
        turn = self._menu(
            lang, "report_location", [self._w(session, "report_location_prompt")], options, free_text=True
        )
        turn.expect = "speech"
        return turn

    def _report_location_ok(self, session: dict) -> Turn:
        lang = session["lang"]
        prompt = self.w(lang, "report_location_heard", address=session["report"].get("address", ""))
        options = [self._option(lang, "1", "yes"), Option("2", "r:loc_again", self.w(lang, "opt_say_again"), ())]
        options[0] = Option("1", "r:loc_ok", options[0].label, options[0].words)
        return self._menu(lang, "report_location_ok", [prompt], options)

    def _report_next_attr(self, session: dict, index: int) -> Turn:
        if index >= len(self._service(session).attributes):
            return self._report_details(session)
        session["report"]["attr_i"] = index
        return self._report_attr(session)

    def _report_attr(self, session: dict) -> Turn:
        lang = session["lang"]
        attribute = self._service(session).attributes[session["report"].get("attr_i", 0)]
        options = [
            Option(str(i), f"r:attr:{v.key}", v.name.get(lang, v.key), (v.name.get(lang, v.key),))
            for i, v in enumerate(attribute.values[:9], start=1)
        ]
        if not attribute.required:
            options.append(Option("*", "r:attr_skip", self.w(lang, "opt_skip"), ()))
        prompt = attribute.prompt.get(lang) or attribute.prompt.get("en-US", attribute.code)
        return self._menu(lang, "report_attr", [prompt], options, label="topic_option")

    def _report_details(self, session: dict) -> Turn:
        lang = session["lang"]
        by_text = session.get("channel") == "sms"
        options = [] if by_text else [Option("1", "r:record", self.w(lang, "opt_record"), ())]
        if not self._service(session).details_required:
            options.append(Option("2", "r:details_skip", self.w(lang, "opt_skip"), ()))
        return self._menu(lang, "report_details", [self._w(session, "report_details_prompt")], options, free_text=True)

    def _report_record(self, session: dict) -> Turn:
        turn = Turn(language=session["lang"], node="report_record", expect="record")
        turn.prompt = [(session["lang"], self._w(session, "report_record_prompt"))]
        return turn

    def _report_after_details(self, session: dict) -> Turn:
        if session.get("channel") == "sms" or not session.get("phone"):
            session["report"]["phone"] = session.get("phone")
            return self._report_notify_or_review(session)
        return self._report_phone(session)

    def _report_phone(self, session: dict) -> Turn:
        lang = session["lang"]
        last4 = " ".join((session.get("phone") or "")[-4:])
        options = [
            Option("1", "r:phone_yes", self.w(lang, "opt_yes_number"), tuple(self.w(lang, "words_yes").split(","))),
            Option("2", "r:phone_other", self.w(lang, "opt_other_number"), ()),
            Option("3", "r:phone_none", self.w(lang, "opt_no_callback"), ()),
        ]
        return self._menu(lang, "report_phone", [self.w(lang, "report_phone_prompt", last4=last4)], options)

    def _report_phone_entry(self, session: dict) -> Turn:
        turn = self._menu(session["lang"], "report_phone_entry", [self.w(session["lang"], "report_phone_entry")], [])
        turn.expect, turn.num_digits = "digits", 10
        return turn

    def _report_phone_entered(self, session: dict, digits: str) -> Turn:
        phone = normalize(numbers.clean(digits))
        if phone is None:
            turn = self._report_phone_entry(session)
            turn.lines.insert(0, (session["lang"], self.w(session["lang"], "number_not_right")))
            return turn
        session["report"]["phone"] = phone
        return self._report_notify_or_review(session)

    def _report_notify_or_review(self, session: dict) -> Turn:
        return self._report_notify(session) if session["report"].get("phone") else self._report_review(session)

    def _report_notify(self, session: dict) -> Turn:
        lang = session["lang"]
        options = [
            Option("1", "r:notify_yes", self.w(lang, "opt_notify_yes"), tuple(self.w(lang, "words_yes").split(","))),
            Option("2", "r:notify_no", self.w(lang, "opt_notify_no"), tuple(self.w(lang, "words_no").split(","))),
        ]
        return self._menu(lang, "report_notify", [self.w(lang, "report_notify_prompt")], options)

    def _report_review(self, session: dict) -> Turn:
        lang = session["lang"]
        draft = session["report"]
        where = draft.get("address") or self.w(lang, "no_address")
        prompt = self.w(lang, "report_review_prompt", service=self._service(session).label(lang), address=where)
        options = [
            Option("1", "r:submit", self.w(lang, "opt_submit"), tuple(self.w(lang, "words_yes").split(","))),
            Option("2", "r:restart", self.w(lang, "opt_restart"), ()),
            self._option(lang, "*", "back", target="main"),
        ]
        return self._menu(lang, "report_review", [prompt], options)

    # ----- report: done

    def _report_done(self, session: dict, ticket) -> Turn:
        lang = session["lang"]
        if ticket is None or isinstance(ticket, Exception):
            turn = self._main(session)
            turn.lines.insert(0, (lang, self.w(lang, "report_failed")))
            return turn
        session["ticket"] = {
            "number": ticket.number,
            "expected": ticket.expected_at.isoformat(),
            "duplicate_of": ticket.duplicate_of,
            "service": ticket.service_code,
        }
        session.pop("report", None)
        turn = self._report_done_menu(session, repeat=True)
        turn.steps.insert(0, Step("report_review", Outcome.TICKET_OPENED, InputKind.NONE, ticket.number))
        return turn

    def _report_done_menu(self, session: dict, repeat: bool = False) -> Turn:
        lang = session["lang"]
        options = [Option("1", "r:done_repeat", self.w(lang, "opt_repeat_number"), ())]
        if session.get("phone"):
            options.append(Option("2", "r:done_text", self.w(lang, "opt_text_number"), ()))
        options += [self._option(lang, "3", "main_menu", target="main"), self._option(lang, "9", "goodbye")]
        turn = self._menu(lang, "report_done", [], options)
        if repeat:
            turn.lines = [(lang, line) for line in self._ticket_lines(session)]
        return turn

    def _ticket_lines(self, session: dict) -> list[str]:
        lang, ticket = session["lang"], session["ticket"]
        expected = spoken_date(dt.datetime.fromisoformat(ticket["expected"]), self.d.zone, self.w, lang)
        number = self._say_number(session, ticket["number"])
        lines = [self.w(lang, "already_reported")] if ticket.get("duplicate_of") else []
        lines += [self.w(lang, "ticket_number", number=number), self.w(lang, "ticket_expected", date=expected)]
        return lines

    def _report_done_text(self, session: dict) -> Turn:
        turn = self._report_done_menu(session)
        lang = session["lang"]
        turn.lines.insert(0, (lang, self.w(lang, "text_sent_ticket")))
        turn.send_text = " ".join(self._ticket_lines({**session, "channel": "sms"}))
        return turn

    # ----- check a request

    def _check_number(self, session: dict) -> Turn:
        turn = self._menu(session["lang"], "check_number", [self._w(session, "check_prompt")], [])
        turn.expect, turn.num_digits = "digits", numbers.LENGTH
        return turn

    def _check_entered(self, session: dict, text: str) -> Turn:
        number = numbers.clean(text)
        if not numbers.is_valid(number):
            turn = self._check_number(session)
            turn.lines.insert(0, (session["lang"], self.w(session["lang"], "number_not_right")))
            turn.steps.append(Step("check_number", Outcome.INVALID, InputKind.KEY, number[:20]))
            return turn
        session["awaiting"] = "lookup"
        session["checking"] = number
        return Turn(language=session["lang"], node="check_number", effect=LookupTicket(number))

    def _check_done(self, session: dict, ticket) -> Turn:
        lang = session["lang"]
        number = session.pop("checking", "")
        turn = self._check_done_menu(session)
        turn.steps.insert(0, Step("check_number", Outcome.TICKET_CHECKED, InputKind.KEY, number))
        if ticket is None:
            turn.lines = [(lang, self.w(lang, "ticket_not_found", number=self._say_number(session, number)))]
            return turn
        service = self.d.catalogue.get(ticket.service_code)
        updated = spoken_date(
            ticket.updated_at.replace(tzinfo=ticket.updated_at.tzinfo or dt.UTC), self.d.zone, self.w, lang
        )
        expected = spoken_date(
            ticket.expected_at.replace(tzinfo=ticket.expected_at.tzinfo or dt.UTC), self.d.zone, self.w, lang
        )
        lines = [
            self.w(
                lang,
                "ticket_status",
                number=self._say_number(session, ticket.number),
                service=service.label(lang) if service else ticket.service_code,
                status=self.w(lang, f"status_{ticket.status}"),
            )
        ]
        lines.append(self.w(lang, "ticket_updated", date=updated))
        if ticket.status == "closed" and ticket.closing_note:
            lines.append(self.w(lang, "ticket_note", note=ticket.closing_note))
        elif ticket.status != "closed":
            lines.append(self.w(lang, "ticket_expected", date=expected))
        turn.lines = [(lang, line) for line in lines]
        return turn

    def _check_done_menu(self, session: dict) -> Turn:
        lang = session["lang"]
        options = [
            Option("1", "r:check", self.w(lang, "opt_check_another"), ()),
            self._option(lang, "2", "main_menu", target="main"),
            self._option(lang, "9", "goodbye"),
        ]
        return self._menu(lang, "check_done", [], options)

    # ----- helpers

    def _w(self, session: dict, key: str, **values) -> str:
        """Wording with a text-message variant (key_sms) when the conversation is by text."""
        if session.get("channel") == "sms" and self.w.has(session["lang"], f"{key}_sms"):
            return self.w(session["lang"], f"{key}_sms", **values)
        return self.w(session["lang"], key, **values)

    def _say_number(self, session: dict, number: str) -> str:
        return numbers.printed(number) if session.get("channel") == "sms" else numbers.spoken(number)
