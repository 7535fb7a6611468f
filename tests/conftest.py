"""Shared fixtures: the app on SQLite and (where reachable) PostgreSQL, clients, users."""
from __future__ import annotations

import contextlib
import contextvars
import os
import re
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask.globals import _cv_app
from flask.testing import FlaskClient
from flask_sqlalchemy.session import Session as FsaSession
from flask_sqlalchemy.session import _app_ctx_id

from app import create_app
from app.config import TEST_ENCRYPTION_KEY, TestConfig
from app.extensions import db, limiter

# `flask` processes started by tests need the key the app refuses to start without.
os.environ.setdefault("DATA_ENCRYPTION_KEY", TEST_ENCRYPTION_KEY)

PG_CANDIDATES = [
    os.environ.get("TEST_DATABASE_URL"),
    "postgresql+psycopg://ruang:ruang@127.0.0.1:5432/ruang_test",
    "postgresql+psycopg://postgres@127.0.0.1:5432/test",
]
_pg_url: str | None | bool = False


def postgres_url() -> str | None:
    """The first PostgreSQL test database that answers, or None."""
    global _pg_url
    if _pg_url is False:
        _pg_url = None
        for url in filter(None, PG_CANDIDATES):
            engine = sa.create_engine(url, connect_args={"connect_timeout": 3})
            try:
                with engine.connect():
                    _pg_url = url
                    break
            except sa.exc.OperationalError:
                continue
            finally:
                engine.dispose()
    return _pg_url


def require_postgres() -> str:
    url = postgres_url()
    if url is None:
        pytest.skip("PostgreSQL not reachable: set TEST_DATABASE_URL or start a server on 127.0.0.1:5432")
    return url


def reset_schema(url: str) -> None:
    """Drop everything in the test database (PostgreSQL: the public schema)."""
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("DROP SCHEMA public CASCADE"))
        conn.execute(sa.text("CREATE SCHEMA public"))
    engine.dispose()


class Client(FlaskClient):
    """A test client that sends the CSRF token of its session with every form post.

    Each request runs in its own app context (its own `g` and database session), as in
    production, even though the test itself holds an app context open.
    """

    _token: str | None = None

    def open(self, *args, **kwargs):
        return contextvars.copy_context().run(self._open_isolated, *args, **kwargs)

    def _open_isolated(self, *args, **kwargs):
        _cv_app.set(None)
        return super().open(*args, **kwargs)

    def csrf_token(self) -> str:
        if self._token is None:
            page = self.get("/login").get_data(as_text=True)
            self._token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
        return self._token

    def submit(self, url: str, data: dict | None = None, **kwargs):
        data = {"csrf_token": self.csrf_token(), **(data or {})}
        return self.post(url, data=data, **kwargs)


def private_postgres_database(suffix: str) -> str:
    """A database of this test run's own (dropped at the end), so that two runs on one server
    never meet; where the role may not create databases, the shared one with a fresh schema."""
    url = sa.engine.make_url(require_postgres())
    name = f"{url.database}_{suffix}_{os.getpid()}"
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            conn.execute(sa.text(f"CREATE DATABASE {name}"))
    except sa.exc.ProgrammingError:
        reset_schema(url.render_as_string(hide_password=False))
        return url.render_as_string(hide_password=False)
    finally:
        admin.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


def drop_postgres_database(url: str) -> None:
    target = sa.engine.make_url(url)
    if target.database == sa.engine.make_url(require_postgres()).database:
        return
    admin = sa.create_engine(require_postgres(), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f"DROP DATABASE IF EXISTS {target.database} WITH (FORCE)"))
    admin.dispose()


@contextlib.contextmanager
def empty_database(kind: str, folder: Path, name: str):
    """An empty database of `kind` for the duration: a SQLite file in `folder`, or a private
    PostgreSQL database (skipped with a reason where none is reachable)."""
    if kind == "sqlite":
        yield f"sqlite:///{folder / (name + '.db')}"
        return
    url = private_postgres_database(name)
    try:
        yield url
    finally:
        drop_postgres_database(url)


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database_url(request, tmp_path_factory):
    with empty_database(request.param, tmp_path_factory.mktemp("db"), "run") as url:
        yield url


@pytest.fixture(scope="session")
def _app(database_url):
    app = create_app(TestConfig(database_url))
    app.test_client_class = Client
    with app.app_context():
        db.create_all()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def clean_tables() -> None:
    tables = list(reversed(db.metadata.sorted_tables))
    if db.engine.dialect.name == "postgresql":
        names = ", ".join(t.name for t in tables)
        db.session.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    else:
        for table in tables:
            db.session.execute(table.delete())
    db.session.commit()


