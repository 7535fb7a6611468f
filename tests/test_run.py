"""`make run` serves like production: gunicorn and the scheduler under honcho, stopped together
by Ctrl+C with the lease handed over; `make test` installs or names the system packages."""
from __future__ import annotations

import os
import signal
import socket
import sqlite3
import stat
import subprocess
import sys
import time
import urllib.request

import pytest
from cryptography.fernet import Fernet

import scripts.run
from scripts.run import base_url, data_encryption_key, environment
from scripts.system_deps import install_line, missing
from tests.conftest import ROOT, free_port


def lease_holder(database: str) -> str | None:
    with sqlite3.connect(database) as connection:
        try:
            row = connection.execute("SELECT holder FROM scheduler_leases").fetchone()
        except sqlite3.OperationalError:  # no schema yet
            return None
    return row[0] if row else None


def healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def scrape(port: int) -> str:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
        return response.read().decode()


def listening(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def test_make_run_serves_with_gunicorn_and_the_scheduler_and_stops_both_on_ctrl_c(tmp_path):
    port = free_port()
    database = tmp_path / "run.db"
    env = {**os.environ, "HOST": "127.0.0.1", "PORT": str(port), "DATABASE_URL": f"sqlite:///{database}",
           "SECRET_KEY": "test-secret-key", "DATA_ENCRYPTION_KEY": Fernet.generate_key().decode(),
           "WEB_CONCURRENCY": "2"}
    env.pop("APP_BASE_URL", None)
    process = subprocess.Popen([sys.executable, "scripts/run.py"], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        deadline = time.monotonic() + 90
        while not (healthy(f"http://127.0.0.1:{port}/healthz") and lease_holder(str(database))):
            assert process.poll() is None, process.communicate()[0]
            assert time.monotonic() < deadline, "make run did not come up"
            time.sleep(0.3)
        jobs_pid = int(lease_holder(str(database)).rsplit(":", 2)[1])
        while 'ruang_job_last_run_timestamp_seconds{job="deadline_sweep"}' not in (metrics := scrape(port)):
            assert time.monotonic() < deadline, metrics  # the scheduler's first sweep, on gunicorn's /metrics
            time.sleep(0.3)
        assert 'endpoint="main.healthz"' in metrics  # summed over the workers
        urllib.request.urlopen(urllib.request.Request(f"http://127.0.0.1:{port}/healthz",
                                                      headers={"X-Request-ID": "run-test-42"}), timeout=5).close()
        # a client cannot say where the app is mounted (the links of its page, of a kept page)
        login = urllib.request.urlopen(urllib.request.Request(f"http://127.0.0.1:{port}/login",
                                                              headers={"SCRIPT_NAME": "/evil"}), timeout=5)
        assert 'action="/login"' in login.read().decode() and login.status == 200
        assert f'ruang_scheduler_lease_holder{{holder="{lease_holder(str(database))}"}} 1.0' in metrics
        process.send_signal(signal.SIGINT)  # Ctrl+C
        output = process.communicate(timeout=30)[0]
    finally:
        process.kill()
    assert process.returncode == 0, output
    assert f"Ruang Konseling: http://127.0.0.1:{port}" in output  # APP_BASE_URL follows HOST and PORT
    assert "Listening at: http://127.0.0.1:%d" % port in output and "Booting worker" in output  # gunicorn
    assert "lease released" in output
    assert '"GET /healthz HTTP/1.1" 200' in output and "run-test-42" in output  # the access log, with the id
    assert lease_holder(str(database)) is None
    assert not listening(port)
    try:
        os.kill(jobs_pid, 0)
        raise AssertionError("the scheduler process outlived make run")
    except ProcessLookupError:
        pass


def test_the_development_encryption_key_is_made_once_and_kept_private(tmp_path):
    path = tmp_path / "instance" / "data_encryption_key"
    key = data_encryption_key(path)
    Fernet(key.encode())  # a valid key
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert data_encryption_key(path) == key


def test_system_deps_check_is_a_quiet_no_op_when_nothing_is_missing():
    began = time.monotonic()
    result = subprocess.run([sys.executable, "scripts/system_deps.py"], cwd=ROOT, capture_output=True, text=True,
                            timeout=600)
    assert result.returncode == 0
    if missing():  # not root, or apt-get failed: it names the one command to run
        assert install_line() in result.stderr
    else:
        assert result.stdout + result.stderr == "" and time.monotonic() - began < 5


@pytest.fixture
def run_environment(monkeypatch, tmp_path):
    """scripts/run.py's environment() with no .env of the developer's and no key file."""
    monkeypatch.setattr(scripts.run, "ROOT", tmp_path)
    monkeypatch.setenv("DATA_ENCRYPTION_KEY", Fernet.generate_key().decode())
    monkeypatch.setenv("RATELIMIT_STORAGE_URI", "memory://")
    for name in ("HOST", "PORT", "APP_BASE_URL"):
        monkeypatch.delenv(name, raising=False)

    def run(**settings):
        for name, value in settings.items():
            monkeypatch.setenv(name, value)
        return environment()["APP_BASE_URL"]
    return run


def test_links_follow_host_and_port_unless_app_base_url_is_given(run_environment):
    assert run_environment() == "http://127.0.0.1:5000"
    assert run_environment(PORT="8123") == "http://127.0.0.1:8123"
    assert run_environment(HOST="localhost", PORT="8123") == "http://localhost:8123"
    assert run_environment(HOST="::1", PORT="8123") == "http://[::1]:8123"
    assert run_environment(APP_BASE_URL="https://konseling.example.ac.id") == "https://konseling.example.ac.id"


def test_listening_everywhere_links_to_an_address_other_devices_reach(run_environment):
    """HOST=0.0.0.0 is how a phone on the same network gets in; a link to 0.0.0.0 opens nothing there."""
    for wildcard in ("0.0.0.0", "::"):
        url = run_environment(HOST=wildcard, PORT="8123")
        host = url.removeprefix("http://").rsplit(":", 1)[0].strip("[]")
        assert url.endswith(":8123") and host not in ("0.0.0.0", "::", ""), url
        socket.inet_pton(socket.AF_INET6 if ":" in host else socket.AF_INET, host)  # an address, bracketed if IPv6
    assert base_url("0.0.0.0", "5000") == base_url("", "5000")
