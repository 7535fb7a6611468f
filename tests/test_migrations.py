"""`flask db upgrade` on an empty database yields exactly the schema the models declare."""
from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from app import create_app
from app.config import TestConfig
from app.extensions import db
from tests.conftest import empty_database


@pytest.fixture(params=["sqlite", "postgresql"])
def fresh_database(request, tmp_path):
    with empty_database(request.param, tmp_path, "migrations") as url:
        yield url


def _drift(app) -> list:
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True, "compare_server_default": False})
        return compare_metadata(context, db.metadata)


def _checks_in_database() -> dict:
    inspector = sa.inspect(db.engine)
    return {(table, c["name"]): sorted(re.findall(r"'([^']*)'", str(c["sqltext"])))
            for table in inspector.get_table_names() for c in inspector.get_check_constraints(table)}


def _checks_in_models() -> dict:
    """The CHECK constraints the models declare (state columns), with the values they allow —
    which alembic's comparison does not look at."""
    checks = {}
    for table in db.metadata.sorted_tables:
        for column in table.columns:
            if isinstance(column.type, sa.Enum) and column.type.create_constraint:
                name = db.metadata.naming_convention["ck"] % {"table_name": table.name,
                                                               "constraint_name": column.type.name}
                checks[(table.name, name)] = sorted(column.type.enums)
    return checks


def test_migrations_produce_the_models_schema(fresh_database):
    app = create_app(TestConfig(fresh_database))
    with app.app_context():
        upgrade()
        assert _drift(app) == []
        assert _checks_in_database() == _checks_in_models()
        downgrade(revision="base")  # every migration can be undone
        assert sa.inspect(db.engine).get_table_names() == ["alembic_version"]
        db.engine.dispose()


def test_step_actors_move_from_the_comma_string_to_rows_and_back(fresh_database):
    """0014: each role of `case_steps.actor_roles` becomes a `case_step_actors` row, and back."""
    app = create_app(TestConfig(fresh_database))
    with app.app_context():
        upgrade(revision="0013_workshops")
        with db.engine.begin() as conn:
            conn.execute(sa.text("INSERT INTO users (id, email, name, password_hash, active, created_at) "
                                 "VALUES (1, 'a@test.id', 'A', 'x', true, '2026-11-24 00:00:00')"))
            conn.execute(sa.text("INSERT INTO procedure_versions (id, code, version, digest, title, definition, "
                                 "created_at) VALUES (1, 'p', 1, 'd', 'P', '{}', '2026-11-24 00:00:00')"))
            conn.execute(sa.text("INSERT INTO cases (id, procedure_version_id, code, title, state, opened_by_id, "
                                 "opened_at, data) VALUES (1, 1, 'p', 'K', 'open', 1, '2026-11-24 00:00:00', '{}')"))
            conn.execute(sa.text("INSERT INTO case_steps (id, case_id, position, key, attempt, title, actor_roles, "
                                 "state, data) VALUES (1, 1, 1, 'a', 1, 'A', ',staff,head,', 'active', '{}'), "
                                 "(2, 1, 2, 'b', 1, 'B', ',subject,', 'pending', '{}')"))
        upgrade(revision="0014_step_actors")
        with db.engine.connect() as conn:
            rows = conn.execute(sa.text("SELECT case_step_id, role FROM case_step_actors ORDER BY 1, 2")).all()
        assert [tuple(r) for r in rows] == [(1, "head"), (1, "staff"), (2, "subject")]
        downgrade(revision="0013_workshops")
        with db.engine.connect() as conn:
            back = dict(conn.execute(sa.text("SELECT id, actor_roles FROM case_steps")).all())
        assert sorted(back[1].strip(",").split(",")) == ["head", "staff"] and back[2] == ",subject,"
        db.engine.dispose()


