"""Editing the knowledge base from the console: search, checked drafts, publishing (audited), the unanswered queue.

A change is checked against the knowledge base's own test phrasings before it is published: with the edited article
in place, every phrasing of every article in that language must still reach its own article through the real
matcher. What a change would break is said phrasing by phrasing; publishing it anyway is an explicit second step.
Callers publish the version key (knowledge.base.publish) after the transaction, so every process reloads.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass, field
from enum import StrEnum

from sqlalchemy import func
from sqlmodel import Session, select

from core import audit, clock, text_rules
from core.defaults import KB_REVIEW_DUE_DAYS
from knowledge.base import FIELDS, MAX_SPOKEN_WORDS, MAX_TEXT
from knowledge.matching import Doc, Matcher, fold
from knowledge.models import Article, ArticleCreate, Topic, Unanswered
from messaging import segments

MAX_TITLE = 200
MAX_DEPARTMENT = 200
MAX_PHRASING = 500  # as long as a question we keep in the unanswered queue
MAX_KEYWORD = 80
MAX_SPOKEN_CHARS = 1500  # 110 words of even long words
SPOKEN_WORDS_PER_SECOND = 2.75  # text-to-speech at its ordinary rate
ARTICLE_ID = re.compile(r"[a-z0-9][a-z0-9-]{1,79}")
QUEUE_SIZE = 50


@dataclass(frozen=True)
class Listed:
    """One article in the list: what a supervisor scans for, and whether its review is due."""

    article_id: str
    language: str
    title: str
    topic: str
    topic_name: str
    department: str
    last_reviewed: dt.date
    review_due: bool


def review_due(last_reviewed: dt.date, today: dt.date) -> bool:
    """Whether an article reviewed on that day should be looked at again (core.defaults.KB_REVIEW_DUE_DAYS)."""
    return (today - last_reviewed).days > KB_REVIEW_DUE_DAYS


def topics(session: Session, *, language: str) -> list[tuple[str, str]]:
    """The language's topics as (key, name), in menu order."""
    rows = session.exec(select(Topic).where(Topic.language == language).order_by(Topic.position)).all()
    return [(row.key, row.name) for row in rows]


def search(session: Session, *, language: str, query: str, today: dt.date) -> list[Listed]:
    """Articles in the language whose id, title, phrasings or answers contain every word of the query (any case,
    any accents), by title."""
    names = dict(topics(session, language=language))
    words = fold(query).split()
    rows = session.exec(select(Article).where(Article.language == language).order_by(Article.title)).all()
    found = []
    for row in rows:
        haystack = fold(" ".join([row.article_id, row.title, row.spoken, row.text, *row.phrasings, *row.keywords]))
        if all(word in haystack for word in words):
            found.append(
                Listed(
                    article_id=row.article_id,
                    language=row.language,
                    title=row.title,
                    topic=row.topic,
                    topic_name=names.get(row.topic, row.topic),
                    department=row.department,
                    last_reviewed=row.last_reviewed,
                    review_due=review_due(row.last_reviewed, today),
                )
            )
    return found


def get(session: Session, *, language: str, article_id: str) -> Article | None:
    """The stored article, if there is one."""
    query = select(Article).where(Article.language == language, Article.article_id == article_id)
    return session.exec(query).first()


def languages_of(session: Session, *, article_id: str) -> set[str]:
    """The languages an article id exists in."""
    return set(session.exec(select(Article.language).where(Article.article_id == article_id)).all())


def normalised(draft: ArticleCreate) -> ArticleCreate:
    """The draft as it would be stored: blanks folded in the answers, empty and repeated phrasings dropped."""
    phrasings = list(dict.fromkeys(" ".join(p.split()) for p in draft.phrasings if p.strip()))
    keywords = list(dict.fromkeys(" ".join(k.split()) for k in draft.keywords if k.strip()))
    return draft.model_copy(
        update={
            "article_id": draft.article_id.strip(),
            "title": " ".join(draft.title.split()),
            "department": " ".join(draft.department.split()),
            "service_code": draft.service_code.strip(),
            "phrasings": phrasings,
            "keywords": keywords,
            "spoken": " ".join(draft.spoken.split()),
            "text": " ".join(draft.text.split()),
        }
    )


@dataclass(frozen=True)
class TextCost:
    """What the text answer costs as a text message."""

    characters: int
    segments: int
    encoding: str


def text_cost(text: str) -> TextCost:
    """Characters, SMS segments and encoding of a text answer (messaging.segments: GSM-7 or UCS-2)."""
    folded = " ".join(text.split())
    return TextCost(len(folded), segments.segment_count(folded), segments.encoding(folded).value)


