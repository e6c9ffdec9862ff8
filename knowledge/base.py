"""The knowledge base: loading article files into the database, and the in-memory copy every channel reads."""

from __future__ import annotations

import asyncio
import datetime as dt
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from core import clock, text_rules, version_stamp
from core.db import run_db
from knowledge.matching import Doc, Match, Matcher
from knowledge.models import Article, ArticleCreate, ArticlePublic, PlaceAnswer, Topic, Unanswered

VERSION_KEY = "kb:version"
MAX_SPOKEN_WORDS = 110  # about 40 seconds of text-to-speech
MAX_TEXT = 320


class KnowledgeFileError(ValueError):
    """A knowledge file that cannot be loaded; the message names the file, article and field."""


def read_file(path: Path) -> tuple[str, list[tuple[str, str]], list[ArticleCreate]]:
    """Parse one language's knowledge file into (language, topics, articles), checking every article."""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise KnowledgeFileError(f"{path}: not valid TOML ({exc})") from None
    language = raw.get("language") or path.stem
    topics = [(str(k), str(v)) for k, v in raw.get("topics", {}).items()]
    for key, name in topics:
        if problem := text_rules.refusal(name):
            raise KnowledgeFileError(f"{path}: topics.{key} {problem}")
    topic_keys = {k for k, _ in topics}
    articles = [_article(path, language, entry, topic_keys) for entry in raw.get("article", [])]
    ids = [a.article_id for a in articles]
    if len(ids) != len(set(ids)):
        raise KnowledgeFileError(f"{path}: an article id is used twice")
    return language, topics, articles


def _article(path: Path, language: str, entry: dict, topic_keys: set[str]) -> ArticleCreate:
    where = f"{path}: article {entry.get('id', '?')!r}"
    for key in ("id", "topic", "title", "department", "spoken", "text"):
        if not isinstance(entry.get(key), str) or not entry[key].strip():
            raise KnowledgeFileError(f"{where}: {key} must be a non-empty string")
    for key in ("title", "department", "spoken", "text", "phrasings", "keywords"):
        for value in entry.get(key) if isinstance(entry.get(key), list) else [entry.get(key, "")]:
            if problem := text_rules.refusal(str(value)):
                raise KnowledgeFileError(f"{where}: {key} {problem}")
    if entry["topic"] not in topic_keys:
        raise KnowledgeFileError(f"{where}: topic {entry['topic']!r} is not in [topics]")
    text = " ".join(entry["text"].split())
    if len(text) > MAX_TEXT:
        raise KnowledgeFileError(f"{where}: text is {len(text)} characters, over {MAX_TEXT}")
    if len(entry["spoken"].split()) > MAX_SPOKEN_WORDS:
        raise KnowledgeFileError(f"{where}: spoken answer is over {MAX_SPOKEN_WORDS} words (about 40 s)")
    try:
        reviewed = dt.date.fromisoformat(str(entry.get("last_reviewed", "")))
    except ValueError:
        raise KnowledgeFileError(f"{where}: last_reviewed must be a date like 2026-10-15") from None
    return ArticleCreate(
        place_answer=_place_answer(where, entry.get("place_answer")),
        article_id=entry["id"].strip(),
        language=language,
        topic=entry["topic"],
        title=entry["title"].strip(),
        department=entry["department"].strip(),
        service_code=str(entry.get("service_code", "")).strip(),
        phrasings=[str(p) for p in entry.get("phrasings", [])],
        keywords=[str(k) for k in entry.get("keywords", [])],
        spoken=" ".join(entry["spoken"].split()),
        text=text,
        last_reviewed=reviewed,
    )


def _place_answer(where: str, value: object) -> PlaceAnswer | None:
    if value is None:
        return None
    try:
        return PlaceAnswer(str(value))
    except ValueError:
        known = ", ".join(kind.value for kind in PlaceAnswer)
        raise KnowledgeFileError(f"{where}: place_answer {value!r} is not one of {known}") from None


def seed(session: Session, *, directory: Path, languages: list[str]) -> int:
    """Load each language's file into the database unless that language is there already; return articles added."""
    added = 0
    for code in languages:
        if session.exec(select(Article.id).where(Article.language == code).limit(1)).first() is not None:
            continue
        language, topics, articles = read_file(directory / f"{code}.toml")
        for position, (key, name) in enumerate(topics, start=1):
            session.add(Topic(key=key, language=code, name=name, position=position))
        for article in articles:
            session.add(Article.model_validate(article, update={"language": code}))
        added += len(articles)
    return added


FIELDS = ("topic", "title", "department", "service_code", "phrasings", "keywords", "spoken", "text", "last_reviewed",
          "place_answer")


@dataclass
class LanguageChanges:
    """What an import changed in one language."""

    language: str
    added: list[str] = field(default_factory=list)
    changed: dict[str, list[str]] = field(default_factory=dict)  # article id → the fields that changed
    unchanged: int = 0
    only_in_database: list[str] = field(default_factory=list)  # kept unless the import prunes
    removed: list[str] = field(default_factory=list)
    topics_changed: bool = False

    def describe(self) -> str:
        """One line for the terminal: what was added, changed, removed or left alone."""
        parts = [f"{len(self.added)} added" + (f" ({', '.join(self.added)})" if self.added else "")]
        changed = [f"{a}: {', '.join(fields)}" for a, fields in self.changed.items()]
        parts.append(f"{len(self.changed)} changed" + (f" ({'; '.join(changed)})" if changed else ""))
        parts.append(f"{self.unchanged} unchanged")
        if self.removed:
            parts.append(f"{len(self.removed)} removed ({', '.join(self.removed)})")
        if self.only_in_database:
            parts.append(f"only in the database, kept: {', '.join(self.only_in_database)}")
        if self.topics_changed:
            parts.append("topics updated")
        return f"{self.language}: " + ", ".join(parts)

    @property
    def any(self) -> bool:
        """Whether the import changed anything in this language."""
        return bool(self.added or self.changed or self.removed or self.topics_changed)


