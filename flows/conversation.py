"""Scripted conversation steps, channel-neutral: the IVR renders a Turn as TwiML, SMS as a message."""

from __future__ import annotations

from collections.abc import Callable

from flows.agents import AgentSteps
from flows.reporting import ReportingSteps
from flows.turns import Deps, Input, InputKind, Option, Outcome, Step, Turn, fold


class Conversation(ReportingSteps, AgentSteps):
    """The 311 menu tree; `start` opens a conversation and `advance` takes one input at one node."""

    def __init__(self, deps: Deps) -> None:
        self.d = deps
        self.w = deps.wording

    # ----- entry points

    def start(self, session: dict) -> Turn:
        """The welcome: announcements, greeting, hours when closed, language choice."""
        session.setdefault("lang", self.d.settings.default_language.code)
        return self._welcome(session)

    def resume(self, session: dict, result: object) -> Turn:
        """Continue after flows.runner carried out a turn's effect (a ticket opened or looked up)."""
        awaiting = session.pop("awaiting", None)
        if awaiting == "ticket":
            return self._report_done(session, result)
        if awaiting == "queue":
            return self._queue_decided(session, result)
        if awaiting == "voicemail":
            return self._voicemail_saved(session)
        return self._check_done(session, result)

    def show(self, session: dict, node: str) -> Turn:
        """The turn at node without any input; the main menu for an unknown node."""
        session.setdefault("lang", self.d.settings.default_language.code)
        render = self._renderer(session, node)
        return render(False) if render else self._main(session)

    def advance(self, session: dict, node: str, inp: Input) -> Turn:
        """Handle the resident's input at node and return the next turn."""
        session.setdefault("lang", self.d.settings.default_language.code)
        if node == "welcome":
            return self._handle_welcome(session, inp)
        render = self._renderer(session, node)
        if render is None:  # an unknown or stale node: start from the main menu, never fail
            return self._main(session)
        if inp.kind is InputKind.NONE:
            return self._no_input(session, node, render)
        custom = self._custom_input(session, node, inp) or self._voicemail_input(session, node, inp)
        if custom is not None:
            session.setdefault("retries", {}).pop(node, None)
            custom.steps.insert(0, Step(node, Outcome.MENU, inp.kind, inp.value[:200]))
            return custom
        menu = render(False)
        option = self._pick(menu, inp)
        if option is not None:
            session.setdefault("retries", {}).pop(node, None)
            return self._act(session, node, option, inp)
        if menu.free_text and inp.is_language_free and inp.value.strip():
            return self._answer_question(session, node, inp)
        key = "invalid_key" if inp.kind is InputKind.KEY and inp.value else "not_understood"
        turn = render(False)
        turn.lines[:0] = [(turn.language, self.w(turn.language, key, key=inp.value))]
        turn.steps.insert(0, Step(node, Outcome.INVALID, inp.kind, inp.value[:200]))
        return turn

    # ----- nodes

    def _renderer(self, session: dict, node: str) -> Callable[[bool], Turn] | None:
        lang = session["lang"]
        renderers: dict[str, Callable[[bool], Turn]] = {
            "main": lambda simple: self._main(session, simple),
            "ask": lambda simple: self._ask(session, simple),
            "topics": lambda simple: self._topics(session),
            "confirm": lambda simple: self._confirm(session),
            "after": lambda simple: self._after(session),
            "unsure": lambda simple: self._unsure(session),
            "offer_agent": lambda simple: self._offer_agent(session),
            "voicemail_offer": lambda simple: self._voicemail_offer(session),
            "voicemail_record": lambda simple: self._voicemail_record(session),
        }
        if node.startswith("topic:") and (lang, node[6:]) in self.d.kb.by_topic:
            return lambda simple: self._topic(session, node[6:])
        return renderers.get(node) or self._reporting_renderer(session, node)

    def _welcome(self, session: dict) -> Turn:
        lang = session["lang"]
        turn = Turn(language=lang, node="welcome", free_text=True, hints=self._hints(lang))
        for code in self._languages():
            turn.lines += [(code, text) for text in self.d.announcements(code)]
        turn.lines.append((lang, self.w(lang, "greeting", city=self.d.settings.city_name)))
        turn.lines += [(lang, text) for text in self.d.open_lines(lang)]
        for language in self.d.settings.languages:
            turn.prompt.append((language.code, self.w(language.code, "language_option", key=language.key)))
        for language in self.d.settings.languages:
            turn.prompt.append((language.code, self.w(language.code, "welcome_speak")))
        turn.steps.append(Step("welcome", Outcome.MENU, InputKind.NONE))
        return turn

    def _handle_welcome(self, session: dict, inp: Input) -> Turn:
        for language in self.d.settings.languages:
            said = inp.is_language_free and fold(inp.value) in {fold(w) for w in language.words}
            if (inp.kind is InputKind.KEY and inp.value == language.key) or said:
                session["lang"] = language.code
                turn = self._main(session)
                turn.steps.insert(0, Step("welcome", Outcome.LANGUAGE, inp.kind, language.code))
                return turn
        if inp.kind is InputKind.NONE:
            return self._main(session)
        if inp.is_language_free and inp.value.strip():
            detected = self.d.kb.matcher.detect_language(inp.value)
            if detected in self._languages():
                session["lang"] = detected
            return self._answer_question(session, "welcome", inp)
        turn = self._welcome(session)
        key = "invalid_key" if inp.kind is InputKind.KEY and inp.value else "not_understood"
        turn.lines = [(session["lang"], self.w(session["lang"], key, key=inp.value))]
        turn.steps = [Step("welcome", Outcome.INVALID, inp.kind, inp.value[:200])]
        return turn

    def _main(self, session: dict, simple: bool = False) -> Turn:
        lang = session["lang"]
        intro = "main_menu_simple" if simple else "main_menu_intro"
        options = [
            self._option(lang, "1", "ask"),
            self._option(lang, "2", "report"),
            self._option(lang, "3", "check"),
            self._option(lang, "0", "agent"),
            self._option(lang, "*", "repeat_menu"),
        ]
        if self.d.short_menu:  # storm mode: the fewest choices; reports and status still work by speech
            options = [options[0], options[3], options[4]]
        return self._menu(lang, "main", [self.w(lang, intro)], options, free_text=True)

    def _ask(self, session: dict, simple: bool = False) -> Turn:
        lang = session["lang"]
        prompt = self.w(lang, "ask_prompt_simple" if simple else "ask_prompt")
        options = [self._option(lang, "1", "topics"), self._option(lang, "*", "back", target="main")]
        return self._menu(lang, "ask", [prompt], options, free_text=True)

    def _topics(self, session: dict) -> Turn:
        lang = session["lang"]
        topics = self.d.kb.topics.get(lang, [])[:9]
        options = [Option(str(i), f"topic:{key}", name, (name,)) for i, (key, name) in enumerate(topics, start=1)]
        options.append(self._option(lang, "*", "back", target="main"))
        return self._menu(
            lang, "topics", [self.w(lang, "topics_prompt")], options, free_text=True, label="topic_option"
        )

    def _topic(self, session: dict, topic: str) -> Turn:
        lang = session["lang"]
        articles = self.d.kb.by_topic.get((lang, topic), [])[:9]
        options = [
            Option(str(i), f"article:{a.article_id}", a.title, (a.title,)) for i, a in enumerate(articles, start=1)
        ]
        options.append(self._option(lang, "*", "back", target="topics"))
        name = dict(self.d.kb.topics.get(lang, [])).get(topic, topic)
        prompt = [self.w(lang, "topic_articles_prompt", topic=name)]
        return self._menu(lang, f"topic:{topic}", prompt, options, free_text=True, label="topic_option")

    def _confirm(self, session: dict) -> Turn:
        lang = session["lang"]
        article = self.d.kb.article(lang, session.get("pending"))
        if article is None:
            return self._ask(session)
        options = [
            self._option(lang, "1", "yes"),
            self._option(lang, "2", "no", target="ask"),
            self._option(lang, "0", "agent"),
        ]
        return self._menu(lang, "confirm", [self.w(lang, "confirm_prompt", title=article.title)], options)

    def _after(self, session: dict) -> Turn:
        lang = session["lang"]
        article = self.d.kb.article(lang, session.get("article"))
        options = [
            self._option(lang, "1", "repeat"),
            self._option(lang, "2", "another", target="ask"),
            self._option(lang, "3", "text_me"),
        ]
        if article is not None and article.service_code:
            options.append(self._option(lang, "4", "report_this"))
        options += [self._option(lang, "0", "agent"), self._option(lang, "9", "goodbye")]
        return self._menu(lang, "after", [self.w(lang, "after_answer")], options, free_text=True)

    def _unsure(self, session: dict) -> Turn:
        lang = session["lang"]
        options = [
            self._option(lang, "1", "try_again", target="ask"),
            self._option(lang, "2", "topics"),
            self._option(lang, "0", "agent"),
        ]
        return self._menu(lang, "unsure", [], options, free_text=True)

    def _offer_agent(self, session: dict) -> Turn:
        lang = session["lang"]
        options = [
            self._option(lang, "0", "agent"),
            self._option(lang, "1", "main_menu", target="main"),
            self._option(lang, "9", "goodbye"),
        ]
        return self._menu(lang, "offer_agent", [self.w(lang, "offer_agent")], options)

    # ----- actions

    def _act(self, session: dict, node: str, option: Option, inp: Input) -> Turn:
        lang = session["lang"]
        action = option.action
        step = Step(node, Outcome.MENU, inp.kind, inp.value[:200])
        if action.startswith("goto:"):
            turn = self._renderer(session, action[5:])(False)
        elif action.startswith("topic:"):
            turn = self._topic(session, action[6:])
        elif action.startswith("article:"):
            turn = self._answer(session, action[8:])
        elif action == "yes":
            turn = self._answer(session, session.get("pending"))
        elif action == "repeat_menu":
            turn = self._renderer(session, node)(False)
        elif action in ("ask", "topics"):
            turn = self._renderer(session, action)(False)
        elif action == "repeat":
            turn = self._answer(session, session.get("article"))
        elif action == "text_me":
            turn = self._text_me(session)
            step = Step(node, Outcome.TEXT_ME, inp.kind, inp.value[:200], session.get("article"))
        elif action == "goodbye":
            turn = Turn(language=lang, node=node, end=True)
            turn.lines.append((lang, self.w(lang, "goodbye", city=self.d.settings.city_name)))
            step = Step(node, Outcome.GOODBYE, inp.kind, inp.value[:200])
        elif action == "agent":
            turn = self.request_agent(session)
            step = Step(node, Outcome.AGENT, inp.kind, inp.value[:200])
        elif action == "voicemail":
            turn = self._voicemail_record(session)
        elif action == "report":
            turn = self.start_report(session)
        elif action == "report_this":
            article = self.d.kb.article(lang, session.get("article"))
            turn = self.start_report(session, article.service_code if article else None)
        elif action == "check":
            turn = self.start_check(session)
        elif action.startswith("r:"):
            turn = self._report_act(session, node, action, inp)
        else:
            turn = self._main(session)
        turn.steps.insert(0, step)
        return turn

    def _text_me(self, session: dict) -> Turn:
        lang = session["lang"]
        article = self.d.kb.article(lang, session.get("article"))
        turn = self._after(session)
        if article is None or not session.get("can_text"):
            turn.lines.insert(0, (lang, self.w(lang, "text_unavailable")))
            return turn
        turn.lines.insert(0, (lang, self.w(lang, "text_sent")))
        turn.send_text = article.text
        return turn

    def _answer(self, session: dict, article_id: str | None) -> Turn:
        lang = session["lang"]
        article = self.d.kb.article(lang, article_id)
        if article is None:
            return self._ask(session)
        session["article"] = article.article_id
        session.pop("pending", None)
        turn = self._after(session)
        turn.lines.insert(0, (lang, article.spoken))
        turn.steps.insert(0, Step("answer", Outcome.ANSWERED, InputKind.NONE, "", article.article_id))
        return turn

    def _answer_question(self, session: dict, node: str, inp: Input) -> Turn:
        """Match a question in the resident's own words: answer, ask to confirm, or say we're not sure."""
        lang = session["lang"]
        match = self.d.kb.match(inp.value, lang)
        sure = inp.confidence >= self.d.settings.speech_confidence_floor
        value = inp.value[:500]
        if match.article_id and match.confidence >= self.d.settings.answer_threshold and sure:
            turn = self._answer(session, match.article_id)
            turn.steps[0] = Step(node, Outcome.ANSWERED, inp.kind, value, match.article_id, match.confidence)
            return turn
        if match.article_id and match.confidence >= self.d.settings.confirm_threshold:
            session["pending"] = match.article_id
            turn = self._confirm(session)
            turn.steps.insert(0, Step(node, Outcome.CONFIRM, inp.kind, value, match.article_id, match.confidence))
            return turn
        turn = self._unsure(session)
        turn.lines.insert(0, (lang, self.w(lang, "unsure")))
        turn.steps.insert(0, Step(node, Outcome.UNSURE, inp.kind, value, match.article_id, match.confidence))
        return turn

    def _no_input(self, session: dict, node: str, render: Callable[[bool], Turn]) -> Turn:
        """First silence: apologise and re-prompt in simpler words; second: offer a person; third: goodbye."""
        lang = session["lang"]
        retries = session.setdefault("retries", {})
        retries[node] = retries.get(node, 0) + 1
        step = Step(node, Outcome.NO_INPUT, InputKind.NONE)
        if node == "offer_agent":
            turn = Turn(language=lang, node=node, end=True)
            turn.lines.append((lang, self.w(lang, "goodbye", city=self.d.settings.city_name)))
        elif retries[node] == 1:
            turn = render(True)
            turn.lines.insert(0, (lang, self.w(lang, "no_input")))
        else:
            turn = self._offer_agent(session)
            turn.lines.insert(0, (lang, self.w(lang, "no_input")))
        turn.steps.insert(0, step)
        return turn

    # ----- helpers

    def _languages(self) -> list[str]:
        return [language.code for language in self.d.settings.languages]

    def _option(self, lang: str, key: str, action: str, target: str | None = None) -> Option:
        label = self.w(lang, f"opt_{action}")
        words_key = f"words_{action}"
        words = self.w(lang, words_key).split(",") if self.w.has(lang, words_key) else []
        return Option(key, f"goto:{target}" if target else action, label, tuple(w.strip() for w in words if w.strip()))

    def _menu(
        self,
        lang: str,
        node: str,
        prompt: list[str],
        options: list[Option],
        free_text: bool = False,
        label: str = "press_option",
    ) -> Turn:
        turn = Turn(language=lang, node=node, options=options, free_text=free_text, option_style=label)
        turn.prompt = [(lang, p) for p in prompt]
        turn.hints = [w for o in options for w in o.words][:50] + (self._hints(lang) if free_text else [])
        return turn

    def _pick(self, menu: Turn, inp: Input) -> Option | None:
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

    def _hints(self, lang: str) -> list[str]:
        titles = sorted({a.title for (code, _), a in self.d.kb.articles.items() if code == lang})
        return titles[:100]
