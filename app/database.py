"""Database helpers shared by every domain: UTC timestamps and SQLite pragmas."""
from __future__ import annotations

import os
import time
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import DateTime, Enum, event, exc, select, union
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.types import TypeDecorator

from app.extensions import db


def enum_values(enum_class) -> list[str]:
    """Store enums by value ('active'), which partial indexes and raw SQL can name."""
    return [member.value for member in enum_class]


def state_enum(enum_class) -> Enum:
    """An enum column stored by value, with a CHECK constraint naming exactly its values, so the
    database refuses a state the code does not know."""
    return Enum(enum_class, native_enum=False, length=20, values_callable=enum_values, create_constraint=True,
                name=enum_class.__name__.lower())


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class UTCDateTime(TypeDecorator):
    """A timezone-aware UTC datetime on every database (SQLite keeps naive UTC)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given where UTC was expected")
        value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


def add_durable(model, **values) -> None:
    """Add a row that stays even when the request's answer rolls its transaction back: the access
    log (a confidential value shown on a refused form was still read). The request hook adds the
    rows again after such a rollback and commits them alone."""
    from flask import g, has_request_context

    db.session.add(model(**values))
    if has_request_context():
        g.setdefault("durable_rows", []).append((model, values))


def restore_durable(session) -> None:
    """After a rollback: add this request's durable rows again and commit them."""
    from flask import g

    rows = g.pop("durable_rows", [])
    if rows:
        session.add_all(model(**values) for model, values in rows)
        session.commit()


def create_private_sqlite_file(uri: str, instance_path: str) -> None:
    """Create a SQLite database file readable by its owner only (0600) before SQLite would create
    it world-readable; SQLite gives its -wal and -shm files the same mode."""
    url = make_url(uri)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:" \
            or url.database.startswith("file:"):
        return
    path = Path(url.database)
    if not path.is_absolute():  # Flask-SQLAlchemy puts relative SQLite paths in the instance folder
        path = Path(instance_path) / path
    if path.exists():
        return
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, _record):
    """WAL, enforced foreign keys and a busy timeout for the embedded SQLite default."""
    module = type(dbapi_connection).__module__
    if not module.startswith("sqlite3"):
        return
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


# A connection that waited in the pool longer than this is pinged before use (a server restarted
# in between is then met by a fresh connection, not by the request); one in steady use is not,
# which saves a round trip on every request under load (pool_pre_ping pings every checkout).
PING_AFTER_IDLE_SECONDS = 1.0


def ping_idle_connections(engine) -> None:
    """SQLAlchemy's pessimistic disconnect handling, for connections idle a while only: a failed
    ping raises DisconnectionError, on which the pool replaces the connection and tries again."""

    @event.listens_for(engine, "checkin")
    def _checked_in(_dbapi_connection, record):
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checked_out(dbapi_connection, record, _proxy):
        idle_since = record.info.pop("idle_since", None)
        if idle_since is None or time.monotonic() - idle_since < PING_AFTER_IDLE_SECONDS:
            return  # new, or in steady use
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as error:
            raise exc.DisconnectionError(f"ping failed: {error}") from error


# -- writes that may meet an existing row (idempotency keys, counters, rollups) ------------
def _insert(model):
    return (pg_insert if db.engine.dialect.name == "postgresql" else sqlite_insert)(model)


def insert_ignore(model, **values) -> bool:
    """INSERT … ON CONFLICT DO NOTHING (SQLite and PostgreSQL); True when a row was written."""
    statement = _insert(model).values(**values).on_conflict_do_nothing().returning(
        *model.__table__.primary_key.columns)
    return db.session.execute(statement).first() is not None


def raise_to(model, column: str, value, **key) -> None:
    """INSERT the row of `key`, or raise its `column` to `value` where that is higher: a position
    that only moves forward, whatever order concurrent requests write it in."""
    statement = _insert(model).values(**key, **{column: value})
    db.session.execute(statement.on_conflict_do_update(
        index_elements=list(key), set_={column: statement.excluded[column]},
        where=getattr(model, column) < statement.excluded[column]))


def insert_all(model, rows: list[dict]) -> int:
    """INSERT … ON CONFLICT DO NOTHING of many rows, sent as multi-row statements (SQLAlchemy's
    "insertmanyvalues", up to 1,000 rows each); returns how many rows were written."""
    statement = _insert(model).on_conflict_do_nothing().returning(*model.__table__.primary_key.columns)
    return len(db.session.execute(statement, rows).all())


def union_of(parts):
    """The UNION (without duplicates) of selects that each have their own ORDER BY and LIMIT:
    SQLite takes no LIMIT inside a UNION's part, so each part is read through a subquery."""
    return union(*(select(*part.subquery().c) for part in parts))
