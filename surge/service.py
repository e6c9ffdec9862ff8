"""Surge messages: checked, stored with full history, and every change audited (who, when, before → after)."""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from pathlib import Path

from sqlmodel import Session, select

from core import audit, clock, text_rules
from surge.models import Announcement, AnnouncementCreate, AnnouncementPublic, Scope

MAX_TEXT = 500  # about 30 seconds of speech
PRESETS = Path(__file__).resolve().parent / "presets.toml"
_MARKUP = re.compile(r"[<>]|&[a-z]+;|\{|\}")


class AnnouncementError(ValueError):
    """A message that cannot be used; `field` and the message say why."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def validate(data: AnnouncementCreate, languages: list[str]) -> AnnouncementCreate:
    """A message every caller can hear: text for known languages, not empty, not too long, no markup."""
    if not data.texts:
        raise AnnouncementError("texts", "give the message's text for at least one language")
    texts = {}
    for code, text in data.texts.items():
        if code not in languages:
            raise AnnouncementError(f"texts.{code}", f"{code!r} is not a configured language ({', '.join(languages)})")
        problem = text_rules.refusal(str(text))
        if problem:
            raise AnnouncementError(f"texts.{code}", f"the message {problem}")
        text = " ".join(str(text).split())
        if not text:
            raise AnnouncementError(f"texts.{code}", "the message is empty")
        if len(text) > MAX_TEXT:
            raise AnnouncementError(f"texts.{code}", f"the message is {len(text)} characters; at most {MAX_TEXT}")
        if _MARKUP.search(text):
            raise AnnouncementError(f"texts.{code}", "markup (<, >, &...;, braces) is not allowed; write plain words")
        texts[code] = text
    if data.starts_at and data.ends_at and data.ends_at <= data.starts_at:
        raise AnnouncementError("ends_at", "ends_at must be after starts_at")
    return data.model_copy(
        update={"texts": texts, "starts_at": _aware(data.starts_at), "ends_at": _aware(data.ends_at)}
    )


def _aware(value: dt.datetime | None) -> dt.datetime | None:
    return value.replace(tzinfo=dt.UTC) if value is not None and value.tzinfo is None else value


def create(session: Session, *, data: AnnouncementCreate, languages: list[str], actor: str) -> Announcement:
    """Store a new message and audit it."""
    data = validate(data, languages)
    row = Announcement.model_validate(data, update={"created_by": actor[:100]})
    session.add(row)
    session.flush()
    _audit(session, actor=actor, action="announcement.create", row=row, before=None)
    return row


def deactivate(session: Session, *, announcement_id: int, actor: str) -> Announcement | None:
    """Take a message off the air (it stays in the history)."""
    row = session.get(Announcement, announcement_id)
    if row is None or not row.active:
        return row
    before = _dump(row)
    row.active = False
    row.updated_at = clock.now()
    session.add(row)
    _audit(session, actor=actor, action="announcement.deactivate", row=row, before=before)
    return row


def apply_preset(
    session: Session, *, name: str, languages: list[str], actor: str, now: dt.datetime
) -> list[Announcement]:
    """Create every message of a preset (e.g. "storm"), each ending after its configured hours."""
    presets = tomllib.loads(PRESETS.read_text(encoding="utf-8"))
    if name not in presets:
        raise AnnouncementError("preset", f"unknown preset {name!r}; known: {', '.join(sorted(presets))}")
    rows = []
    for message in presets[name]["message"]:
        texts = {code: text for code, text in message["texts"].items() if code in languages}
        data = AnnouncementCreate(
            scope=Scope(message["scope"]),
            texts=texts,
            priority=message.get("priority", 0),
            short_menu=message.get("short_menu", False),
            starts_at=now,
            ends_at=now + dt.timedelta(hours=message.get("hours", 12)),
        )
        rows.append(create(session, data=data, languages=languages, actor=f"{actor} (preset {name})"))
    return rows


def presets() -> dict[str, str]:
    """Every preset's name and what it is for (presets.toml), in the file's order."""
    return {name: preset.get("description", name) for name, preset in tomllib.loads(PRESETS.read_text("utf-8")).items()}


def preset_for(key: str) -> tuple[str, dict[str, str]] | None:
    """The preset surge detection offers for a spike on this key (its `topics`), and its greeting's texts."""
    for name, preset in tomllib.loads(PRESETS.read_text("utf-8")).items():
        if key in preset.get("topics", ()):
            greeting = next((m for m in preset["message"] if m["scope"] == Scope.GREETING), None)
            if greeting is not None:
                return name, dict(greeting["texts"])
    return None


def preset_of(created_by: str) -> str | None:
    """The preset that put a message on the air (from its created_by), or None for one written by hand."""
    _, marker, name = created_by.rpartition("(preset ")
    return name[:-1] if marker and name.endswith(")") else None


def end_preset(session: Session, *, name: str, actor: str) -> list[Announcement]:
    """Take every message a preset put on the air off it again (one command for "the storm is over")."""
    presets = tomllib.loads(PRESETS.read_text(encoding="utf-8"))
    if name not in presets:
        raise AnnouncementError("preset", f"unknown preset {name!r}; known: {', '.join(sorted(presets))}")
    rows = session.exec(
        select(Announcement).where(Announcement.active.is_(True), Announcement.created_by.endswith(f"(preset {name})"))
    ).all()
    return [deactivate(session, announcement_id=row.id, actor=actor) for row in rows]


def all_clear(session: Session, *, actor: str) -> list[Announcement]:
    """Take every message off the air: the ordinary greeting, queue messages and menus come back."""
    rows = session.exec(select(Announcement).where(Announcement.active.is_(True))).all()
    return [deactivate(session, announcement_id=row.id, actor=actor) for row in rows]


def current(session: Session) -> list[AnnouncementPublic]:
    """Every active message, highest priority first (time windows are checked when they are used)."""
    rows = session.exec(
        select(Announcement)
        .where(Announcement.active.is_(True))
        .order_by(Announcement.priority.desc(), Announcement.id.desc())
    ).all()
    return [AnnouncementPublic.model_validate(r) for r in rows]


def _dump(row: Announcement) -> dict:
    return AnnouncementPublic.model_validate(row).model_dump(mode="json")


def _audit(session: Session, *, actor: str, action: str, row: Announcement, before: dict | None) -> None:
    audit.record(session, actor=actor, action=action, subject=f"announcement:{row.id}", before=before, after=_dump(row))