def spoken_words(spoken: str) -> int:
    """How many words the spoken answer has (the limit is MAX_SPOKEN_WORDS, about 40 seconds)."""
    return len(spoken.split())


def problems(session: Session, *, draft: ArticleCreate, is_new: bool, service_codes: set[str]) -> dict[str, str]:
    """What is wrong with a draft, field by field (empty when it may be checked and published)."""
    errors: dict[str, str] = {}
    if is_new:
        if not ARTICLE_ID.fullmatch(draft.article_id):
            errors["article_id"] = "use 2 to 80 lower-case letters, digits and hyphens, like leaf-bag-pickup"
        elif get(session, language=draft.language, article_id=draft.article_id) is not None:
            errors["article_id"] = f"there is already an article {draft.article_id!r} in {draft.language}"
    if not draft.title:
        errors["title"] = "give the article a title"
    elif len(draft.title) > MAX_TITLE:
        errors["title"] = f"the title is {len(draft.title)} characters; at most {MAX_TITLE}"
    if draft.topic not in dict(topics(session, language=draft.language)):
        errors["topic"] = "choose one of the topics"
    if not draft.department:
        errors["department"] = "name the department that answers for it"
    elif len(draft.department) > MAX_DEPARTMENT:
        errors["department"] = f"at most {MAX_DEPARTMENT} characters"
    if draft.service_code and draft.service_code not in service_codes:
        errors["service_code"] = "choose a service from the list, or none"
    if not draft.phrasings:
        errors["phrasings"] = "give at least one way a resident asks this, one per line"
    elif too_long := [p for p in draft.phrasings if len(p) > MAX_PHRASING]:
        errors["phrasings"] = f"a phrasing is {len(too_long[0])} characters; at most {MAX_PHRASING}"
    if too_long := [k for k in draft.keywords if len(k) > MAX_KEYWORD]:
        errors["keywords"] = f"a keyword is {len(too_long[0])} characters; at most {MAX_KEYWORD}"
    words = spoken_words(draft.spoken)
    if not words:
        errors["spoken"] = "write what callers hear"
    elif words > MAX_SPOKEN_WORDS or len(draft.spoken) > MAX_SPOKEN_CHARS:
        errors["spoken"] = f"the spoken answer is {words} words; at most {MAX_SPOKEN_WORDS} (about 40 seconds)"
    if not draft.text:
        errors["text"] = "write the text-message answer"
    elif len(draft.text) > MAX_TEXT:
        errors["text"] = f"the text answer is {len(draft.text)} characters; at most {MAX_TEXT}"
    for name, problem in _unsafe_characters(draft).items():
        errors.setdefault(name, problem)
    return errors


def _unsafe_characters(draft: ArticleCreate) -> dict[str, str]:
    # Everything here is spoken, texted or sent as speech hints: one invisible character breaks every call it reaches.
    found = {}
    for name in ("title", "department", "spoken", "text", "phrasings", "keywords"):
        value = getattr(draft, name)
        for text in value if isinstance(value, list) else [value]:
            if problem := text_rules.refusal(text):
                found[name] = f"{'a line' if isinstance(value, list) else 'it'} {problem}"
                break
    return found


@dataclass(frozen=True)
class Broken:
    """A test phrasing that would no longer reach its own article."""

    phrasing: str
    belongs_to: str  # the article's title
    goes_to: str | None  # the title it would reach instead; None: no article confidently enough
    confidence: float

    def describe(self, already: bool = False) -> str:
        """In words: where the question would go with the change (or goes already), and where it should."""
        when = "already" if already else "would now"
        if self.goes_to is None:
            return f"'{self.phrasing}' {when} get no answer (the matcher is too unsure) instead of {self.belongs_to}"
        verb = "goes" if already else "go"
        return f"'{self.phrasing}' {when} {verb} to {self.goes_to} instead of {self.belongs_to}"


class Channel(StrEnum):
    VOICE = "voice"  # the spoken answer callers hear
    TEXT = "text"  # the text message texters read


@dataclass(frozen=True)
class LeftBehind:
    """An answer that still says something different from the edit: the other channel of this language, or another
    language's version of the article not changed since this one was."""

    language: str
    channel: Channel | None  # None: the whole answer of another language (both channels)
    updated_at: dt.datetime

    def describe(self, names: dict[str, str]) -> str:
        """In words, for the editor."""
        if self.channel is Channel.VOICE:
            return "Calls still hear the old spoken answer: only the text message was changed."
        if self.channel is Channel.TEXT:
            return "Texters still read the old text message: only the spoken answer was changed."
        name = names.get(self.language, self.language)
        return f"{name} still says what it said before: its answer last changed on {self.updated_at:%Y-%m-%d}."


