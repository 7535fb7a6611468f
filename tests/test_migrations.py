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
