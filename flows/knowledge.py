"""The knowledge base: loading article files into the database, and the in-memory copy every channel reads."""

from __future__ import annotations

import asyncio
import datetime as dt
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from core.db import run_db
from flows.matching import Doc, Match, Matcher
from flows.models import Article, ArticleCreate, ArticlePublic, Topic, Unanswered

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
    session: Session, *, text: str, language: str, channel: str, best_guess: str | None, confidence: float | None
) -> None:
    """Keep a question we could not answer for the knowledge-base team."""
    unanswered = Unanswered(
        text=text[:500], language=language, channel=channel, best_guess=best_guess, confidence=confidence or 0.0
    )
    session.add(unanswered)


class KnowledgeCache:
    """This process's copy of the knowledge base, rebuilt when the shared version in Redis moves on."""

    def __init__(self, engine: Engine, redis) -> None:
        self._engine = engine
        self._redis = redis
        self._current: KnowledgeBase | None = None
        self._lock = asyncio.Lock()

    async def get(self) -> KnowledgeBase:
        """The current knowledge base; one Redis read per call, a rebuild only after an edit."""
        version = await self._redis.get(VERSION_KEY) or "0"
        if self._current is not None and self._current.version == version:
            return self._current
        async with self._lock:
            if self._current is None or self._current.version != version:
                self._current = await run_db(self._engine, load, version=version)
        return self._current
