"""Menus edited in the console, kept in the database so every web process serves the same ones.

The menus file stays the starting point; each console edit stores the whole checked document as a new version
(`menu_override`), and "revert to file" stores a version without one. Every process keeps the menus it built and
compares one Redis value (the newest version's id) per call; only when it moved does it read the database again.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from core import audit
from core.db import run_db
from flows.menus import MenuError, Menus
from flows.models import MenuOverride

VERSION_KEY = "menus:version"
log = logging.getLogger("onecall.menus")


class StaleMenus(ValueError):
    """The menus changed since the edit was started (another supervisor, another tab)."""


def version(session: Session) -> int:
    """The newest version's id; 0 when the menus have never been edited."""
    return session.exec(select(func.max(MenuOverride.id))).one() or 0


def latest(session: Session) -> MenuOverride | None:
    """The newest version, if the menus were ever edited."""
    return session.exec(select(MenuOverride).order_by(MenuOverride.id.desc()).limit(1)).first()


def save(
    session: Session,
    *,
    document: dict | None,
    based_on: int,
    actor: str,
    action: str,
    subject: str,
    before: dict | None,
    after: dict | None,
) -> MenuOverride:
    """Store a checked document (None: the file again) as the next version, audited; StaleMenus if the menus
    moved on since `based_on`."""
    if version(session) != based_on:
        raise StaleMenus("the menus were changed meanwhile")
    row = MenuOverride(document=document, based_on=based_on, created_by=actor[:100])
    try:
        with session.begin_nested():  # based_on is unique: two edits from one version, one wins
            session.add(row)
            session.flush()
    except IntegrityError:
        raise StaleMenus("the menus were changed meanwhile") from None
    audit.record(
        session,
        actor=actor,
        action=action,
        subject=subject,
        before=before,
        after={**(after or {}), "menus_version": row.id},
    )
    return row


async def publish(redis, new_version: int) -> None:
    """Tell every process the newest version: each builds it before its next call."""
    await redis.set(VERSION_KEY, str(new_version))


def _newest(session: Session) -> tuple[int, dict | None]:
    row = latest(session)
    return (row.id, row.document) if row else (0, None)


class MenuCache:
    """This process's menus: the file's until the console edits them, then the newest stored version."""

    def __init__(self, engine, redis, *, file_menus: Menus, build: Callable[[dict], Menus]) -> None:
        self._engine, self._redis = engine, redis
        self._file, self._build = file_menus, build
        self._stamp: str | None = None
        self._menus = file_menus
        self._lock = asyncio.Lock()

    async def get(self, stamp: str | None = None) -> Menus:
        """The menus the next call hears: one Redis read (none when the caller read `stamp` with others), a database
        read only after an edit."""
        stamp = stamp or await self._redis.get(VERSION_KEY)
        if stamp is None:  # Redis was emptied (or never told): the database knows the version
            stamp = str(await run_db(self._engine, version))
            await self._redis.set(VERSION_KEY, stamp, nx=True)
        if stamp == self._stamp:
            return self._menus
        async with self._lock:
            if stamp != self._stamp:
                number, document = await run_db(self._engine, _newest)
                self._menus = self._file if document is None else self._checked(number, document)
                self._stamp = stamp
        return self._menus

    def _checked(self, number: int, document: dict) -> Menus:
        # Checked when stored; checked again here because a new release may have renamed a step or wording key.
        try:
            return self._build(document)
        except MenuError as exc:
            log.error("menus version %s no longer loads (%s): callers hear the menus file", number, exc)
            return self._file
