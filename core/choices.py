"""The one column type for a status, kind, outcome, role or scope: stored as its enum's value, read back as a member.

The database holds exactly the strings it always held (VARCHAR, no CHECK constraint, no native enum type), so a
column changes its Python type without a migration; code compares and assigns members, never `.value`.
"""

from __future__ import annotations

from enum import Enum
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field


def _values(enum: type[Enum]) -> list[str]:
    return [member.value for member in enum]


def enum_type(enum: type[Enum], *, length: int = 20) -> sa.Enum:
    """A VARCHAR(length) column type whose values are the enum's values (SQLAlchemy's default would store names)."""
    return sa.Enum(enum, native_enum=False, create_constraint=False, length=length, values_callable=_values)


def choice(enum: type[Enum], *, length: int = 20, **field: Any) -> Any:
    """A model field holding one member of `enum` (Field's own keywords: default, index...)."""
    return Field(sa_type=enum_type(enum, length=length), **field)
