"""The web shell: health check, language, navigation per role, errors, static files."""
from __future__ import annotations

import re

import sqlalchemy as sa

from app import create_app
from app.config import TestConfig


def test_healthz_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json["status"] == "ok" and response.json["database"] == "ok"


def test_healthz_503_when_database_unreachable(tmp_path):
    app = create_app(TestConfig("postgresql+psycopg://nobody:x@127.0.0.1:1/none"))
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.json == {"status": "error", "database": "error", "timezone": "Asia/Jakarta"}


def test_language_switch_to_english_and_back(login_as):
    client, _ = login_as("admin")
    assert "Pengguna" in client.get("/admin/users").get_data(as_text=True)
    client.submit("/language", {"lang": "en", "next": "/admin/users"})
    html = client.get("/admin/users").get_data(as_text=True)
    assert '<html lang="en">' in html and "Users" in html and "Add user" in html
    client.submit("/language", {"lang": "id"})
    assert "Tambah pengguna" in client.get("/admin/users").get_data(as_text=True)


def test_navigation_shows_each_role_what_it_may_do(login_as):
    admin, _ = login_as("admin")
    student, _ = login_as("student")
    assert 'href="/admin/users"' in admin.get("/").get_data(as_text=True)
    assert 'href="/admin/users"' not in student.get("/").get_data(as_text=True)


def test_error_pages_are_friendly_full_and_fragment(login_as):
    client, _ = login_as("student")
    full = client.get("/admin/users")
    assert full.status_code == 403 and "Akses ditolak" in full.get_data(as_text=True)
    fragment = client.get("/tidak-ada", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "Halaman tidak ditemukan" in fragment and "<html" not in fragment


def test_server_error_is_friendly_and_rolls_back(database_url, app):
    from app.auth.guards import public
    from app.auth.models import User
    from app.extensions import db

    broken = create_app(TestConfig(database_url))
    broken.config["PROPAGATE_EXCEPTIONS"] = False

    @broken.get("/__boom")
    @public
    def boom():
        db.session.add(User(email="half@test.id", name="Setengah", password_hash="x"))
        db.session.flush()
        raise RuntimeError("boom")

    response = broken.test_client().get("/__boom")
    with broken.app_context():
        db.engine.dispose()
    assert response.status_code == 500 and "Terjadi kesalahan" in response.get_data(as_text=True)
    assert db.session.scalar(db.select(User).where(User.email == "half@test.id")) is None


def test_static_files_are_versioned_compressed_and_cached(client):
    html = client.get("/login").get_data(as_text=True)
    css_url = re.search(r'href="(/static/css/app\.css\?v=[0-9a-f]{10})"', html).group(1)
    with client.get(css_url, headers={"Accept-Encoding": "gzip"}) as response:
        assert response.status_code == 200
        assert response.headers["Content-Encoding"] == "gzip"
        assert "max-age=31536000" in response.headers["Cache-Control"]
    js = re.search(r'src="(/static/vendor/htmx\.min\.js\?v=[0-9a-f]{10})"', html).group(1)
    with client.get(js) as response:
        assert response.status_code == 200


def test_security_headers(client):
    response = client.get("/login")
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"


def test_sqlite_pragmas(app):
    from app.extensions import db

    if db.engine.dialect.name != "sqlite":
        return
    with db.engine.connect() as conn:
        assert conn.execute(sa.text("PRAGMA foreign_keys")).scalar() == 1
        assert conn.execute(sa.text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(sa.text("PRAGMA busy_timeout")).scalar() == 10000
