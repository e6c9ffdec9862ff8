"""Questions: the welcome, the main menu, asking in your own words or by topic, the answer, and what comes next.

The one answer path for every channel: a spoken question and a texted one are matched, answered, confirmed or
passed on by `question` below; only the capabilities differ (one confirm question by voice, a list by text).
"""

from __future__ import annotations

from core.phones import display
from flows.engine import REGISTRY, At, Conversation
from flows.session import AddressQuestion, Session
from flows.turns import (
    Action,
    Input,
    InputKind,
    Option,
    Outcome,
    RecallAddress,
    SendText,
    Step,
    TextOutcome,
    TextResult,
    Turn,
    fold,
    goto,
)

# ----- the welcome


@REGISTRY.node("welcome", hears_everything=True)
def welcome(c: Conversation, s: Session, at: At) -> Turn:
    """Announcements in every language, the greeting, hours when closed, the language choice."""
    turn = Turn(language=s.lang, node="welcome", free_text=True, hints=c.hints(s.lang))
    for code in c.languages():
        turn.lines += [(code, text) for text in c.d.announcements(code)]
    turn.lines.append((s.lang, c.w(s.lang, "greeting", city=c.d.settings.city_name)))
    turn.lines += [(s.lang, text) for text in c.d.open_lines(s.lang)]
    for language in c.d.settings.languages:
        turn.prompt.append((language.code, c.w(language.code, "language_option", key=language.key)))
    for language in c.d.settings.languages:
        turn.prompt.append((language.code, c.w(language.code, "welcome_speak")))
    turn.steps.append(Step("welcome", Outcome.MENU, InputKind.NONE))
    return turn


@REGISTRY.hears("welcome")
def hear_welcome(c: Conversation, s: Session, at: At, inp: Input) -> Turn:
    """A language by key or name, a question in any language, or silence (the main menu)."""
    for language in c.d.settings.languages:
        said = inp.is_language_free and fold(inp.value) in {fold(w) for w in language.words}
        if (inp.kind is InputKind.KEY and inp.value == language.key) or said:
            s.lang = language.code
            turn = c.show(s, "main")
            turn.steps.insert(0, Step("welcome", Outcome.LANGUAGE, inp.kind, language.code))
            return turn
    if inp.kind is InputKind.NONE:
        return c.show(s, "main")
    if inp.is_language_free and inp.value.strip():
        detected = c.d.kb.matcher.detect_language(inp.value)
        if detected in c.languages():
            s.lang = detected
        return c.run("question", s, at, inp)
    turn = welcome(c, s, at)
    key = "invalid_key" if inp.kind is InputKind.KEY and inp.value else "not_understood"
    turn.lines = [(s.lang, c.w(s.lang, key, key=inp.value))]
    turn.steps = [Step("welcome", Outcome.INVALID, inp.kind, inp.value[:200])]
    return turn


# ----- menus declared in menus.toml


@REGISTRY.node("main", menu="Main menu")
def main(c: Conversation, s: Session, at: At) -> Turn:
    """The main menu."""
    return c.menu(s, "main", simple=at.simple)


@REGISTRY.node("ask", menu="Asking a question")
def ask(c: Conversation, s: Session, at: At) -> Turn:
    """Ask a question in your own words (or choose from topics)."""
    return c.menu(s, "ask", simple=at.simple)


@REGISTRY.node("confirm", needs=lambda s: s.pending is not None, menu="Confirming what was asked")
def confirm(c: Conversation, s: Session, at: At) -> Turn:
    """"I think you asked about X": yes, ask again, or a person."""
    article = c.d.kb.article(s.lang, s.pending)
    if article is None:
        return ask(c, s, at)
    return c.menu(s, "confirm", title=article.title)


@REGISTRY.node("after", menu="After an answer")
def after(c: Conversation, s: Session, at: At) -> Turn:
    """After an answer: hear it again, another question, by text, report it, a person, goodbye."""
    return c.menu(s, "after")


@REGISTRY.node("unsure", menu="No answer found")
def unsure(c: Conversation, s: Session, at: At) -> Turn:
    """No answer found: try again, topics, or a person."""
    return c.menu(s, "unsure")


@REGISTRY.node("offer_agent", menu="After silences")
def offer_agent(c: Conversation, s: Session, at: At) -> Turn:
    """After silences: a person, the main menu, or goodbye."""
    return c.menu(s, "offer_agent")


# ----- topics (built from the knowledge base)


