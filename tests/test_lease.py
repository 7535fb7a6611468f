"""The scheduler lease with real `flask jobs` processes: every clean stop hands it over at once
(SIGTERM from systemd or honcho, Ctrl+C, the end of `flask jobs tick`), and after a crash a
waiting scheduler takes over within 30 s."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta

import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet

from app.config import Config
from app.database import utcnow
from app.extensions import db
from jobs import lease
from jobs.models import SchedulerLease
from tests.conftest import ROOT


def scheduler_env(database_url: str, lease_seconds: int = 20) -> dict:
    return {**os.environ, "DATABASE_URL": database_url, "FLASK_APP": "wsgi.py", "SECRET_KEY": "test-secret-key",
            "DATA_ENCRYPTION_KEY": Fernet.generate_key().decode(), "SCHEDULER_LEASE_SECONDS": str(lease_seconds), "PYTHONUNBUFFERED": "1"}


def start(command: list[str], env: dict) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "flask", *command], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, start_new_session=True)


def wait_started(process: subprocess.Popen) -> None:
    """Read the scheduler's output until it says it runs (its first lease attempt follows)."""
    for line in process.stdout:
        if "Penjadwal berjalan" in line:
            return
    raise AssertionError(f"the scheduler exited with {process.wait()}")


def holder_pid() -> int | None:
    """The process id in the holder of the lease row (None without a row)."""
    db.session.rollback()  # a fresh look at what the scheduler processes committed
    holder = db.session.scalar(sa.select(SchedulerLease.holder))
    return int(holder.rsplit(":", 2)[1]) if holder else None


def wait_for(condition, timeout: float, processes=()) -> float:
    """Poll until `condition()` is true; the seconds it took."""
    began = time.monotonic()
    while not condition():
        for process in processes:
            assert process.poll() is None, process.communicate()[0]
        assert time.monotonic() - began < timeout, "timed out"
        time.sleep(0.1)
    return time.monotonic() - began


def test_production_defaults_take_over_within_30_seconds():
    seconds = Config().SCHEDULER_LEASE_SECONDS
    assert seconds + lease.renew_interval(seconds) <= 30


@pytest.mark.real_commits
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_clean_stop_releases_the_lease(app, database_url, signum):
    process = start(["jobs", "run"], scheduler_env(database_url))
    try:
        wait_for(lambda: holder_pid() == process.pid, 30, [process])
        process.send_signal(signum)
        output = process.communicate(timeout=30)[0]
    finally:
        process.kill()
    assert process.returncode == 0, output
    assert holder_pid() is None, output  # another scheduler may take over at once


@pytest.mark.real_commits
def test_after_a_crash_a_waiting_scheduler_takes_over(app, database_url):
    lease_seconds = 2
    env = scheduler_env(database_url, lease_seconds)
    processes = [start(["jobs", "run"], env) for _ in range(2)]
    try:
        for process in processes:
            wait_started(process)
        wait_for(lambda: holder_pid() in {p.pid for p in processes}, 30, processes)
        pid = holder_pid()
        crashed = next(p for p in processes if p.pid == pid)
        waiting = next(p for p in processes if p.pid != pid)
        time.sleep(3 * lease.renew_interval(lease_seconds))
        assert waiting.poll() is None and holder_pid() == crashed.pid  # it stays idle while the lease is held
        crashed.send_signal(signal.SIGKILL)  # no chance to release anything
        took = wait_for(lambda: holder_pid() == waiting.pid, 30, [waiting])
    finally:
        for process in processes:
            process.kill()
            process.communicate()
    # the lease runs out, then the next renewal attempt takes it (plus polling slack)
    assert took <= lease_seconds + lease.renew_interval(lease_seconds) + 2


@pytest.mark.real_commits
def test_tick_hands_the_lease_back_and_leaves_another_holders_alone(app, database_url):
    env = scheduler_env(database_url)
    ticked = subprocess.run([sys.executable, "-m", "flask", "jobs", "tick"], cwd=ROOT, env=env, capture_output=True,
                            text=True, timeout=60)
    assert ticked.returncode == 0, ticked.stderr
    assert "deadline_sweep: " in ticked.stdout and "dilewati" not in ticked.stdout
    assert holder_pid() is None

    lease.acquire("host:1:other", utcnow())
    idle = subprocess.run([sys.executable, "-m", "flask", "jobs", "tick"], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=60)
    assert idle.returncode == 0 and "dilewati" in idle.stdout
    assert holder_pid() == 1
    assert db.session.scalar(sa.select(SchedulerLease.expires_at)) > utcnow() + timedelta(seconds=10)
