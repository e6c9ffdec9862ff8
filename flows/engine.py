"""The conversation engine: steps registered by name, menus read from data, one typed session, channel capabilities.

A step ("node") renders a Turn and may hear inputs that are not menu choices (an address, a ticket number). A menu
option carries an Action, carried out by the action registered under its name. An effect (open a ticket, join the
queue) is carried out by flows.effects between two calls: `advance` returns a Turn holding the effect, `resume`
continues with its result. Nothing here knows which channel it serves: that arrives as Capabilities.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from crm_bridge import ticket_numbers
from crm_bridge.catalogue import Catalogue
from flows.capabilities import Capabilities
from flows.emergency import EmergencyWords
from flows.menus import Menus
from flows.session import Session
from flows.turns import Action, Input, InputKind, Option, Outcome, Step, Turn, fold
from flows.wording import Wording
from knowledge.base import KnowledgeBase
from places.matching import Matcher
from settings import Settings


@dataclass
class Deps:
    """What the conversation reads: configuration, wording, menus and the knowledge base, plus live messages."""

    settings: Settings
    wording: Wording
    kb: KnowledgeBase
    menus: Menus
    caps: Capabilities
    catalogue: Catalogue | None = None
    emergency: EmergencyWords | None = None
    zone: object = None  # the city's time zone, for dates said to residents
    open_lines: Callable[[str], list[str]] = lambda language: []  # closed/holiday/agent-hours sentences
    announcements: Callable[[str], list[str]] = lambda language: []  # surge greeting messages
    short_menu: bool = False  # storm mode: menus.toml's [storm.*] menus replace the ordinary ones
    places: Matcher | None = None  # the city's map; without one, an address is kept as said
    now: Callable[[], dt.datetime] | None = None  # the injected clock, for answers that depend on the date


@dataclass(frozen=True)
class At:
    """Where a step is rendered: its full node name ("topic:parks"), the part after the colon, simple wording."""

    node: str
    param: str = ""
    simple: bool = False


Render = Callable[["Conversation", Session, At], Turn]
Hear = Callable[["Conversation", Session, At, Input], "Turn | None"]
Do = Callable[["Conversation", Session, At, Action, Input], Turn]
Resume = Callable[["Conversation", Session, object], Turn]


@dataclass
class NodeSpec:
    """A registered step: how it renders, what else it hears, and what it needs to make sense (else: main menu)."""

    render: Render
    hear: Hear | None = None
    needs: Callable[[Session], bool] | None = None
    hears_everything: bool = False  # the welcome: its hear() takes every input, silence included
    private: bool = False  # what is said or keyed here (a number, an address, details) is not kept in step records
    # A parameterised step ("topic:streets") checks its parameter: a stale or forged one goes to the main menu.
    param_ok: Callable[[Conversation, Session, str], bool] | None = None
    menu: str = ""  # the title of the menus-file menu of the same name this step shows ("Main menu"), for people
    leads: str = ""  # where a menu option going here leads, in words (the console's Menus page)
    reachable: bool = True  # a menu option may go here by name (`to = "<name>"` in the menus file)


@dataclass
class ActionSpec:
    do: Do
    outcome: Outcome = Outcome.MENU  # what choosing it counts as in the call record
    leads: str = ""  # where it leads, in words (the console's Menus page)


@dataclass(frozen=True)
class ConditionSpec:
    """A test a menu option's `when` names: the option is offered only while it holds."""

    holds: Callable[[Conversation, Session], bool]
    means: str  # when it holds, in words (the console's Menus page, the menus file's refusals)