def import_files(
    session: Session, *, directory: Path, languages: list[str], prune: bool = False
) -> list[LanguageChanges]:
    """Bring the database in line with the knowledge files (articles added or updated, topics replaced)."""
    results = []
    for code in languages:
        _, topics, articles = read_file(directory / f"{code}.toml")
        result = LanguageChanges(code)
        stored = {a.article_id: a for a in session.exec(select(Article).where(Article.language == code)).all()}
        for article in articles:
            row = stored.pop(article.article_id, None)
            if row is None:
                session.add(Article.model_validate(article, update={"language": code}))
                result.added.append(article.article_id)
                continue
            fields = [f for f in FIELDS if getattr(row, f) != getattr(article, f)]
            if not fields:
                result.unchanged += 1
                continue
            for name in fields:
                setattr(row, name, getattr(article, name))
            row.updated_at = clock.now()
            session.add(row)
            result.changed[article.article_id] = fields
        for article_id, row in sorted(stored.items()):
            if prune:
                session.delete(row)
                result.removed.append(article_id)
            else:
                result.only_in_database.append(article_id)
        result.topics_changed = _replace_topics(session, code, topics)
        results.append(result)
    return results


def _replace_topics(session: Session, language: str, topics: list[tuple[str, str]]) -> bool:
    rows = session.exec(select(Topic).where(Topic.language == language).order_by(Topic.position)).all()
    if [(r.key, r.name) for r in rows] == topics:
        return False
    for row in rows:
        session.delete(row)
    session.flush()
    for position, (key, name) in enumerate(topics, start=1):
        session.add(Topic(key=key, language=language, name=name, position=position))
    return True


def bump_version(redis) -> None:
    """Tell every process the knowledge base changed: each rebuilds its copy on its next request."""
    version_stamp.bump_sync(redis, VERSION_KEY)


async def publish(redis) -> None:
    """bump_version through the async client: after an edit, every channel in every process answers with it."""
    await version_stamp.bump(redis, VERSION_KEY)


@dataclass
class KnowledgeBase:
    """One consistent, read-only copy of the knowledge base, shared by every channel in this process."""

    articles: dict[tuple[str, str], ArticlePublic]
    topics: dict[str, list[tuple[str, str]]]
    matcher: Matcher
    version: str = "0"
    by_topic: dict[tuple[str, str], list[ArticlePublic]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for (language, _), article in sorted(self.articles.items(), key=lambda kv: kv[1].title):
            self.by_topic.setdefault((language, article.topic), []).append(article)

    def article(self, language: str, article_id: str | None) -> ArticlePublic | None:
        """The article in this language, if it exists."""
        return self.articles.get((language, article_id or ""))

    def match(self, text: str, language: str) -> Match:
        """Match a resident's question to an article in their language."""
        return self.matcher.match(text, language)


def load(session: Session, version: str = "0") -> KnowledgeBase:
    """Read every article and topic from the database and build the matcher."""
    rows = session.exec(select(Article)).all()
    articles = {(a.language, a.article_id): ArticlePublic.model_validate(a) for a in rows}
    topics: dict[str, list[tuple[str, str]]] = {}
    for topic in session.exec(select(Topic).order_by(Topic.language, Topic.position)).all():
        topics.setdefault(topic.language, []).append((topic.key, topic.name))
    docs = [Doc(a.article_id, a.language, a.title, tuple(a.phrasings), tuple(a.keywords)) for a in articles.values()]
    return KnowledgeBase(articles=articles, topics=topics, matcher=Matcher.build(docs), version=version)


def record_unanswered(
    session: Session, *, text: str, language: str, channel: str, best_guess: str | None, confidence: float | None,
    at: dt.datetime | None = None,
) -> None:
    """Keep a question we could not answer for the knowledge-base team (`at`: when it was asked, if not now)."""
    unanswered = Unanswered(
        text=text[:500], language=language, channel=channel, best_guess=best_guess, confidence=confidence or 0.0,
        **({"created_at": at} if at else {}),
    )
    session.add(unanswered)


class KnowledgeCache:
    """This process's copy of the knowledge base, rebuilt when the shared version in Redis moves on."""

    def __init__(self, engine: Engine, redis) -> None:
        self._engine = engine
        self._redis = redis
        self._current: KnowledgeBase | None = None
        self._lock = asyncio.Lock()

    async def get(self, version: str | None = None) -> KnowledgeBase:
        """The current knowledge base; one Redis read per call (none when the caller read `version` with others), a
        rebuild only after an edit."""
        version = version or await version_stamp.read(self._redis, VERSION_KEY)  # never one held from before a restart
        if self._current is not None and self._current.version == version:
            return self._current
        async with self._lock:
            if self._current is None or self._current.version != version:
                self._current = await run_db(self._engine, load, version=version)
        return self._current
