"""Login, logout, deactivated users, rate limits, CSRF."""
from __future__ import annotations

from app.auth.models import User
from app.extensions import db


def test_login_success_and_logout(client, make_user):
    user = make_user("counselor", email="konselor@test.id")
    response = client.submit("/login", {"email": "KONSELOR@test.id ", "password": "rahasia123"})
    assert response.status_code == 302 and response.headers["Location"] == "/"
    home = client.get("/")
    assert home.status_code == 200 and user.name in home.get_data(as_text=True)
    assert db.session.get(User, user.id).last_login_at is not None
    assert client.submit("/logout").status_code == 302
    assert client.get("/").status_code == 302


def test_wrong_password_and_unknown_email_get_the_same_answer(client, make_user):
    make_user("student", email="ada@test.id")
    wrong = client.submit("/login", {"email": "ada@test.id", "password": "salah-sekali"})
    unknown = client.submit("/login", {"email": "tidakada@test.id", "password": "salah-sekali"})
    assert wrong.status_code == unknown.status_code == 422
    message = "E-mail atau kata sandi salah, atau akun tidak aktif."
    assert message in wrong.get_data(as_text=True) and message in unknown.get_data(as_text=True)


def test_deactivated_user_cannot_log_in_and_is_logged_out(app, login_as, client, make_user):
    inactive = make_user("student", active=False)
    response = client.submit("/login", {"email": inactive.email, "password": "rahasia123"})
    assert response.status_code == 422
    logged_in, user = login_as("student")
    assert logged_in.get("/").status_code == 200
    user.active = False
    db.session.commit()
    assert logged_in.get("/").status_code == 302  # the session no longer counts


def test_login_redirects_only_to_local_next(client, make_user):
    user = make_user("student")
    response = client.submit("/login?next=https://evil.example/x", {"email": user.email, "password": "rahasia123"})
    assert response.headers["Location"] == "/"


def test_login_failures_are_rate_limited_per_account(app, make_user):
    user = make_user("student")
    for n in range(5):
        c = app.test_client()  # a new session each time, as an attacker would
        assert c.submit("/login", {"email": user.email, "password": f"salah{n}"}).status_code == 422
    blocked = app.test_client().submit("/login", {"email": user.email, "password": "rahasia123"})
    assert blocked.status_code == 429
    assert "Terlalu banyak percobaan masuk" in blocked.get_data(as_text=True)


def test_login_failures_are_rate_limited_per_address(client, make_user):
    for n in range(5):
        assert client.submit("/login", {"email": f"orang{n}@test.id", "password": "x"}).status_code == 422
    assert client.submit("/login", {"email": "lain@test.id", "password": "x"}).status_code == 429


def test_successful_logins_do_not_count_against_the_limit(client, make_user):
    user = make_user("student")
    for _ in range(7):
        assert client.submit("/login", {"email": user.email, "password": "rahasia123"}).status_code == 302
        client.submit("/logout")


def test_post_without_csrf_token_is_refused(client, make_user):
    user = make_user("student")
    response = client.post("/login", data={"email": user.email, "password": "rahasia123"})
    assert response.status_code == 400
    assert "CSRF" in response.get_data(as_text=True)


def test_htmx_post_with_csrf_header_is_accepted(login_as):
    client, _ = login_as("student")
    token = client.csrf_token()
    response = client.post("/language", data={"lang": "en"}, headers={"X-CSRFToken": token, "HX-Request": "true"})
    assert response.status_code == 200 and response.headers["HX-Redirect"] == "/"
    refused = client.post("/language", data={"lang": "en"}, headers={"HX-Request": "true"})
    assert refused.status_code == 400


def test_expired_session_in_htmx_request_redirects_whole_page(client):
    response = client.get("/admin/users?q=a", headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert response.headers["HX-Redirect"].startswith("/login")