@dataclass
class Registry:
    """Steps, actions, menu conditions and effect continuations by name: the one list of them. The modules in
    flows/steps register themselves here; the menus file's check and the console's Menus page read it."""

    nodes: dict[str, NodeSpec] = field(default_factory=dict)
    actions: dict[str, ActionSpec] = field(default_factory=dict)
    conditions: dict[str, ConditionSpec] = field(default_factory=dict)
    continuations: dict[str, Resume] = field(default_factory=dict)
    restarts: dict[str, str] = field(default_factory=dict)  # step -> the action that starts its flow over

    def restart_with(self, action: str, nodes: tuple[str, ...]) -> None:
        """When a conversation at one of these steps has lost its session, `action` starts that flow again."""
        self.restarts.update(dict.fromkeys(nodes, action))

    def node(
        self,
        name: str,
        *,
        needs: Callable[[Session], bool] | None = None,
        hears_everything: bool = False,
        private: bool = False,
        param_ok: Callable[[Conversation, Session, str], bool] | None = None,
        menu: str = "",
        leads: str = "",
        reachable: bool = True,
    ):
        """Register a step's renderer; `menu` titles the menus-file menu it shows (the file must then have it)."""

        def register(render: Render) -> Render:
            self.nodes[name] = NodeSpec(
                render, needs=needs, hears_everything=hears_everything, private=private,
                param_ok=param_ok, menu=menu, leads=leads, reachable=reachable and param_ok is None,
            )
            return render

        return register

    def hears(self, name: str):
        """Register what a step does with an input that is not one of its menu options."""

        def register(hear: Hear) -> Hear:
            self.nodes[name].hear = hear
            return hear

        return register

    def action(self, name: str, *, outcome: Outcome = Outcome.MENU, leads: str = ""):
        """Register an action a menu option can carry (`do = "<name>"`); `leads` says where, for people."""

        def register(do: Do) -> Do:
            self.actions[name] = ActionSpec(do, outcome, leads)
            return do

        return register

    def condition(self, name: str, *, means: str):
        """Register a condition a menu option may name (`when = "<name>"`); `means` says when it holds."""

        def register(holds: Callable[[Conversation, Session], bool]) -> Callable[[Conversation, Session], bool]:
            self.conditions[name] = ConditionSpec(holds, means)
            return holds

        return register

    def menus(self) -> dict[str, str]:
        """The menus the steps show, by name, with their titles: the menus file must declare each."""
        return {name: spec.menu for name, spec in self.nodes.items() if spec.menu}

    def targets(self) -> set[str]:
        """The steps a menu option may go to by name."""
        return {name for name, spec in self.nodes.items() if spec.reachable}

    def resumes(self, awaiting: str):
        """Register how a conversation goes on after an effect it asked for was carried out."""

        def register(fn: Resume) -> Resume:
            self.continuations[awaiting] = fn
            return fn

        return register


REGISTRY = Registry()
PRIVATE = "[private]"  # what a step record holds instead of a number, an address or a description


