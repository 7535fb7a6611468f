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