@dataclass
class Check:
    """The outcome of checking a draft against the knowledge base's test phrasings."""

    checked: int = 0
    broken: list[Broken] = field(default_factory=list)  # caused by this change: publishing needs "anyway"
    already: list[Broken] = field(default_factory=list)  # failing before this change too: said, not blocking
    fingerprint: str = ""  # of the draft checked, so "publish anyway" applies to exactly what was reported
    left_behind: list[LeftBehind] = field(default_factory=list)  # publishing only this one is confirmed ("anyway")

    @property
    def clean(self) -> bool:
        return not self.broken

    @property
    def needs_confirming(self) -> bool:
        """Whether publishing takes the editor's explicit second step: it breaks phrasings or leaves answers behind."""
        return bool(self.broken or self.left_behind)


def left_behind(session: Session, *, draft: ArticleCreate) -> list[LeftBehind]:
    """The answers an edit of a stored article leaves saying the old thing: the channel not changed (when only one
    was), and the other languages' versions, which this edit does not change (when the answer changed)."""
    row = get(session, language=draft.language, article_id=draft.article_id)
    if row is None:
        return []  # a new article: nothing said before
    spoken, text = draft.spoken != row.spoken, draft.text != row.text
    if not (spoken or text):
        return []
    found = []
    if spoken != text:
        found.append(LeftBehind(row.language, Channel.TEXT if spoken else Channel.VOICE, row.updated_at))
    others = session.exec(
        select(Article).where(Article.article_id == draft.article_id, Article.language != draft.language)
    ).all()
    # Whether another language already matches cannot be read from the words: each one not changed with this edit
    # is named, with when it last changed, for the editor to judge.
    found += [LeftBehind(other.language, None, other.updated_at) for other in sorted(others, key=lambda o: o.language)]
    return found


def fingerprint(draft: ArticleCreate) -> str:
    """A short digest of a draft's content: a report's "publish anyway" holds only for the draft it was about."""
    return hashlib.sha256(draft.model_dump_json().encode()).hexdigest()[:32]


def _doc(article: Article | ArticleCreate) -> Doc:
    return Doc(article.article_id, article.language, article.title, tuple(article.phrasings), tuple(article.keywords))


def _reaches(matcher: Matcher, phrasing: str, doc: Doc, threshold: float) -> tuple[str | None, float]:
    found = matcher.match(phrasing, doc.language)
    return (found.article_id if found.confidence >= threshold else None), found.confidence


def check(session: Session, *, draft: ArticleCreate, threshold: float) -> Check:
    """Every phrasing of the language, matched with the draft in place; what it would break, in words.

    A phrasing passes when the matcher's best article is its own with at least `threshold` confidence (the confirm
    threshold: the caller is at least asked "did you mean ..."). A phrasing that already failed before the change
    is reported apart and does not block; a phrasing the draft adds must pass."""
    stored = session.exec(select(Article).where(Article.language == draft.language)).all()
    before_docs = {row.article_id: _doc(row) for row in stored}
    after_docs = {**before_docs, draft.article_id: _doc(draft)}
    titles = {row.article_id: row.title for row in stored} | {draft.article_id: draft.title}
    after = Matcher.build(after_docs.values())
    before: Matcher | None = None
    result = Check(fingerprint=fingerprint(draft))
    for doc in after_docs.values():
        for phrasing in doc.phrasings:
            result.checked += 1
            goes, confidence = _reaches(after, phrasing, doc, threshold)
            if goes == doc.article_id:
                continue
            broken = Broken(phrasing, titles[doc.article_id], titles.get(goes or ""), round(confidence, 2))
            old = before_docs.get(doc.article_id)
            if old is not None and phrasing in old.phrasings:
                before = before or Matcher.build(before_docs.values())
                if _reaches(before, phrasing, old, threshold)[0] != doc.article_id:
                    result.already.append(broken)
                    continue
            result.broken.append(broken)
    result.left_behind = left_behind(session, draft=draft)
    return result


def _fields(row: Article | ArticleCreate) -> dict:
    return {name: getattr(row, name) for name in FIELDS} | {"last_reviewed": row.last_reviewed.isoformat()}


class Stale(Exception):
    """The article was published by someone else after this draft was opened."""