class Conversation:
    """The 311 conversation; `start` opens it and `advance` takes one input at one node."""

    def __init__(self, deps: Deps, registry: Registry = REGISTRY) -> None:
        self.d = deps
        self.w = deps.wording
        self.caps = deps.caps
        self.registry = registry

    # ----- entry points

    def start(self, s: Session) -> Turn:
        """The welcome: announcements, greeting, hours when closed, language choice."""
        return self.show(s, "welcome")

    def show(self, s: Session, node: str) -> Turn:
        """The turn at node without any input; the main menu for an unknown or stale node."""
        found = self._find(s, node)
        return found[0].render(self, s, found[1]) if found else self.show(s, "main")

    def advance(self, s: Session, node: str, inp: Input) -> Turn:
        """Handle the resident's input at node and return the next turn."""
        found = self._find(s, node)
        urgent = self.emergency(s, node, inp)
        if urgent is not None:
            return urgent
        if found is None:  # an unknown or stale node: start from the main menu, never fail
            return self.show(s, "main")
        spec, at = found
        if spec.hears_everything:
            return spec.hear(self, s, at, inp)
        if inp.kind is InputKind.NONE:
            return self._no_input(s, spec, at)
        custom = spec.hear(self, s, at, inp) if spec.hear else None
        if custom is not None:
            s.retries.pop(node, None)
            kept = PRIVATE if spec.private and inp.kind is not InputKind.NONE else inp.value[:200]
            custom.steps.insert(0, Step(node, Outcome.MENU, inp.kind, kept))
            return custom
        menu = spec.render(self, s, at)
        option = self.pick(menu, inp)
        if option is not None:
            s.retries.pop(node, None)
            return self.act(s, at, option.action, inp)
        if menu.free_text and inp.is_language_free and inp.value.strip():
            return self.run("question", s, at, inp)
        return self.invalid(s, spec.render(self, s, at), at.node, inp)

    def recover(self, s: Session, node: str, inp: Input) -> Turn:
        """Input at node for a conversation whose session was lost: carry on where nothing was lost, else say so and
        start that flow again (a report from its first question), or the main menu."""
        base = node.partition(":")[0]
        if base not in self.registry.nodes or self._find(s, node) is not None:
            return self.advance(s, node, inp)  # a step that needs nothing from the session, or a forged node
        urgent = self.emergency(s, node, inp)
        if urgent is not None:
            return urgent
        action = self.registry.restarts.get(base)
        turn = self.run(action, s, At("main"), Input.none()) if action else self.show(s, "main")
        turn.lines.insert(0, (s.lang, self.w(s.lang, "lost_report" if action == "report" else "lost_place")))
        turn.steps.insert(0, Step(node, Outcome.LOST, inp.kind, PRIVATE))  # what was said belonged to the lost step
        return turn

    def resume(self, s: Session, result: object) -> Turn:
        """Continue after flows.effects carried out a turn's effect."""
        awaiting, s.awaiting = s.awaiting, None
        return self.registry.continuations[awaiting or "lookup"](self, s, result)

    def emergency(self, s: Session, node: str, inp: Input) -> Turn | None:
        """Words that describe an emergency: "call 911" first, in the language they were said in, then the menu."""
        if self.d.emergency is None or not inp.is_language_free or not inp.value.strip():
            return None
        found = self.d.emergency.detect(inp.value, s.lang)
        if found is None:
            return None
        s.lang = found.language
        line = self.d.settings.gas_emergency_line
        key = found.say if line or found.say == "emergency" else "emergency"
        turn = self.show(s, "main")
        turn.lines = [(s.lang, self.say(s, key, line=line)), (s.lang, self.w(s.lang, "emergency_continue"))]
        turn.steps.insert(0, Step(node, Outcome.EMERGENCY, inp.kind, found.kind))
        return turn

    # ----- what steps use

    def act(self, s: Session, at: At, action: Action, inp: Input) -> Turn:
        """Carry out a menu option's action; its step is recorded first."""
        spec = self.registry.actions.get(action.name)
        if spec is None:
            return self.show(s, "main")
        turn = spec.do(self, s, at, action, inp)
        turn.steps.insert(0, Step(at.node, spec.outcome, inp.kind, inp.value[:200]))
        return turn

    def run(self, action: str, s: Session, at: At, inp: Input, arg: str = "") -> Turn:
        """Carry out a registered action directly (not from a menu), without a step of its own."""
        return self.registry.actions[action].do(self, s, at, Action(action, arg), inp)

    def menu(self, s: Session, name: str, *, simple: bool = False, node: str | None = None, **values) -> Turn:
        """A menu declared in menus.toml, as a turn: its prompt (filled with values) and the options that apply."""
        spec = self.d.menus.get(name, storm=self.d.short_menu)
        key = spec.simple_prompt if simple and spec.simple_prompt else spec.prompt
        prompt = [self.say(s, key, **values)] if key else []
        options = [self._option(s, name, o) for o in spec.options if self._applies(s, o.when)]
        return self.build(s.lang, node or name, prompt, options, free_text=spec.free_text)

    def build(
        self,
        lang: str,
        node: str,
        prompt: list[str],
        options: list[Option],
        free_text: bool = False,
        label: str = "press_option",
    ) -> Turn:
        """A menu turn: prompt, options, and speech hints from their words (and article titles when free text)."""
        turn = Turn(language=lang, node=node, options=options, free_text=free_text, option_style=label)
        turn.prompt = [(lang, p) for p in prompt]
        turn.hints = [w for o in options for w in o.words][:50] + (self.hints(lang) if free_text else [])
        return turn

    def option(self, lang: str, key: str, label: str, action: Action, style: str | None = None) -> Option:
        """An option labelled by the wording's opt_<label>, with its spoken shortcuts words_<label>."""
        return Option(key, action, self.w(lang, f"opt_{label}"), self._words(lang, label), style)

    def say(self, s: Session, key: str, **values) -> str:
        """Wording in the resident's language, the short variant (<key>_sms) where the channel prefers it."""
        if self.caps.short_wording and self.w.has(s.lang, f"{key}_sms"):
            return self.w(s.lang, f"{key}_sms", **values)
        return self.w(s.lang, key, **values)

    def say_number(self, number: str) -> str:
        """A ticket number as the channel shows it: digit by digit for speech, 123-456-789 in print."""
        return ticket_numbers.spoken(number) if self.caps.reads_numbers == "spoken" else ticket_numbers.printed(number)

    def pick(self, menu: Turn, inp: Input) -> Option | None:
        """The option the input chooses: a key, a texted digit, or a short spoken or typed phrase."""
        exact = next((o for o in menu.options if o.key == inp.value.strip()), None)
        if inp.kind is InputKind.KEY or exact is not None:  # a key pressed, or a texted "2" or "*"
            return exact
        said = fold(inp.value)
        if not said:
            return None
        if said.isdigit():  # a texted "2", or speech that came back as a digit
            return next((o for o in menu.options if o.key == said), None)
        for option in menu.options:
            for phrase in option.words:
                phrase = fold(phrase)
                # Short replies pick an option ("agent", "yes"); a longer sentence is a question to answer.
                if said == phrase or (len(said.split()) <= 4 and f" {phrase} " in f" {said} "):
                    return option
        return None

    def invalid(self, s: Session, turn: Turn, node: str, inp: Input) -> Turn:
        """The same menu again, told that the key or words were not one of the choices."""
        key = "invalid_key" if inp.kind is InputKind.KEY and inp.value else "not_understood"
        turn.lines[:0] = [(turn.language, self.w(turn.language, key, key=inp.value))]
        turn.steps.insert(0, Step(node, Outcome.INVALID, inp.kind, inp.value[:200]))
        return turn

    def goodbye(self, s: Session, node: str) -> Turn:
        """The last turn of a call."""
        turn = Turn(language=s.lang, node=node, end=True)
        turn.lines.append((s.lang, self.w(s.lang, "goodbye", city=self.d.settings.city_name)))
        return turn

    def languages(self) -> list[str]:
        """The configured language codes, in menu order."""
        return [language.code for language in self.d.settings.languages]

    def hints(self, lang: str) -> list[str]:
        """Article titles, to help speech recognition where a question may be asked."""
        titles = sorted({a.title for (code, _), a in self.d.kb.articles.items() if code == lang})
        return titles[:100]

    # ----- inside

    def _find(self, s: Session, node: str) -> tuple[NodeSpec, At] | None:
        base, _, param = node.partition(":")
        spec = self.registry.nodes.get(base)
        if spec is None or (spec.needs is not None and not spec.needs(s)):
            return None
        at = At(node, param)
        return (spec, at) if spec.param_ok is None or spec.param_ok(self, s, param) else None

    def _no_input(self, s: Session, spec: NodeSpec, at: At) -> Turn:
        """First silence: apologise and re-prompt in simpler words; second: offer a person; third: goodbye."""
        s.retries[at.node] = s.retries.get(at.node, 0) + 1
        if at.node == "offer_agent":
            turn = self.goodbye(s, at.node)
        elif s.retries[at.node] == 1:
            turn = spec.render(self, s, At(at.node, at.param, simple=True))
            turn.lines.insert(0, (s.lang, self.w(s.lang, "no_input")))
        else:
            turn = self.show(s, "offer_agent")
            turn.lines.insert(0, (s.lang, self.w(s.lang, "no_input")))
        turn.steps.insert(0, Step(at.node, Outcome.NO_INPUT, InputKind.NONE))
        return turn

    def _option(self, s: Session, menu: str, spec) -> Option:
        if isinstance(spec.label, dict):
            label = spec.label.get(s.lang) or next(iter(spec.label.values()))
            words = spec.words.get(s.lang, ()) if spec.words else ()
            return Option(spec.key, spec.action, label, words)
        words = spec.words.get(s.lang, ()) if spec.words else self._words(s.lang, spec.label)
        return Option(spec.key, spec.action, self.w(s.lang, f"opt_{spec.label}"), words)

    def _words(self, lang: str, label: str) -> tuple[str, ...]:
        key = f"words_{label}"
        words = self.w(lang, key).split(",") if self.w.has(lang, key) else []
        return tuple(w.strip() for w in words if w.strip())

    def _applies(self, s: Session, when: str | None) -> bool:
        return when is None or self.registry.conditions[when].holds(self, s)
