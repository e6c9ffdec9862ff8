"""What Live shows beside the queues: agent hours now, the alert episodes open, and for a surge a ready message;
and putting that message on the air in one step (surge's own service, audited as the alert acted on)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlmodel import Session, select

from alerts import service as alerts
from alerts.models import AlertEpisode, AlertKind
from console import hours, service
from console.hours import HoursNow
from core.db import run_db
from flows.context import FlowContext
from knowledge.models import Article
from surge import service as surge
from surge.models import AnnouncementCreate, Scope

SURGE_MESSAGE_HOURS = 4
SURGE_PRIORITY = 90


@dataclass(frozen=True)
class AlertView:
    """One open episode as Live shows it; a surge carries its ready message (texts by language) and where from."""

    id: int
    kind: AlertKind
    title: str
    detail: str
    count: int
    addresses: list[str]
    started_at: dt.datetime
    acted_by: str | None
    draft: dict[str, str] = field(default_factory=dict)
    draft_from: str = ""


@dataclass(frozen=True)
class Floor:
    hours: HoursNow
    alerts: list[AlertView]


async def floor(ctx: FlowContext) -> Floor:
    """Hours now and the open alerts, each surge with its ready message."""
    rows, titles = await run_db(ctx.engine, _open_with_titles)
    views = [_view(ctx, row, titles) for row in rows]
    return Floor(await hours.hours_now(ctx), views)


def _open_with_titles(session: Session) -> tuple[list[AlertEpisode], dict[tuple[str, str], str]]:
    rows = alerts.open_episodes(session)
    wanted = [row.key.removeprefix("topic:") for row in rows if row.key.startswith("topic:")]
    found = session.exec(select(Article.article_id, Article.language, Article.title)
                         .where(Article.article_id.in_(wanted))).all() if wanted else []
    return rows, {(article, language): title for article, language, title in found}


def _view(ctx: FlowContext, row: AlertEpisode, titles: dict[tuple[str, str], str]) -> AlertView:
    draft, source = ({}, "")
    if row.kind is AlertKind.SURGE:
        draft, source = draft_message(ctx, row, titles)
    return AlertView(row.id, row.kind, row.title, row.detail, row.count, list(row.addresses), row.started_at,
                     row.acted_by, draft, source)


def draft_message(ctx: FlowContext, row: AlertEpisode, titles: dict[tuple[str, str], str]) -> tuple[dict, str]:
    """The greeting offered for a surge: the matching preset's (surge/presets.toml `topics`), else one naming it."""
    codes = [language.code for language in ctx.settings.languages]
    preset = surge.preset_for(row.key)
    if preset is not None:
        name, texts = preset
        return {code: text for code, text in texts.items() if code in codes}, f"preset {name}"
    label = row.title.removeprefix("Surge: ").split(":")[0]
    places = ", ".join(_street(a) for a in row.addresses[:2])
    draft = {}
    for code in codes:
        topic = titles.get((row.key.removeprefix("topic:"), code), label).lower()
        near = " " + ctx.wording(code, "surge_near", places=places) if places else ""  # wording trims its ends
        draft[code] = ctx.wording(code, "surge_draft", topic=topic, near=near)
    return draft, "article" if row.key.startswith("topic:") else "detection"


def _street(address: str) -> str:
    return address.split(",")[0].strip()


async def put_on_air(ctx: FlowContext, *, episode_id: int, texts: dict[str, str], actor: str) -> dict:
    """The surge message as a greeting for the next hours (surge.service checks it), and the episode marked acted on.

    Raises surge's AnnouncementError for a message callers cannot hear; LookupError for no such episode."""
    now = ctx.now()
    data = AnnouncementCreate(scope=Scope.GREETING, texts={k: v for k, v in texts.items() if v.strip()},
                              starts_at=now, ends_at=now + dt.timedelta(hours=SURGE_MESSAGE_HOURS),
                              priority=SURGE_PRIORITY)
    exists = await run_db(ctx.engine, lambda session: session.get(AlertEpisode, episode_id) is not None)
    if not exists:
        raise LookupError(episode_id)
    created = await service.create_announcement(ctx, data, actor)
    await run_db(ctx.engine, alerts.acted, episode_id=episode_id, actor=actor, now=now,
                 what=f"announcement:{created['id']}")
    return created