@REGISTRY.node("topics", leads="the list of topics (from the knowledge base)")
def topics(c: Conversation, s: Session, at: At) -> Turn:
    """The knowledge base's topics, one key each."""
    shown = c.d.kb.topics.get(s.lang, [])[:9]
    options = [Option(str(i), goto(f"topic:{key}"), name, (name,)) for i, (key, name) in enumerate(shown, start=1)]
    options.append(c.option(s.lang, "*", "back", goto("main"), style="press_option"))
    return c.build(s.lang, "topics", [c.w(s.lang, "topics_prompt")], options, free_text=True, label="topic_option")


@REGISTRY.node("topic", param_ok=lambda c, s, key: (s.lang, key) in c.d.kb.by_topic)
def topic(c: Conversation, s: Session, at: At) -> Turn:
    """The questions of one topic."""
    articles = c.d.kb.by_topic.get((s.lang, at.param), [])[:9]
    options = [
        Option(str(i), Action("article", a.article_id), a.title, (a.title,)) for i, a in enumerate(articles, start=1)
    ]
    options.append(c.option(s.lang, "*", "back", goto("topics"), style="press_option"))
    name = dict(c.d.kb.topics.get(s.lang, [])).get(at.param, at.param)
    prompt = [c.w(s.lang, "topic_articles_prompt", topic=name)]
    return c.build(s.lang, at.node, prompt, options, free_text=True, label="topic_option")


@REGISTRY.node("did_you_mean", needs=lambda s: bool(s.choices), reachable=False)
def did_you_mean(c: Conversation, s: Session, at: At) -> Turn:
    """Several possible answers, listed by number (texts); any other words are a new question."""
    articles = [c.d.kb.article(s.lang, a) for a in s.choices]
    options = [Option(str(i), Action("article", a.article_id), a.title) for i, a in enumerate(articles, 1) if a]
    listed = "; ".join(f"{o.key}) {o.label}" for o in options)
    keys = f" {c.w(s.lang, 'sms_or')} ".join(o.key for o in options)
    turn = c.build(s.lang, "did_you_mean", [c.w(s.lang, "sms_did_you_mean", choices=listed, keys=keys)], options,
                   free_text=True)
    turn.list_options = False
    return turn


# ----- conditions a menu option may name (`when`)


@REGISTRY.condition("article_has_service", means="only after an answer about a problem that can be reported")
def article_has_service(c: Conversation, s: Session) -> bool:
    """The last answer is about a problem that can be reported."""
    article = c.d.kb.article(s.lang, s.article)
    return article is not None and bool(article.service_code)


# ----- actions


@REGISTRY.action("goto")
def do_goto(c: Conversation, s: Session, at: At, action: Action, inp: Input) -> Turn:
    """Move to another menu or step."""
    return c.show(s, action.arg)


@REGISTRY.action("repeat_menu", leads="this menu again")
def do_repeat_menu(c: Conversation, s: Session, at: At, action: Action, inp: Input) -> Turn:
    """Hear this menu's choices again."""
    return c.show(s, at.node)


@REGISTRY.action("article")
def do_article(c: Conversation, s: Session, at: At, action: Action, inp: Input) -> Turn:
    """Play one article (from a topic list, a "did you mean" list, or an informational menu option)."""
    return answer(c, s, action.arg)


@REGISTRY.action("message")
def do_message(c: Conversation, s: Session, at: At, action: Action, inp: Input) -> Turn:
    """An informational option: say its words, then the same menu again."""
    turn = c.show(s, at.node)
    turn.lines.insert(0, (s.lang, c.d.menus.message(action.arg, s.lang)))
    return turn


@REGISTRY.action("yes", leads="the answer that was guessed")
def do_yes(c: Conversation, s: Session, at: At, action: Action, inp: Input) -> Turn:
    """Yes, that is what I asked about."""
    return answer(c, s, s.pending)


@REGISTRY.action("repeat", leads="the answer again")
def do_repeat(c: Conversation, s: Session, at: At, action: Action, inp: Input) -> Turn:
    """Hear the answer again (the one for their address, when it depended on where: not asked for it again)."""
    if s.place_line is not None and c.d.kb.article(s.lang, s.article) is not None:
        turn = c.show(s, "after")
        turn.lines.insert(0, (s.lang, s.place_line))
        turn.steps.insert(0, Step("answer", Outcome.ANSWERED, InputKind.NONE, "", s.article))
        return turn
    return answer(c, s, s.article)


