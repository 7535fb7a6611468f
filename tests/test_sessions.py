"""Sessions end where they should: logout, password change, deactivation, role removal, idle
time; a password an admin set must be changed before anything else."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import time_machine

from app.auth.models import User
from app.extensions import db


def _signed_in(app, user, password="rahasia123"):
    client = app.test_client()
    assert client.submit("/login", {"email": user.email, "password": password}).status_code == 302
    return client


def _is_signed_in(client) -> bool:
    response = client.get("/")
    assert response.status_code in (200, 302)
    return response.status_code == 200


def test_logging_out_ends_the_other_sessions(app, make_user):
    user = make_user("student")
    laptop, phone = _signed_in(app, user), _signed_in(app, user)
    assert _is_signed_in(laptop) and _is_signed_in(phone)
    laptop.submit("/logout")
    assert not _is_signed_in(laptop) and not _is_signed_in(phone)


def test_changing_my_password_ends_other_sessions_but_keeps_this_one(app, make_user):
    user = make_user("counselor")
    laptop, phone = _signed_in(app, user), _signed_in(app, user)
    response = laptop.submit("/account/password", {"current_password": "rahasia123", "password": "baru-sekali-1",
                                                   "confirm": "baru-sekali-1"})
    assert response.status_code == 302
    assert _is_signed_in(laptop) and not _is_signed_in(phone)
    assert app.test_client().submit("/login", {"email": user.email, "password": "rahasia123"}).status_code == 422
    assert _signed_in(app, user, "baru-sekali-1")


def test_password_change_needs_the_current_password_and_matching_new_ones(app, make_user):
    user = make_user("student")
    client = _signed_in(app, user)
    wrong = client.submit("/account/password", {"current_password": "salah-salah", "password": "baru-sekali-1",
                                                "confirm": "baru-sekali-1"})
    assert wrong.status_code == 422 and "Kata sandi saat ini salah." in wrong.get_data(as_text=True)
    mismatch = client.submit("/account/password", {"current_password": "rahasia123", "password": "baru-sekali-1",
                                                   "confirm": "baru-sekali-2"})
    assert mismatch.status_code == 422 and "Kedua kata sandi baru tidak sama." in mismatch.get_data(as_text=True)
    short = client.submit("/account/password", {"current_password": "rahasia123", "password": "pendek",
                                                "confirm": "pendek"})
    assert short.status_code == 422 and "8–256 karakter" in short.get_data(as_text=True)
    assert _signed_in(app, user, "rahasia123")


def test_deactivation_ends_sessions_even_after_reactivation(app, login_as, make_user):
    admin, _ = login_as("admin")
    user = make_user("student")
    session = _signed_in(app, user)
    admin.submit(f"/admin/users/{user.id}/active", {"active": "0"})
    admin.submit(f"/admin/users/{user.id}/active", {"active": "1"})
    assert not _is_signed_in(session)  # reactivating does not revive the old session
    assert _signed_in(app, user)


def test_removing_a_role_ends_the_sessions_adding_one_does_not(app, login_as, make_user):
    admin, _ = login_as("admin")
    user = make_user("counselor", "advisor")
    session = _signed_in(app, user)
    fields = {"name": user.name, "email": user.email, "active": "y"}
    admin.submit(f"/admin/users/{user.id}", {**fields, "roles": ["counselor", "advisor", "student"]})
    assert _is_signed_in(session)
    admin.submit(f"/admin/users/{user.id}", {**fields, "roles": ["advisor", "student"]})
    assert not _is_signed_in(session)


def test_sessions_expire_after_the_idle_time(app, make_user):
    user = make_user("student")
    with time_machine.travel(datetime(2026, 11, 24, 2, 0, tzinfo=timezone.utc), tick=False) as clock:
        client = _signed_in(app, user)
        for _ in range(3):  # each request restarts the idle time
            clock.shift(timedelta(minutes=50))
            assert _is_signed_in(client)
        clock.shift(timedelta(minutes=app.config["SESSION_IDLE_MINUTES"] + 1))
        assert not _is_signed_in(client)


def test_a_page_refreshing_itself_does_not_keep_the_session_alive(app, make_user):
    """"Tugas saya" and a conversation poll in the background (X-Poll): left open on a shared
    computer, they do not restart the idle time, and the session still ends."""
    user = make_user("student")
    with time_machine.travel(datetime(2026, 11, 24, 2, 0, tzinfo=timezone.utc), tick=False) as clock:
        client = _signed_in(app, user)
        page = client.get("/tasks").get_data(as_text=True)
        assert 'hx-headers=\'{"X-Poll": "true"}\'' in page
        poll = {"HX-Request": "true", "X-Poll": "true"}
        for _ in range(3):
            clock.shift(timedelta(minutes=20))
            answer = client.get("/tasks", headers=poll)
            assert answer.status_code == 200 and "Set-Cookie" not in answer.headers
        assert "Set-Cookie" in client.get("/tasks", headers={"HX-Request": "true"}).headers  # a person's own
        clock.shift(timedelta(minutes=app.config["SESSION_IDLE_MINUTES"] - 1))
        assert client.get("/tasks", headers=poll).status_code == 200
        clock.shift(timedelta(minutes=2))
        assert client.get("/tasks", headers=poll).headers.get("HX-Redirect", "").startswith("/login")


def test_password_set_by_admin_must_be_changed_first(app, login_as):
    admin, _ = login_as("admin")
    admin.submit("/admin/users/new", {"name": "Baru Masuk", "email": "baru@test.id", "roles": ["student"],
                                      "active": "y", "password": "dari-admin-1"})
    user = _signed_in(app, User.query.filter_by(email="baru@test.id").one(), "dari-admin-1")
    for path in ("/", "/cases", "/appointments", "/account/notifications"):
        response = user.get(path)
        assert response.status_code == 302 and response.headers["Location"] == "/account/password", path
    htmx = user.get("/cases", headers={"HX-Request": "true"})
    assert htmx.headers["HX-Redirect"] == "/account/password"
    page = user.get("/account/password").get_data(as_text=True)
    assert "Kata sandi Anda diatur oleh admin" in page
    assert user.submit("/account/password", {"current_password": "dari-admin-1", "password": "milik-saya-1",
                                             "confirm": "milik-saya-1"}).status_code == 302
    assert user.get("/cases").status_code == 200
    db.session.expire_all()
    assert User.query.filter_by(email="baru@test.id").one().must_change_password is False


def test_password_reset_by_admin_must_be_changed_and_ends_sessions(app, login_as, make_user):
    admin, _ = login_as("admin")
    user = make_user("student")
    session = _signed_in(app, user)
    admin.submit(f"/admin/users/{user.id}", {"name": user.name, "email": user.email, "roles": ["student"],
                                             "active": "y", "password": "sementara-1"})
    assert not _is_signed_in(session)
    again = _signed_in(app, user, "sementara-1")
    assert again.get("/").headers["Location"] == "/account/password"
    assert again.submit("/logout").status_code == 302  # logout stays reachable


def test_session_id_carries_the_version(app, make_user):
    user = make_user("student")
    client = _signed_in(app, user)
    with client.session_transaction() as session:
        assert session["_user_id"] == f"{user.id}:1"
        session["_user_id"] = str(user.id)  # a session signed before versions existed
    assert not _is_signed_in(client)
