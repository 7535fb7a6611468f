"""`flask db upgrade` on an empty database yields exactly the schema the models declare."""
from __future__ import annotations

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


def test_migrations_produce_the_models_schema(fresh_database):
    app = create_app(TestConfig(fresh_database))
    with app.app_context():
        upgrade()
        assert _drift(app) == []
        downgrade(revision="base")  # every migration can be undone
        assert sa.inspect(db.engine).get_table_names() == ["alembic_version"]
        db.engine.dispose()
