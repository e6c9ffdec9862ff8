"""Builders for conversation unit tests: the real knowledge files, wording, menus and catalogue, no database."""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
from pathlib import Path

from crm_bridge.catalogue import load_catalogue
from flows import runner
from flows.capabilities import VOICE, Capabilities
from flows.emergency import EmergencyWords
from flows.engine import Conversation, Deps
from flows.menus import Menus
from flows.session import Session
from flows.turns import Input, InputKind
from flows.wording import Wording
from knowledge.base import KnowledgeBase, read_file
from knowledge.matching import Doc, Matcher
from knowledge.models import ArticlePublic
from settings import ROOT, Settings, load_settings

UPDATED = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)


@functools.cache
def settings() -> Settings:
    """The shipped config.toml with a fixed auth token (no environment, no database)."""
    env = {"TWILIO_AUTH_TOKEN": "unit", "TWILIO_ACCOUNT_SID": "AC" + "0" * 32, "DATABASE_URL": "sqlite://"}
    return load_settings(ROOT / "config.toml", env)


@functools.cache
def knowledge() -> KnowledgeBase:
    """The shipped knowledge files, indexed as the web process indexes them."""
    articles, topics = {}, {}
    for language in settings().languages:
        code, topic_list, rows = read_file(settings().knowledge_dir / f"{language.code}.toml")
        topics[code] = topic_list
        for row in rows:
            articles[(code, row.article_id)] = ArticlePublic(**row.model_dump(), updated_at=UPDATED)
    docs = [Doc(a.article_id, a.language, a.title, tuple(a.phrasings), tuple(a.keywords)) for a in articles.values()]
    return KnowledgeBase(articles=articles, topics=topics, matcher=Matcher.build(docs))


@functools.cache
def wording() -> Wording:
    """The shipped wording."""
    return Wording.load([language.code for language in settings().languages], {})


@functools.cache
def emergency_words() -> EmergencyWords:
    """The shipped emergency vocabulary."""
    return EmergencyWords.load(settings().knowledge_dir, [language.code for language in settings().languages])


def menus(path: Path | None = None) -> Menus:
    """The shipped menus file, or another one, checked as at start."""
    chosen = dataclasses.replace(settings(), menus_file=path) if path else settings()
    return runner.menus_for(chosen, wording())


def conversation(caps: Capabilities = VOICE, *, menu_file: Path | None = None, **deps) -> Conversation:
    """A conversation over the real data, for one channel; deps override Deps fields (short_menu, open_lines)."""
    base = Deps(settings=settings(), wording=wording(), kb=knowledge(), menus=menus(menu_file), caps=caps,
                catalogue=load_catalogue(), zone=settings().timezone, emergency=emergency_words())
    return Conversation(dataclasses.replace(base, **deps))


def session(**fields) -> Session:
    """A fresh English session from a real-looking number."""
    return Session(**{"lang": "en-US", "phone": "+13125550147", "can_text": True, **fields})


def key(value: str) -> Input:
    """A key pressed."""
    return Input(InputKind.KEY, value)


def said(words: str, confidence: float = 0.9) -> Input:
    """Words spoken."""
    return Input(InputKind.SPEECH, words, confidence)


def typed(words: str) -> Input:
    """Words texted."""
    return Input(InputKind.TEXT, words)


def spoken(turn) -> str:
    """Everything a turn says, in order: lines then prompt."""
    return " ".join(text for _, text in [*turn.lines, *turn.prompt])
