"""The one column type for moments in time: timezone-aware in SQLite and PostgreSQL alike, read from the clock."""

from __future__ import annotations

from typing import Any

from sqlmodel import Field
from sqlmodel.sql.sqltypes import UTCDateTime

from core import clock

Timestamp = UTCDateTime  # stores UTC (timestamptz on PostgreSQL) and always reads back an aware datetime


def stamped(*, index: bool = False) -> Any:
    """A required timestamp column that defaults to the injected clock's now."""
    return Field(default_factory=clock.now, index=index, sa_type=Timestamp)


def moment(*, index: bool = False) -> Any:
    """An optional timestamp column (None until something happens)."""
    return Field(default=None, index=index, sa_type=Timestamp)
