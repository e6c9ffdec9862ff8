"""The schema only changes through Alembic: the migrated database matches every table the code declares."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel

import app.tables  # noqa: F401
from core.db import make_engine


def test_the_migrations_build_exactly_the_tables_the_code_declares(database_url):
    engine = make_engine(database_url)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": False})
        differences = compare_metadata(context, SQLModel.metadata)
    engine.dispose()
    assert differences == []