def publish(
    session: Session, *, draft: ArticleCreate, actor: str, threshold: float, base: str | None, anyway: str = ""
) -> tuple[Check, Article | None]:
    """Check the draft and, if it breaks nothing (or `anyway` is the fingerprint of the draft reported), store it.

    `base` is the stored article's updated_at when the editor opened it (None for a new article): a change
    published meanwhile raises Stale rather than being overwritten. The audit trail gets who and before → after,
    with what a publish-anyway broke. Returns the check and the stored article (None when not published)."""
    row = get(session, language=draft.language, article_id=draft.article_id)
    if row is not None and (base is None or row.updated_at.isoformat() != base):
        raise Stale(f"{row.title} was published by someone else after you opened it")
    result = check(session, draft=draft, threshold=threshold)
    if result.needs_confirming and anyway != result.fingerprint:
        return result, None
    before = _fields(row) if row is not None else None
    row = row or Article(**draft.model_dump())
    for name in FIELDS:
        setattr(row, name, getattr(draft, name))
    row.updated_at = clock.now()
    session.add(row)
    after = _fields(row) | ({"published_despite": [b.describe() for b in result.broken]} if result.broken else {})
    if result.left_behind:  # confirmed by the editor: which answers still say the old thing
        left = [f"{one.language} {one.channel or 'voice and text'}" for one in result.left_behind]
        after["left_saying_the_old"] = left
    audit.record(
        session,
        actor=actor,
        action="kb.publish" if before else "kb.create",
        subject=f"article:{draft.language}:{draft.article_id}",
        before=before,
        after=after,
    )
    session.flush()
    return result, row


def mark_reviewed(session: Session, *, language: str, article_id: str, actor: str, today: dt.date) -> Article | None:
    """Set the article's review date to today (audited); None if there is no such article."""
    row = get(session, language=language, article_id=article_id)
    if row is None:
        return None
    before = row.last_reviewed.isoformat()
    row.last_reviewed = today
    row.updated_at = clock.now()
    session.add(row)
    subject = f"article:{language}:{article_id}"
    audit.record(
        session,
        actor=actor,
        action="kb.reviewed",
        subject=subject,
        before={"last_reviewed": before},
        after={"last_reviewed": today.isoformat()},
    )
    return row


def waiting(session: Session, *, limit: int = QUEUE_SIZE) -> tuple[list[Unanswered], int]:
    """Residents' questions not yet dealt with, newest first, and how many there are in all (test traffic's never)."""
    open_ = Unanswered.handled_at.is_(None) & Unanswered.test_run.is_(None)
    total = session.exec(select(func.count()).select_from(Unanswered).where(open_)).one()
    rows = session.exec(
        select(Unanswered).where(open_).order_by(Unanswered.created_at.desc(), Unanswered.id.desc()).limit(limit)
    ).all()
    return list(rows), total


def question(session: Session, *, unanswered_id: int) -> Unanswered | None:
    """One question still waiting in the queue."""
    row = session.get(Unanswered, unanswered_id)
    return row if row is not None and row.handled_at is None and row.test_run is None else None


def _close(session: Session, row: Unanswered, *, actor: str, added_to: str | None) -> None:
    # The same words asked again (another caller, another text) are the same item: they leave the queue together.
    same = session.exec(
        select(Unanswered).where(
            Unanswered.handled_at.is_(None),
            Unanswered.language == row.language,
            func.lower(Unanswered.text) == row.text.lower(),
        )
    ).all()
    for one in {row.id: row, **{s.id: s for s in same}}.values():
        one.handled_at, one.handled_by, one.added_to = clock.now(), actor[:100], added_to
        session.add(one)
    audit.record(
        session,
        actor=actor,
        action="kb.question.add" if added_to else "kb.question.dismiss",
        subject=f"unanswered:{row.id}",
        before={"question": row.text, "state": "waiting"},
        after={"question": row.text, "state": f"added to {added_to}" if added_to else "dismissed"},
    )


def dismiss(session: Session, *, unanswered_id: int, actor: str) -> Unanswered | None:
    """Take a question off the queue without changing the knowledge base (audited)."""
    row = question(session, unanswered_id=unanswered_id)
    if row is not None:
        _close(session, row, actor=actor, added_to=None)
    return row


def add_as_phrasing(
    session: Session, *, unanswered_id: int, article_id: str, actor: str, threshold: float, anyway: str = ""
) -> tuple[Check, Article | None]:
    """Add a waiting question as a phrasing of an article, through the same check as any edit; on publishing, the
    question leaves the queue. Raises LookupError for a question or article that is not there."""
    row = question(session, unanswered_id=unanswered_id)
    article = get(session, language=row.language, article_id=article_id) if row else None
    if row is None or article is None:
        raise LookupError("no such question or article")
    text = " ".join(row.text.split())[:MAX_PHRASING]
    draft = ArticleCreate.model_validate(article, update={"phrasings": [*article.phrasings, text]})
    if text in article.phrasings:
        draft = ArticleCreate.model_validate(article)
    result, stored = publish(
        session, draft=draft, actor=actor, threshold=threshold, base=article.updated_at.isoformat(), anyway=anyway
    )
    if stored is not None:
        _close(session, row, actor=actor, added_to=article_id)
    return result, stored
