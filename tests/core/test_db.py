"""Several processes write to one SQLite file at once (run.py --web N on the embedded defaults) without an error."""

from __future__ import annotations

import subprocess
import sys

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from core.db import in_session, make_engine, on_connection
from settings import ROOT

WRITER = """
import sys
sys.path.insert(0, sys.argv[2])
from sqlalchemy import text
from sqlmodel import Session
from core.db import make_engine
engine = make_engine(sys.argv[1])
for n in range(int(sys.argv[3])):
    with Session(engine) as session:  # read, then write, in one transaction: as a webhook records a call step
        count = session.exec(text("SELECT count(*) FROM steps")).one()[0]
        session.exec(text("INSERT INTO steps (writer, seen) VALUES (:w, :c)"), params={"w": sys.argv[4], "c": count})
        session.commit()
"""


def test_several_processes_write_to_one_sqlite_file_at_once(tmp_path):
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    engine = make_engine(url)
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE steps (id INTEGER PRIMARY KEY, writer TEXT, seen INTEGER)"))
    writers = [subprocess.Popen([sys.executable, "-c", WRITER, url, str(ROOT), "150", name],
                                stderr=subprocess.PIPE, text=True) for name in ("a", "b", "c")]
    for writer in writers:
        _, errors = writer.communicate(timeout=120)
        assert writer.returncode == 0, errors  # never "database is locked": WAL and a busy timeout let them queue
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT writer, count(*) FROM steps GROUP BY writer")).all()
    engine.dispose()
    assert sorted(rows) == [("a", 150), ("b", 150), ("c", 150)]


def test_a_connection_the_database_dropped_is_replaced_and_the_work_done(engine):
    # PostgreSQL restarted or failed over: the pool's connections are dead, and no ping checks them out first.
    if engine.dialect.name != "postgresql":
        pytest.skip("an embedded SQLite file has no server to drop a connection")
    fresh = make_engine(engine.url.render_as_string(hide_password=False))
    pid = in_session(fresh, lambda session: session.execute(text("select pg_backend_pid()")).scalar())
    killer = create_engine(engine.url.render_as_string(hide_password=False), poolclass=NullPool)
    with killer.begin() as connection:
        assert connection.execute(text("select pg_terminate_backend(:pid)"), {"pid": pid}).scalar()
    assert in_session(fresh, lambda session: session.execute(text("select pg_backend_pid()")).scalar()) != pid
    assert on_connection(fresh, lambda connection: connection.execute(text("select 1")).scalar()) == 1
    fresh.dispose()
    killer.dispose()