@REGISTRY.action("text_me", outcome=Outcome.TEXT_ME, leads="the answer by text message")
def do_text_me(c: Conversation, s: Session, at: At, action: Action, inp: Input) -> Turn:
    """Send the last answer by text to the caller's own number (an effect: the caller hears whether it went)."""
    article = c.d.kb.article(s.lang, s.article)
    if article is None:
        return c.show(s, "after")
    body = s.place_line if s.place_line is not None else article.text  # the answer for their address, if it was one
    return send_text(s, SendText(body, "answer", then="after", sent_line="text_sent"))


def send_text(s: Session, effect: SendText) -> Turn:
    """Ask flows.effects to text the resident."""
    s.awaiting = "text"
    return Turn(language=s.lang, node=effect.then, effect=effect)


@REGISTRY.resumes("text")
def text_done(c: Conversation, s: Session, outcome: TextOutcome) -> Turn:
    """Say that the text went, or the truth about why it did not."""
    turn = c.show(s, outcome.effect.then)
    unavailable = {TextResult.NO_NUMBER: "text_unavailable", TextResult.NOT_ALLOWED: "text_unavailable"}
    key = unavailable.get(outcome.status, f"text_{outcome.status}")
    key = outcome.effect.sent_line if outcome.status == TextResult.SENT else key
    turn.lines.insert(0, (s.lang, c.w(s.lang, key)))
    return turn


@REGISTRY.action("goodbye", outcome=Outcome.GOODBYE, leads="ends the call")
def do_goodbye(c: Conversation, s: Session, at: At, action: Action, inp: Input) -> Turn:
    """End the call."""
    return c.goodbye(s, at.node)


@REGISTRY.action("question")
def question(c: Conversation, s: Session, at: At, action: Action, inp: Input) -> Turn:
    """Match a question in the resident's own words: answer, ask to confirm (or list choices), or pass it on."""
    urgent = c.emergency(s, at.node, inp)
    if urgent is not None:
        return urgent
    s.choices = []
    if c.caps.detects_language:
        detected = c.d.kb.matcher.detect_language(inp.value)
        if detected and detected in c.languages():
            s.lang = detected
    settings = c.d.settings
    match = c.d.kb.match(inp.value, s.lang)
    sure = inp.confidence >= settings.speech_confidence_floor
    value = inp.value[:500]
    if match.article_id and match.confidence >= settings.answer_threshold and sure:
        turn = answer(c, s, match.article_id)
        turn.steps[0] = Step(at.node, Outcome.ANSWERED, inp.kind, value, match.article_id, match.confidence)
        return turn
    if match.article_id and match.confidence >= settings.confirm_threshold:
        step = Step(at.node, Outcome.CONFIRM, inp.kind, value, match.article_id, match.confidence)
        floor = settings.confirm_threshold * 0.75
        candidates = [a for a, conf in match.candidates if conf >= floor][: c.caps.choices]
        if c.caps.choices > 1 and candidates:
            s.choices = candidates
            turn = c.show(s, "did_you_mean")
        else:
            s.pending = match.article_id
            turn = c.show(s, "confirm")
        turn.steps.insert(0, step)
        return turn
    turn = c.show(s, "unsure")
    turn.lines.insert(0, (s.lang, c.say(s, "unsure", phone=display(c.d.settings.numbers[0]))))
    turn.steps.insert(0, Step(at.node, Outcome.UNSURE, inp.kind, value, match.article_id, match.confidence))
    return turn


def answer(c: Conversation, s: Session, article_id: str | None) -> Turn:
    """Say (or write) one article, then what comes next."""
    article = c.d.kb.article(s.lang, article_id)
    if article is None:
        return c.show(s, "ask")
    s.article, s.pending, s.choices, s.place_line = article.article_id, None, [], None
    if article.place_answer and c.d.places is not None:  # it depends on where: the address step asks first
        s.asking = AddressQuestion(article=article.article_id)
        if s.phone and c.d.settings.places.remember_days > 0:  # their address from last time, if they chose so
            s.awaiting = "recall"
            turn = Turn(language=s.lang, node="report_location", effect=RecallAddress())
        else:
            turn = c.show(s, "report_location")
        turn.steps.insert(0, Step("answer", Outcome.MENU, InputKind.NONE, "", article.article_id))
        return turn
    turn = c.show(s, "after")
    turn.lines.insert(0, (s.lang, getattr(article, c.caps.answer_field)))
    turn.steps.insert(0, Step("answer", Outcome.ANSWERED, InputKind.NONE, "", article.article_id))
    return turn
