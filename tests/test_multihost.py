"""Several hosts: two gunicorn instances on different loopback ports (two "hosts") against one
PostgreSQL database and one Redis, with two `flask jobs run` processes beside them. Login failures
count across both hosts, a session from one host works on the other, and only one scheduler holds
the lease (docs/operations.md, "Several hosts")."""
from __future__ import annotations

import http.client
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse

import pytest
import sqlalchemy as sa

from app import create_app
from app.config import TEST_ENCRYPTION_KEY, TestConfig
from app.extensions import db
from tests.conftest import ROOT, drop_postgres_database, private_postgres_database

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
EMAIL = f"dua.host.{os.getpid()}@test.id"
PASSWORD = "rahasia123"
FREE_FAILURES = 3
LEASE_SECONDS = 3


def redis_or_skip():
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError as exc:
        pytest.skip(f"Redis does not answer at {REDIS_URL} ({exc}): the shared rate-limit store cannot be tested")
    return client


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Host:
    """One app host: a gunicorn with one worker on its own port, and a tiny HTTP client for it."""

    def __init__(self, env: dict):
        self.port = free_port()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--config", "gunicorn.conf.py", "wsgi:app"], cwd=ROOT,
            env={**env, "PORT": str(self.port), "HOST": "127.0.0.1", "WEB_CONCURRENCY": "1",
                 "PROMETHEUS_MULTIPROC_DIR": tempfile.mkdtemp(prefix="multihost-metrics-")},
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, start_new_session=True)

    def request(self, method: str, path: str, cookie: str | None = None, form: dict | None = None,
                address: str = "192.0.2.1") -> tuple[int, str, str | None]:
        """(status, body, session cookie after the answer) of one request from `address`."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        headers = {"X-Forwarded-For": address}
        if cookie:
            headers["Cookie"] = f"session={cookie}"
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection.request(method, path, body=body, headers=headers)
        answer = connection.getresponse()
        text = answer.read().decode()
        found = re.search(r"\bsession=([^;]*)", answer.getheader("Set-Cookie") or "")
        connection.close()
        return answer.status, text, found.group(1) if found else cookie

    def wait_up(self) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.process.communicate()[1]
            try:
                if self.request("GET", "/healthz")[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise AssertionError("the host did not answer within 60 s")

    def login(self, password: str, address: str, cookie: str | None = None) -> tuple[int, str | None]:
        """Post the login form (with this host's CSRF token); (status, session cookie)."""
        _status, page, cookie = self.request("GET", "/login", cookie, address=address)
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
        status, _body, cookie = self.request("POST", "/login", cookie, address=address,
                                             form={"email": EMAIL, "password": password, "csrf_token": token})
        return status, cookie

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.communicate()


@pytest.fixture(scope="module")
def cluster():
    """One PostgreSQL database, one Redis, two hosts and two schedulers with shared keys."""
    redis_client = redis_or_skip()
    url = private_postgres_database("multihost")
    env = {**os.environ, "DATABASE_URL": url, "FLASK_APP": "wsgi.py", "SECRET_KEY": "shared-secret-key-of-both-hosts",
           "DATA_ENCRYPTION_KEY": TEST_ENCRYPTION_KEY, "RATELIMIT_STORAGE_URI": REDIS_URL, "PROXY_COUNT": "1",
           "LOGIN_FREE_FAILURES": str(FREE_FAILURES), "SCHEDULER_LEASE_SECONDS": str(LEASE_SECONDS),
           "PYTHONUNBUFFERED": "1"}
    hosts, schedulers = [], []
    try:
        upgrade = subprocess.run([sys.executable, "-m", "flask", "db", "upgrade"], cwd=ROOT, env=env,
                                 capture_output=True, text=True, timeout=120)
        assert upgrade.returncode == 0, upgrade.stderr
        app = create_app(TestConfig(url))
        with app.app_context():
            from app.auth.services import create_user

            create_user(email=EMAIL, name="Pengguna Dua Host", roles=["student"], password=PASSWORD)
            db.session.commit()
            db.engine.dispose()
        hosts = [Host(env), Host(env)]
        schedulers = [subprocess.Popen([sys.executable, "-m", "flask", "jobs", "run"], cwd=ROOT, env=env,
                                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
                      for _ in range(2)]
        for host in hosts:
            host.wait_up()
        yield {"hosts": hosts, "schedulers": schedulers, "url": url}
    finally:
        for host in hosts:
            host.stop()
        for process in schedulers:
            process.terminate()
            process.wait(30)
        drop_postgres_database(url)
        for key in redis_client.scan_iter(match=f"*{EMAIL}*"):
            redis_client.delete(key)
        for address in ("192.0.2.71", "192.0.2.72"):
            for key in redis_client.scan_iter(match=f"*{address}*"):
                redis_client.delete(key)


def test_login_failures_count_across_hosts(cluster):
    host_a, host_b = cluster["hosts"]
    address = "192.0.2.71"
    for n in range(FREE_FAILURES):  # the free failures, spread over both hosts
        status, _cookie = (host_a if n % 2 == 0 else host_b).login("salah-sandi", address)
        assert status == 422
    # each host saw fewer failures than are free, yet the next attempt waits on either host
    status, _cookie = host_b.login(PASSWORD, address)
    assert status == 429
    status, _cookie = host_a.login(PASSWORD, address)
    assert status == 429


def test_a_session_from_one_host_works_on_the_other(cluster):
    host_a, host_b = cluster["hosts"]
    status, cookie = host_a.login(PASSWORD, "192.0.2.72")
    assert status == 302 and cookie
    status, page, _cookie = host_b.request("GET", "/", cookie, address="192.0.2.72")
    assert status == 200 and "Pengguna Dua Host" in page
    status, _page, _cookie = host_b.request("GET", "/", address="192.0.2.72")  # without it: to the login page
    assert status == 302


def test_only_one_scheduler_holds_the_lease(cluster):
    pids = {process.pid for process in cluster["schedulers"]}
    engine = sa.create_engine(cluster["url"])

    def holder() -> int | None:
        with engine.connect() as conn:
            value = conn.scalar(sa.text("SELECT holder FROM scheduler_leases"))
        return int(value.rsplit(":", 2)[1]) if value else None

    try:
        deadline = time.monotonic() + 30
        while holder() not in pids:
            assert time.monotonic() < deadline, "no scheduler took the lease"
            time.sleep(0.2)
        first = holder()
        for _ in range(int(3 * LEASE_SECONDS / 0.5)):  # through several renewals, the other one waits
            assert holder() == first
            assert all(process.poll() is None for process in cluster["schedulers"])
            time.sleep(0.5)
    finally:
        engine.dispose()