class _ConnectionSession(FsaSession):
    """A session on the one connection a test runs in (Flask-SQLAlchemy's own picks the engine)."""

    def get_bind(self, mapper=None, clause=None, bind=None, **kwargs):
        return self.bind


class Rollback:
    """Every session of the app (the test's and each request's, one per app context) works on one
    connection inside a transaction that is rolled back at the end, so nothing a test writes
    outlives it; a session's commit only releases its savepoint (`create_savepoint`), as in
    pypi/warehouse's conftest. Layers nest: a module's shared data is one layer, each test a
    savepoint inside it."""

    stack: list[Rollback] = []

    def __init__(self):
        self.outer = Rollback.stack[-1] if Rollback.stack else None

    def __enter__(self):
        if self.outer is None:
            self.connection = db.engine.connect()
            self.sqlite = self.connection.dialect.name == "sqlite"
            if self.sqlite:
                # pysqlite's own transaction handling defeats SAVEPOINT: let SQLAlchemy emit BEGIN.
                self.connection.connection.dbapi_connection.isolation_level = None
                sa.event.listen(self.connection, "begin", _emit_begin)
            self.transaction = self.connection.begin()
            self.original = db.session
            db.session = sa.orm.scoped_session(
                sa.orm.sessionmaker(class_=_ConnectionSession, db=db, bind=self.connection,
                                    join_transaction_mode="create_savepoint"),
                scopefunc=_app_ctx_id)
        else:
            self.connection = self.outer.connection
            self.transaction = self.connection.begin_nested()
        Rollback.stack.append(self)
        return self

    def __exit__(self, *exc):
        Rollback.stack.pop()
        db.session.rollback()
        db.session.remove()
        self.transaction.rollback()
        if self.outer is None:
            db.session = self.original
            if self.sqlite:
                sa.event.remove(self.connection, "begin", _emit_begin)
                self.connection.connection.dbapi_connection.isolation_level = ""
            self.connection.close()


def _emit_begin(connection):
    connection.exec_driver_sql("BEGIN")


@pytest.fixture
def app(_app, request):
    """The app inside an app context, with fresh rate limits, in a transaction rolled back at the
    end (or, for a test marked `real_commits`, on tables emptied first)."""
    with _app.app_context():
        limiter.reset()
        if request.node.get_closest_marker("real_commits"):
            if Rollback.stack:
                pytest.fail("a real_commits test cannot run inside shared rolled-back data")
            clean_tables()
            yield _app
            db.session.rollback()
            clean_tables()  # the tests after it start from empty tables too
            db.session.remove()
            return
        with Rollback():
            yield _app
            db.session.rollback()  # what the test left uncommitted does not count
            assert_open_tasks_kept()


@pytest.fixture(scope="module")
def shared_rollback(_app):
    """Data a whole module reads: built once in a transaction that each test's own one nests in,
    rolled back after the module. Use it before `app` in a module-scoped fixture."""
    with _app.app_context(), Rollback():
        yield


class Statements(list):
    """The SQL statements run inside `with sql() as ran:` (ran is this list), and `commits`: how
    many transactions were committed. A test's savepoints are not the app's statements, so they are
    not counted; releasing one is a commit."""

    TRANSACTION = ("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT", "BEGIN")
    commits = 0

    def statement(self, _conn, _cursor, statement, *_args):
        if not statement.lstrip().upper().startswith(self.TRANSACTION):
            self.append(statement)

    def commit(self, *_args):
        self.commits += 1


@pytest.fixture
def sql(app):
    """Count what a block runs: `with sql() as ran: client.get(url)`, then `len(ran)`, `ran.commits`."""

    @contextlib.contextmanager
    def record():
        ran = Statements()
        events = [("before_cursor_execute", ran.statement), ("commit", ran.commit), ("release_savepoint", ran.commit)]
        for name, listener in events:
            sa.event.listen(db.engine, name, listener)
        try:
            yield ran
        finally:
            for name, listener in events:
                sa.event.remove(db.engine, name, listener)

    return record


@pytest.fixture
def client(app) -> Client:
    return app.test_client()


_users = iter(range(1, 1_000_000))


def new_user(*roles, email=None, name=None, password="rahasia123", active=True, units=None, **fields):
    """A committed user holding `roles` (default: student); `units`: codes of the units they
    belong to (default: every unit). Needs an app context."""
    from app.auth.services import create_user
    from app.org.models import Unit
    from app.org.services import add_user_to_units
    from app.sop.offerings import sync_offerings

    sync_offerings()
    n = next(_users)
    roles = roles or ("student",)
    user = create_user(email=email or f"{roles[0]}{n}@test.id", name=name or f"Pengguna {roles[0].title()} {n}",
                       roles=roles, password=password, **fields)
    user.active = active
    add_user_to_units(user, db.session.scalars(db.select(Unit.code)).all() if units is None else units)
    db.session.commit()
    return user


