"""A supervisor's change to agent hours: a closure, an opening or a holiday, at once or scheduled, until cancelled."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from core.calendar import ChangeKind, HoursChange
from core.choices import choice
from core.timestamps import Timestamp, moment, stamped


class HoursChangeRow(SQLModel, table=True):
    __tablename__ = "hours_change"
    id: int | None = Field(default=None, primary_key=True)
    kind: ChangeKind = choice(ChangeKind)
    starts_at: dt.datetime = Field(sa_type=Timestamp, index=True)
    ends_at: dt.datetime | None = moment(index=True)  # None: until a supervisor reopens
    reason: dict[str, str] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_by: str = Field(max_length=100)
    created_at: dt.datetime = stamped()
    cancelled_at: dt.datetime | None = moment()
    cancelled_by: str | None = Field(default=None, max_length=100)

    def change(self) -> HoursChange:
        """What the calendar applies."""
        return HoursChange(kind=self.kind, starts_at=self.starts_at, ends_at=self.ends_at, reason=dict(self.reason),
                           id=self.id or 0)
