"""The schema only changes through Alembic: the migrated database matches every table the code declares."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text
from sqlmodel import SQLModel

import app.tables  # noqa: F401
from core.db import make_engine
from core.migrate import upgrade


def test_the_migrations_build_exactly_the_tables_the_code_declares(database_url):
    engine = make_engine(database_url)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": False})
        differences = compare_metadata(context, SQLModel.metadata)
    engine.dispose()
    assert differences == []


def test_pins_set_before_the_upgrade_stay_real_pins(tmp_path):
    """0014: every PIN from before the browser phone marked its own is an administrator's (the page never replaces
    it)."""
    url = f"sqlite:///{tmp_path / 'old.db'}"
    upgrade(url, "0012")
    engine = make_engine(url)
    with engine.begin() as connection:
        connection.execute(
            text("INSERT INTO agent_pin (agent, pin_hash, updated_at) VALUES ('Ana', '$argon2id$x', '2026-12-01')")
        )
    upgrade(url)
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT agent, pin_hash, source FROM agent_pin")).all()
    engine.dispose()
    assert [tuple(r) for r in rows] == [("Ana", "$argon2id$x", "admin")]