@pytest.fixture
def make_user(app):
    """Create a committed user: make_user("counselor") or make_user(roles=[...], email=...)."""
    return new_user


@pytest.fixture
def login_as(app, make_user):
    """Log a fresh client in as a new user holding `roles`; returns (client, user)."""

    def login(*roles, **fields):
        user = make_user(*roles, **fields)
        client = app.test_client()
        response = client.submit("/login", {"email": user.email, "password": "rahasia123"})
        assert response.status_code == 302, response.get_data(as_text=True)
        return client, user

    return login


# Reading is not changing: a refused form that showed confidential values still logs the read.
READ_LOGS = {"case_access_log"}


def db_fingerprint() -> tuple:
    """Every row of every table (but the access log of reads), to prove that a request changed nothing."""
    db.session.expire_all()
    rows = []
    for table in db.metadata.sorted_tables:
        if table.name in READ_LOGS:
            continue
        result = db.session.execute(sa.select(table).order_by(*table.primary_key.columns)).all()
        rows.append((table.name, tuple(tuple(r) for r in result)))
    return tuple(rows)


ROOT = Path(__file__).resolve().parent.parent


class Mailbox:
    """A real SMTP server on loopback (aiosmtpd) that keeps what it receives."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        import email
        from email import policy

        self.messages.append(email.message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"

    def to(self, address: str) -> list:
        return [m for m in self.messages if address in m["To"]]


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp_server(app):
    """Start an SMTP server on a free loopback port and point the app's MAIL_* at it."""
    from aiosmtpd.controller import Controller

    mailbox = Mailbox()
    port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    old = {k: app.config[k] for k in ("MAIL_SERVER", "MAIL_PORT", "MAIL_USE_TLS", "MAIL_USE_SSL", "MAIL_USERNAME")}
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_USE_TLS=False, MAIL_USE_SSL=False, MAIL_USERNAME="")
    mailbox.port = port
    mailbox.controller = controller
    yield mailbox
    controller.stop()
    app.config.update(old)


def at_once(app, action, arguments) -> list[str]:
    """Run `action(argument)` for every argument in threads released together, each in its own app
    context and committed on its own: "ok", the refusal's message, or the unexpected error."""
    import threading

    from app.errors import DomainError

    assert not Rollback.stack, "threads need their own connections: mark the test real_commits"
    outcomes, barrier = [], threading.Barrier(len(arguments))

    def attempt(argument):
        with app.app_context():
            try:
                barrier.wait(timeout=30)
                action(argument)
                db.session.commit()
                outcomes.append("ok")
            except DomainError as exc:
                db.session.rollback()
                outcomes.append(exc.message)
            except Exception as exc:  # reported by the caller's assertion
                db.session.rollback()
                outcomes.append(repr(exc))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=attempt, args=(argument,)) for argument in arguments]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return outcomes


def assert_open_tasks_kept() -> None:
    """The OpenTask rows the engine keeps are exactly what open_roles says of every active step of
    every open case, and the FollowUpWait rows what follow_up_open_roles says of every open case:
    what "Tugas saya" and the case lists read stays true to can_act and follow_up_role."""
    from app.sop.access import open_roles
    from app.sop.models import Case, CaseState, CaseStep, OpenTask, StepState

    kept = set(db.session.execute(sa.select(OpenTask.case_step_id, OpenTask.role, OpenTask.case_id, OpenTask.code,
                                            OpenTask.unit_id, OpenTask.opened_at, OpenTask.due_at, OpenTask.active_at)))
    cases = db.session.scalars(sa.select(Case).where(Case.state == CaseState.OPEN, Case.id.in_(
        sa.select(CaseStep.case_id).where(CaseStep.state == StepState.ACTIVE)))).all()
    expected = {(row.id, role, case.id, case.code, case.unit_id, case.opened_at, row.due_at, row.active_at)
                for case in cases for row in case.steps
                if row.state == StepState.ACTIVE for role in open_roles(case, row)}
    assert kept == expected, "OpenTask rows out of step with the engine"
    from app.sop.access import follow_up_open_roles
    from app.sop.models import FollowUpWait

    kept = set(db.session.execute(sa.select(FollowUpWait.case_id, FollowUpWait.role, FollowUpWait.code,
                                            FollowUpWait.unit_id, FollowUpWait.opened_at)))
    cases = db.session.scalars(sa.select(Case).where(Case.state == CaseState.OPEN)).all()
    expected = {(case.id, role, case.code, case.unit_id, case.opened_at)
                for case in cases for role in follow_up_open_roles(case)}
    assert kept == expected, "FollowUpWait rows out of step with the engine"
