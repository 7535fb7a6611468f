"""How the app uses its PostgreSQL connections (issue 15): a pooled connection is pinged only
after it waited, and a dead one is replaced before a request meets it; no JIT nor parallel
workers for a page's queries; a reading request ends with COMMIT, so that the connection keeps
its prepared statements. Each test has an app of its own on the real database, with no shared
test transaction around it (a module's shared data would bind the app's session to its own
connection instead), which is why these live in a module of their own."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.extensions import db
from tests.conftest import require_postgres


@pytest.fixture
def engine():
    """An app's engine of its own on the PostgreSQL test database (its own connection pool)."""
    from app import create_app
    from app.config import TestConfig

    made = create_app(TestConfig(require_postgres()))
    with made.app_context():
        own = db.engines[None]
        yield own
        own.dispose()


def _backend(engine) -> int:
    with engine.connect() as conn:  # taken from the pool and given back
        return conn.scalar(sa.text("SELECT pg_backend_pid()"))


def _terminate(pid: int) -> None:
    other = sa.create_engine(require_postgres())
    with other.connect() as conn:
        conn.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    other.dispose()


def test_a_connection_that_waited_is_pinged_and_replaced_when_the_server_dropped_it(engine, monkeypatch):
    from app import database

    pid = _backend(engine)
    _terminate(pid)
    monkeypatch.setattr(database, "PING_AFTER_IDLE_SECONDS", 0.0)
    assert _backend(engine) != pid  # a fresh connection, and no error for the request


def test_a_connection_in_steady_use_is_not_pinged(engine, monkeypatch):
    """The proof the saving is real: a connection back within the idle time is handed out
    unpinged (a dropped one then fails the request, and the pool replaces it)."""
    from app import database

    pid = _backend(engine)
    _terminate(pid)
    monkeypatch.setattr(database, "PING_AFTER_IDLE_SECONDS", 3600.0)
    with pytest.raises(sa.exc.OperationalError):
        _backend(engine)
    assert _backend(engine) != pid  # the pool has replaced it


def test_the_apps_postgresql_connections_do_not_jit_compile_nor_start_parallel_workers(engine):
    """Compiling a page's query took longer than running it (bench/scale.py: 35 of 86 ms), and
    starting a parallel worker for a page's index reads doubled it (11 → 5 ms)."""
    with engine.connect() as conn:
        assert conn.scalar(sa.text("SHOW jit")) == "off"
        assert conn.scalar(sa.text("SHOW max_parallel_workers_per_gather")) == "0"


def test_a_reading_request_ends_with_commit_and_its_statements_stay_prepared(engine):
    """psycopg forgets a connection's prepared statements on every ROLLBACK: a request that only
    read ends its transaction with COMMIT instead, so that a page's queries are planned once per
    connection (bench/pages.py: the alumni home 235 → 338 requests per second)."""
    from flask import current_app

    client = current_app.test_client()
    for _ in range(8):  # psycopg prepares a statement on its fifth run on one connection
        assert client.get("/healthz").status_code == 200
    with engine.connect() as conn:  # the pool's one connection, the requests' own
        prepared = conn.execute(sa.text("SELECT statement FROM pg_prepared_statements")).scalars().all()
    assert prepared.count("SELECT 1") == 1, prepared
