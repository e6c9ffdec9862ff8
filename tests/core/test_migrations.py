"""The schema only changes through Alembic: the migrated database matches every table the code declares."""

from __future__ import annotations

import threading

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlmodel import SQLModel

import app.tables  # noqa: F401
from core.db import make_engine
from core.migrate import alembic_config, migration_lock, upgrade


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


def _fresh_url(database_url: str, tmp_path, name: str) -> str:
    """A database of its own for this test: a new SQLite file, or a new PostgreSQL schema on the test server."""
    if not database_url.startswith("postgresql"):
        return f"sqlite:///{tmp_path / 'fresh.db'}"
    engine = make_engine(database_url)
    with engine.begin() as connection:
        connection.execute(text(f"DROP SCHEMA IF EXISTS {name} CASCADE"))
        connection.execute(text(f"CREATE SCHEMA {name}"))
    engine.dispose()
    separator = "&" if "?" in database_url else "?"
    return f"{database_url}{separator}options=-csearch_path%3D{name}"


def _drop_schema(database_url: str, name: str) -> None:
    if database_url.startswith("postgresql"):
        engine = make_engine(database_url)
        with engine.begin() as connection:
            connection.execute(text(f"DROP SCHEMA IF EXISTS {name} CASCADE"))
        engine.dispose()


def _revision(url: str) -> str:
    engine = make_engine(url)
    with engine.connect() as connection:
        found = connection.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
    engine.dispose()
    return found


def test_a_migrate_waits_while_another_holds_the_lock(database_url, tmp_path):
    url = _fresh_url(database_url, tmp_path, "migrate_wait")
    done = threading.Event()
    try:
        with migration_lock(url):
            worker = threading.Thread(target=lambda: (upgrade(url), done.set()))
            worker.start()
            assert not done.wait(1.5), "a migrate ran while another held the lock"
        worker.join(120)
        assert done.is_set()
        assert _revision(url) == ScriptDirectory.from_config(alembic_config(url)).get_current_head()
    finally:
        _drop_schema(database_url, "migrate_wait")


def test_two_migrates_at_once_both_succeed_and_reach_the_head(database_url, tmp_path):
    url = _fresh_url(database_url, tmp_path, "migrate_race")
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def run():
        start.wait()
        try:
            upgrade(url)
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    try:
        runs = [threading.Thread(target=run, daemon=True) for _ in range(2)]
        for thread in runs:
            thread.start()
        for thread in runs:
            thread.join(90)
        assert not any(thread.is_alive() for thread in runs), "the two migrates never finished"
        assert errors == []
        assert _revision(url) == ScriptDirectory.from_config(alembic_config(url)).get_current_head()
    finally:
        _drop_schema(database_url, "migrate_race")
