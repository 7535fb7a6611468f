"""The web shell: health check, language, navigation per role, errors, static files."""
from __future__ import annotations

import re

import pytest
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


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_sqlite_pragmas(app):
    from app.extensions import db

    with db.engine.connect() as conn:
        assert conn.execute(sa.text("PRAGMA foreign_keys")).scalar() == 1
        assert conn.execute(sa.text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(sa.text("PRAGMA busy_timeout")).scalar() == 10000


ROOT = __import__("pathlib").Path(__file__).resolve().parent.parent
TEMPLATES = ROOT / "app" / "templates"
# Typographic characters every phone font has (WGL4); any other symbol or emoji may show as an empty box.
SAFE_SYMBOLS = set("—–…‘’“”•←→↑↓€™−")


def test_no_glyph_a_phone_font_may_lack():
    """Symbols and emoji are drawn (icon() in _macros.html), not typed: in templates, the Python
    that words messages, the procedure files and the scripts."""
    import unicodedata

    files = [*TEMPLATES.rglob("*.html"), *(ROOT / "app").rglob("*.py"), *(ROOT / "app").rglob("*.yaml"),
             *(ROOT / "jobs").rglob("*.py"), *(ROOT / "app" / "static" / "js").rglob("*.js")]
    found = [f"{path.relative_to(ROOT)}:{number}: {char!r} {unicodedata.name(char, '?')}"
             for path in files for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
             for char in line
             if ord(char) > 0xFF and char not in SAFE_SYMBOLS
             and (unicodedata.category(char)[0] == "S" or 0xFE00 <= ord(char) <= 0xFE0F or ord(char) >= 0x1F000)]
    assert found == []


def test_every_table_labels_its_cells_for_a_phone():
    """One way for tables on a phone: <table class="stack"> in a .table-wrap, and each data cell says
    its column (data-label) so the stacked card keeps it (app.css)."""
    problems = []
    for path in TEMPLATES.rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        if path.parent.name == "documents" and path.name.startswith("letter"):
            continue  # the PDF letters, not a screen
        for table in re.finditer(r"<table\b[^>]*>.*?</table>", text, re.S):
            name = f"{path.relative_to(TEMPLATES)}:{text.count(chr(10), 0, table.start()) + 1}"
            if 'class="stack' not in table.group(0)[:60]:
                problems.append(f"{name}: table without class stack")
            if "table-wrap" not in text[max(0, table.start() - 120):table.start()]:
                problems.append(f"{name}: table outside a .table-wrap")
            for cell in re.findall(r"<td\b[^>]*>", table.group(0)):
                if "data-label" not in cell and "colspan" not in cell:
                    problems.append(f"{name}: {cell} without data-label")
    assert problems == []
