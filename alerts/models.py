"""An alert episode: from the first evaluation a rule or a spike fired to the one after it stopped firing."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from core.choices import choice
from core.timestamps import Timestamp, moment, stamped


class AlertKind(StrEnum):
    SERVICE_LEVEL = "service_level"  # too few callers answered within the service level's seconds
    LONGEST_WAIT = "longest_wait"  # a caller has waited too long
    ABANDONMENT = "abandonment"  # too many callers hang up while waiting
    CALLBACKS_DUE = "callbacks_due"  # too many call-backs owed now
    SURGE = "surge"  # contacts on one topic, service type or street far above their usual rate


class AlertEpisode(SQLModel, table=True):
    __tablename__ = "alert_episode"
    id: int | None = Field(default=None, primary_key=True)
    kind: AlertKind = choice(AlertKind, index=True)
    key: str = Field(max_length=200, index=True)  # the rule's name, or the surge's key ("topic:water-main-break")
    title: str = Field(max_length=200)  # what the banner and the text say
    detail: str = Field(default="", max_length=1000)
    count: int = 0  # a surge's contacts in its window
    addresses: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    started_at: dt.datetime = stamped(index=True)
    last_fired_at: dt.datetime = Field(sa_type=Timestamp)
    ended_at: dt.datetime | None = moment(index=True)
    acted_by: str | None = Field(default=None, max_length=100)  # the supervisor who put a message on the air
    acted_at: dt.datetime | None = moment()
