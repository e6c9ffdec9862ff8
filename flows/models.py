"""The menus as edited in the console: every checked version, kept."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from core.timestamps import stamped


class MenuOverride(SQLModel, table=True):
    """One version of the menus as edited in the console: the whole checked document (None: back to the file).

    Rows are only added; the newest is what callers hear, and its id is the version every process compares.
    """

    __tablename__ = "menu_override"
    id: int | None = Field(default=None, primary_key=True)
    document: dict | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    based_on: int = Field(default=0, unique=True)  # the version this edit was made from: one edit per version
    created_by: str = Field(max_length=100)
    created_at: dt.datetime = stamped()
