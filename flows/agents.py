"""Asking for a person: join the queue when agents can answer, otherwise leave a voice message for a call-back."""

from __future__ import annotations

from flows.turns import EnterQueue, Input, InputKind, Option, Outcome, SaveVoicemail, Step, Turn
from queueing.admission import Admission


class AgentSteps:
    """Nodes for reaching a person; expects the host class's _menu, _option, w and d."""

    def request_agent(self, session: dict) -> Turn:
        """The caller wants a person: ask flows.runner whether they can join a queue now."""
        session["awaiting"] = "queue"
        return Turn(language=session["lang"], node="main", effect=EnterQueue(session["lang"]))

    def _queue_decided(self, session: dict, decision: Admission) -> Turn:
        lang = session["lang"]
        if decision.queue:
            turn = Turn(language=lang, node="queue", transfer=decision.queue)
            turn.lines.append((lang, self.w(lang, "agent_connecting")))
            return turn
        turn = self._voicemail_offer(session)
        reason = "queue_busy" if decision.reason == "busy" else "agents_closed"
        turn.lines = [(lang, self.w(lang, reason))] + [(lang, line) for line in self.d.open_lines(lang)[1:]]
        return turn

    def _voicemail_offer(self, session: dict) -> Turn:
        lang = session["lang"]
        options = [
            Option("1", "voicemail", self.w(lang, "opt_voicemail"), ()),
            self._option(lang, "2", "main_menu", target="main"),
            self._option(lang, "9", "goodbye"),
        ]
        return self._menu(lang, "voicemail_offer", [], options)

    def _voicemail_record(self, session: dict) -> Turn:
        turn = Turn(language=session["lang"], node="voicemail_record", expect="record")
        turn.prompt = [(session["lang"], self.w(session["lang"], "voicemail_prompt"))]
        return turn

    def _voicemail_input(self, session: dict, node: str, inp: Input) -> Turn | None:
        if node != "voicemail_record" or inp.kind is not InputKind.RECORDING:
            return None
        session["awaiting"] = "voicemail"
        return Turn(language=session["lang"], node=node, effect=SaveVoicemail(inp.value))

    def _voicemail_saved(self, session: dict) -> Turn:
        lang = session["lang"]
        turn = Turn(language=lang, node="voicemail_record", end=True)
        turn.lines = [
            (lang, self.w(lang, "voicemail_thanks")),
            (lang, self.w(lang, "goodbye", city=self.d.settings.city_name)),
        ]
        turn.steps.append(Step("voicemail_record", Outcome.VOICEMAIL, InputKind.RECORDING))
        return turn
