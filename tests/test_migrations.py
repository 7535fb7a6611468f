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
from tests.conftest import drop_postgres_database, private_postgres_database


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'migrated.db'}"
        return
    url = private_postgres_database("migrations")
    yield url
    drop_postgres_database(url)


def _drift(app) -> list:
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True, "compare_server_default": False})
        return compare_metadata(context, db.metadata)


def test_migrations_produce_the_models_schema(empty_database):
    app = create_app(TestConfig(empty_database))
    with app.app_context():
        upgrade()
        assert _drift(app) == []
        downgrade(revision="base")  # every migration can be undone
        assert sa.inspect(db.engine).get_table_names() == ["alembic_version"]
        db.engine.dispose()