def test_open_tasks_are_filled_from_the_active_steps_of_open_cases(fresh_database):
    """0021: each active step of an open case gets an open_tasks row per role its holders may act
    on it by beyond the team: not the subject or assignee, a team role only while nobody serves or
    served the case in it (the procedure version's team roles; counselor when it names none)."""
    app = create_app(TestConfig(fresh_database))
    with app.app_context():
        upgrade(revision="0020_case_people_index")
        at = "'2026-11-24 00:00:00'"
        with db.engine.begin() as conn:
            conn.execute(sa.text(f"INSERT INTO users (id, email, name, password_hash, active, created_at) "
                                 f"VALUES (1, 'a@test.id', 'A', 'x', true, {at})"))
            conn.execute(sa.text("INSERT INTO institutions (id, name, unit, timezone, office_hours) "
                                 "VALUES (1, 'I', 'U', 'Asia/Jakarta', '{}')"))
            conn.execute(sa.text("INSERT INTO units (id, institution_id, code, name, institution_name, office_hours) "
                                 "VALUES (7, 1, 'u', 'U', 'I', '{}')"))
            conn.execute(sa.text(
                f"INSERT INTO procedure_versions (id, code, version, digest, title, definition, created_at) VALUES "
                f"(1, 'p', 1, 'd1', 'P', '{{}}', {at}), "
                f"(2, 'q', 1, 'd2', 'Q', '{{\"team_roles\": [\"counselor\", \"psychiatrist\"]}}', {at})"))
            conn.execute(sa.text(
                f"INSERT INTO cases (id, procedure_version_id, code, title, state, opened_by_id, unit_id, opened_at, "
                f"data) VALUES (1, 1, 'p', 'K', 'open', 1, NULL, {at}, '{{}}'), (2, 2, 'q', 'L', 'open', 1, 7, {at}, "
                f"'{{}}'), (3, 1, 'p', 'M', 'closed', 1, NULL, {at}, '{{}}')"))
            conn.execute(sa.text(
                "INSERT INTO case_steps (id, case_id, position, key, attempt, title, state, data) VALUES "
                "(1, 1, 1, 'a', 1, 'A', 'active', '{}'), (2, 1, 2, 'b', 1, 'B', 'pending', '{}'), "
                "(3, 2, 1, 'a', 1, 'A', 'active', '{}'), (4, 3, 1, 'a', 1, 'A', 'active', '{}')"))
            conn.execute(sa.text(
                "INSERT INTO case_step_actors (case_step_id, role) VALUES (1, 'staff'), (1, 'counselor'), "
                "(1, 'subject'), (1, 'assignee'), (2, 'staff'), (3, 'counselor'), (3, 'psychiatrist'), (4, 'staff')"))
            conn.execute(sa.text(f"INSERT INTO case_members (case_id, user_id, role, how, added_at, removed_at) "
                                 f"VALUES (1, 1, 'counselor', 'claimed', {at}, {at})"))  # removed: still served
        upgrade(revision="0021_open_tasks")
        with db.engine.connect() as conn:
            rows = conn.execute(sa.text(
                "SELECT case_step_id, role, case_id, code, unit_id FROM open_tasks ORDER BY 1, 2"))
            assert [tuple(r) for r in rows] == [(1, "staff", 1, "p", None), (3, "counselor", 2, "q", 7),
                                                (3, "psychiatrist", 2, "q", 7)]
            assert conn.execute(sa.text("SELECT count(*) FROM open_tasks WHERE opened_at IS NULL")).scalar() == 0
        downgrade(revision="0020_case_people_index")
        db.engine.dispose()


def test_thread_reads_are_filled_from_the_last_reading_of_each_conversation(fresh_database):
    """0023: each reader's last reading of a conversation in the access log reads up to the newest
    message written by then; other access-log lines and later messages count not."""
    app = create_app(TestConfig(fresh_database))
    with app.app_context():
        upgrade(revision="0022_follow_up_waits")
        with db.engine.begin() as conn:
            conn.execute(sa.text("INSERT INTO users (id, email, name, password_hash, active, created_at) VALUES "
                                 "(1, 'a@test.id', 'A', 'x', true, '2026-11-24 00:00:00'), "
                                 "(2, 'b@test.id', 'B', 'x', true, '2026-11-24 00:00:00')"))
            conn.execute(sa.text("INSERT INTO procedure_versions (id, code, version, digest, title, definition, "
                                 "created_at) VALUES (1, 'p', 1, 'd', 'P', '{}', '2026-11-24 00:00:00')"))
            conn.execute(sa.text("INSERT INTO cases (id, procedure_version_id, code, title, state, opened_by_id, "
                                 "opened_at, data) VALUES (1, 1, 'p', 'K', 'open', 1, '2026-11-24 00:00:00', '{}')"))
            conn.execute(sa.text(
                "INSERT INTO thread_messages (id, case_id, author_id, sealed, created_at) VALUES "
                "(10, 1, 1, 's', '2026-11-24 09:00:00'), (11, 1, 2, 's', '2026-11-24 10:00:00'), "
                "(12, 1, 2, 's', '2026-11-24 12:00:00')"))
            conn.execute(sa.text(
                "INSERT INTO case_access_log (case_id, user_id, action, at, fields) VALUES "
                "(1, 1, 'read', '2026-11-24 09:30:00', 'percakapan'), (1, 1, 'read', '2026-11-24 11:00:00', "
                "'percakapan'), (1, 1, 'read', '2026-11-24 13:00:00', 'masalah'), "
                "(1, 1, 'view', '2026-11-24 13:00:00', NULL), (1, 2, 'read', '2026-11-24 08:00:00', 'percakapan')"))
        upgrade(revision="0023_thread_reads")
        with db.engine.connect() as conn:
            rows = conn.execute(sa.text("SELECT case_id, user_id, message_id FROM thread_reads"))
            assert [tuple(r) for r in rows] == [(1, 1, 11)]  # B read before any message: nothing
        downgrade(revision="0022_follow_up_waits")
        db.engine.dispose()
