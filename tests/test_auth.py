"""Login, logout, deactivated users, progressive login delays, CSRF."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
import time_machine

from app.auth.models import User
from app.extensions import db
from tests.conftest import ROOT


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


def _fail(app, email, address="127.0.0.1", **kwargs):
    return app.test_client().submit("/login", {"email": email, "password": "salah-salah"},
                                    environ_base={"REMOTE_ADDR": address}, **kwargs)


def test_login_failures_slow_down_progressively_per_account_and_address(app, make_user):
    user = make_user("student")
    with time_machine.travel(datetime(2026, 11, 24, 9, 0, tzinfo=timezone.utc), tick=False) as clock:
        for _ in range(5):
            assert _fail(app, user.email).status_code == 422  # a new session each time, as an attacker's
        blocked = app.test_client().submit("/login", {"email": user.email, "password": "rahasia123"})
        assert blocked.status_code == 429 and blocked.headers["Retry-After"] == "30"
        assert "Coba lagi dalam 30 detik." in blocked.get_data(as_text=True)
        clock.shift(31)  # a delay, not a lock: after it the next try is heard
        assert _fail(app, user.email).status_code == 422
        again = _fail(app, user.email)
        assert again.status_code == 429 and again.headers["Retry-After"] == "60"  # each failure doubles
        for _ in range(8):
            clock.shift(3600)
            _fail(app, user.email)
        capped = _fail(app, user.email)
        assert capped.headers["Retry-After"] == "900" and "Coba lagi dalam 15 menit." in capped.get_data(as_text=True)


def test_failures_from_one_address_do_not_block_the_account_elsewhere(app, make_user):
    user = make_user("student")
    for _ in range(8):
        _fail(app, user.email, address="203.0.113.9")
    assert _fail(app, user.email, address="203.0.113.9").status_code == 429
    owner = app.test_client().submit("/login", {"email": user.email, "password": "rahasia123"},
                                     environ_base={"REMOTE_ADDR": "198.51.100.4"})
    assert owner.status_code == 302


def test_one_address_trying_many_accounts_slows_down_that_address_only(app, make_user):
    user = make_user("student")
    for n in range(20):
        assert _fail(app, f"orang{n}@test.id").status_code == 422
    assert _fail(app, "lain@test.id").status_code == 429
    assert app.test_client().submit("/login", {"email": user.email, "password": "rahasia123"},
                                    environ_base={"REMOTE_ADDR": "10.1.2.3"}).status_code == 302


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


def _app_with(database_url, **settings):
    from app import create_app
    from app.config import TestConfig
    from tests.conftest import Client

    config = TestConfig(database_url)
    for key, value in settings.items():
        setattr(config, key, value)
    other = create_app(config)
    other.test_client_class = Client
    return other


def test_proxy_count_picks_the_client_address_the_proxy_saw(app, make_user, database_url):
    """Behind one proxy the client is the last X-Forwarded-For entry; with none trusted, the
    header is ignored (so nobody escapes the delay by sending one)."""
    from app.auth.throttle import wait_seconds

    user = make_user("student")
    behind_proxy = _app_with(database_url, PROXY_COUNT=1)
    try:
        for n in range(5):
            behind_proxy.test_client().submit(
                "/login", {"email": user.email, "password": "salah"},
                headers={"X-Forwarded-For": f"192.0.2.{n}, 203.0.113.7"}, environ_base={"REMOTE_ADDR": "10.0.0.1"})
        with behind_proxy.test_request_context():
            assert wait_seconds(user.email, "203.0.113.7") > 0
            assert wait_seconds(user.email, "10.0.0.1") == 0  # not the proxy's own address
        other_client = behind_proxy.test_client().submit(
            "/login", {"email": user.email, "password": "rahasia123"},
            headers={"X-Forwarded-For": "198.51.100.8"}, environ_base={"REMOTE_ADDR": "10.0.0.1"})
        assert other_client.status_code == 302  # same proxy, another client: not slowed down
    finally:
        with behind_proxy.app_context():
            db.engine.dispose()
    for n in range(5):  # the session app trusts no proxy: a forged header changes nothing
        app.test_client().submit("/login", {"email": user.email, "password": "salah"},
                                 headers={"X-Forwarded-For": f"198.51.100.{n}"})
    assert wait_seconds(user.email, "127.0.0.1") > 0


REDIS_URL = "redis://127.0.0.1:6379"

WORKER = """
import sys
from app import create_app
from app.config import TestConfig
from tests.conftest import Client

