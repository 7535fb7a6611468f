"""Hardening: a resent e-mail keeps its Message-ID, error pages need no database, downloads of
personal data are never cached, static files are nosniff, the SQLite file is private, and the
public letter check shows nothing about the case."""
from __future__ import annotations

import os
import re
from datetime import datetime, timezone

import pytest
import sqlalchemy as sa

from app import create_app
from app.config import TestConfig
from app.documents.models import Letter
from app.extensions import db
from app.notifications.models import Channel, OutboxMessage, OutboxStatus
from app.notifications.services import deliver_due, enqueue
from app.sop.registry import get_procedure
from app.sop.services import complete_step, open_case
from tests.conftest import Client, drop_postgres_database, private_postgres_database, require_postgres

KARIER = {"nim": "19010001 / 2023", "prodi": "Pendidikan Matematika", "phone": "0812", "mode": "online",
          "question": "RAHASIA: ragu memilih karier"}
NOW = datetime(2026, 11, 23, 3, 0, tzinfo=timezone.utc)


@pytest.fixture
def letter(app, make_user):
    """A career case whose head assigned a counselor: the recommendation letter is issued."""
    staff, head = make_user("staff"), make_user("head", name="Dr. Ratih Christiana, M.Pd.")
    counselor = make_user("counselor", name="Dra. Endang Lestari")
    case = open_case(get_procedure("pgri-konseling-karier"), make_user("alumni", name="Budi Santoso"), dict(KARIER),
                     now=NOW)
    complete_step(case, "izin_tu", staff, {}, now=NOW)
    complete_step(case, "form_permohonan", staff, {"complete": "lengkap"}, now=NOW)
    complete_step(case, "rekomendasi", head, {"counselor": str(counselor.id)}, now=NOW)
    db.session.commit()
    return db.session.scalar(sa.select(Letter).where(Letter.case_id == case.id)), counselor, head


def test_a_message_delivered_twice_carries_the_same_message_id(app, smtp_server):
    enqueue(Channel.EMAIL, "siswa@test.id", "Isi pesan", key="uji:1", subject="Uji")
    db.session.commit()
    deliver_due()
    # A crash after the SMTP send, before the outcome was recorded: the row is pending again.
    message = db.session.scalar(sa.select(OutboxMessage))
    message.status = OutboxStatus.PENDING
    db.session.commit()
    deliver_due()
    first, second = smtp_server.to("siswa@test.id")
    assert first["Message-ID"] == second["Message-ID"]
    assert re.fullmatch(rf"<outbox-{message.id}-[0-9a-f]{{16}}@ruang-konseling\.local>", first["Message-ID"])


def test_with_the_database_gone_a_signed_in_user_gets_the_apps_own_503_page():
    url = private_postgres_database("down")
    if sa.engine.make_url(url).database == sa.engine.make_url(require_postgres()).database:
        pytest.skip("needs a PostgreSQL database of its own to drop (the role may not create databases)")
    app = create_app(TestConfig(url))
    app.test_client_class = Client
    try:
        with app.app_context():
            from app.auth.services import create_user

            db.create_all()
            create_user(email="konselor@test.id", name="Konselor", roles=["counselor"], password="rahasia123")
            db.session.commit()
        client = app.test_client()
        assert client.submit("/login", {"email": "konselor@test.id", "password": "rahasia123"}).status_code == 302
        assert client.get("/").status_code == 200
        drop_postgres_database(url)  # terminates the app's connections too
        page = client.get("/")
        body = page.get_data(as_text=True)
        assert page.status_code == 503 and page.headers["Retry-After"] == "30"
        assert "Layanan sedang tidak tersedia" in body and "Basis data sedang tidak dapat dihubungi" in body
        assert "css/app.css" in body and "Internal Server Error" not in body
        fragment = client.get("/cases", headers={"HX-Request": "true"})
        assert fragment.status_code == 503 and "<html" not in fragment.get_data(as_text=True)
        assert "Layanan sedang tidak tersedia" in fragment.get_data(as_text=True)
    finally:
        with app.app_context():
            db.engine.dispose()
        drop_postgres_database(url)


def test_a_database_failure_after_the_view_also_answers_503(tmp_path):
    """The request's own commit runs after the view; a database failing there is a 503 too."""
    app = create_app(TestConfig(f"sqlite:///{tmp_path / 'app.db'}"))
    app.config["PROPAGATE_EXCEPTIONS"] = False

    @app.after_request
    def _failing_commit(response):
        db.session.execute(sa.text("SELECT * FROM gone"))  # sqlite3.OperationalError, as a lost file gives
        return response

    response = app.test_client().get("/login")
    with app.app_context():
        db.engine.dispose()
    assert response.status_code == 503 and "Layanan sedang tidak tersedia" in response.get_data(as_text=True)


def test_downloads_of_personal_data_are_never_cached(letter, app):
    letter, counselor, head = letter
    client = app.test_client()
    assert client.submit("/login", {"email": counselor.email, "password": "rahasia123"}).status_code == 302
    pdf = client.get(f"/letters/{letter.id}.pdf")
    assert pdf.status_code == 200 and pdf.headers["Cache-Control"] == "private, no-store"
    head_client = app.test_client()
    head_client.submit("/login", {"email": head.email, "password": "rahasia123"})
    xlsx = head_client.get("/reports/compliance.xlsx")
    assert xlsx.status_code == 200 and xlsx.headers["Cache-Control"] == "private, no-store"


def test_static_files_are_nosniff(client):
    for path in ("/static/css/app.css", "/static/vendor/htmx.min.js", "/static/img/logo.svg"):
        with client.get(path) as response:
            assert response.status_code == 200 and response.headers["X-Content-Type-Options"] == "nosniff"


def test_the_sqlite_file_is_readable_by_its_owner_only(tmp_path):
    path = tmp_path / "instance" / "ruang.db"
    umask = os.umask(0o022)
    try:
        app = create_app(TestConfig(f"sqlite:///{path}"))
        with app.app_context():
            db.create_all()
            db.session.execute(sa.text("CREATE TABLE t (x)"))
            db.session.commit()
            files = [p for p in path.parent.iterdir() if p.name.startswith("ruang.db")]
            assert {p.name for p in files} >= {"ruang.db", "ruang.db-wal"}
            assert all(p.stat().st_mode & 0o777 == 0o600 for p in files), [oct(p.stat().st_mode) for p in files]
            db.engine.dispose()
    finally:
        os.umask(umask)


def test_the_public_letter_check_shows_number_type_date_and_signer_only(letter, app):
    letter, counselor, head = letter
    response = app.test_client().get(f"/verify/{letter.verify_code}")
    body = response.get_data(as_text=True)
    # public, yet a page of the visitor's session (its CSRF token and cookie): never stored
    assert response.status_code == 200 and response.headers["Cache-Control"] == "private, no-store"
    for shown in (letter.number, letter.title, "23 November 2026", "Dr. Ratih Christiana, M.Pd."):
        assert shown in body, shown
    for hidden in ("Budi Santoso", "Dra. Endang Lestari", "19010001", "Pendidikan Matematika", "RAHASIA", "0812"):
        assert hidden not in body, hidden