database_url, redis_url, address, email, password, tries = sys.argv[1:]
config = TestConfig(database_url)
config.RATELIMIT_STORAGE_URI, config.PROXY_COUNT = redis_url, 1
app = create_app(config)
app.test_client_class = Client
for _ in range(int(tries)):
    response = app.test_client().submit("/login", {"email": email, "password": password},
                                        headers={"X-Forwarded-For": address})
    print(response.status_code)
"""


def _redis_answers() -> bool:
    import socket

    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


@pytest.mark.real_commits
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_failures_count_across_workers_sharing_redis(app, make_user, database_url):
    """Two app processes (as two gunicorn workers) with RATELIMIT_STORAGE_URI=redis://: the
    failures one of them saw slow down the attempt the other one answers."""
    if not _redis_answers():
        pytest.skip("Redis does not answer on 127.0.0.1:6379")
    import secrets
    import subprocess
    import sys

    from limits.storage import storage_from_string

    from app.auth.throttle import throttle_keys

    user = make_user("student", email=f"redis-{secrets.token_hex(4)}@test.id")
    address = f"198.18.{secrets.randbelow(250)}.{secrets.randbelow(250)}"

    def worker(password, tries):
        result = subprocess.run([sys.executable, "-c", WORKER, database_url, REDIS_URL, address, user.email,
                                 password, str(tries)], cwd=ROOT, capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stderr
        return result.stdout.split()

    try:
        assert worker("salah-salah", 5) == ["422"] * 5
        assert worker("rahasia123", 1) == ["429"]  # the other worker saw the five failures
    finally:
        storage = storage_from_string(REDIS_URL, **app.config["RATELIMIT_STORAGE_OPTIONS"])
        for key, _ in throttle_keys(user.email, address):
            for suffix in ["", *(f":wait:{n}" for n in range(1, 7))]:
                storage.clear(key + suffix)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_another_installation_on_the_same_redis_keeps_its_own_counts(app, database_url):
    """Two installations (their own SECRET_KEY) sharing one Redis: failures at one do not slow
    down the same e-mail and address at the other; the same installation's hosts share them.
    (One app per process, as in production: each is built in turn, binding the limiter to it.)"""
    if not _redis_answers():
        pytest.skip("Redis does not answer on 127.0.0.1:6379")
    import secrets

    from app import create_app
    from app.auth.throttle import record_failure, throttle_keys, wait_seconds
    from app.config import TestConfig, _limits_storage
    from app.extensions import limiter

    email, address = f"prefix-{secrets.token_hex(4)}@test.id", f"198.19.{secrets.randbelow(250)}.1"

    def installation(secret):
        config = TestConfig(database_url)
        config.SECRET_KEY, config.RATELIMIT_STORAGE_URI = secret, REDIS_URL
        config.RATELIMIT_STORAGE_OPTIONS = _limits_storage(secret)
        return create_app(config).test_request_context()

    try:
        with installation("kampus-a"):
            for _ in range(app.config["LOGIN_FREE_FAILURES"]):
                record_failure(email, address)
            assert wait_seconds(email, address) > 0
        with installation("kampus-a"):  # its second host
            assert wait_seconds(email, address) > 0
        with installation("kampus-b"):
            assert wait_seconds(email, address) == 0
    finally:
        with installation("kampus-a"):
            for key, _ in throttle_keys(email, address):
                for suffix in ["", *(f":wait:{n}" for n in range(1, 7))]:
                    limiter.storage.clear(key + suffix)
