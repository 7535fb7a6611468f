"""GET /metrics: the Prometheus text format with request metrics by endpoint and the operations
figures read from the database; loopback or the bearer token only, 404 for anyone else. Request
ids in a response header and in JSON log lines."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import timedelta

import pytest
from cryptography.fernet import Fernet

from app.database import utcnow
from app.extensions import db
from app.notifications.models import Channel, OutboxMessage, OutboxStatus
from app.notifications.services import enqueue
from jobs import lease
from tests.conftest import ROOT

STRANGER = {"REMOTE_ADDR": "203.0.113.9"}


def sample(text: str, name: str) -> float:
    """The value of one sample line (`name` with its labels) of the exposition."""
    lines = [line for line in text.splitlines() if line.startswith(name + " ")]
    assert len(lines) == 1, (name, text)
    return float(lines[0].rsplit(" ", 1)[1])


def test_metrics_show_requests_outbox_lease_and_late_steps(app, client):
    now = utcnow()
    enqueue(Channel.EMAIL, "a@test.id", "isi", key="m:1", now=now - timedelta(minutes=10))
    enqueue(Channel.EMAIL, "b@test.id", "isi", key="m:2", now=now - timedelta(minutes=1))
    enqueue(Channel.EMAIL, "c@test.id", "isi", key="m:3", now=now + timedelta(days=1))  # not due yet
    enqueue(Channel.WHATSAPP, "+62 812", "isi", key="m:4", now=now)
    db.session.flush()
    db.session.execute(db.update(OutboxMessage).where(OutboxMessage.key == "m:4")
                       .values(status=OutboxStatus.FAILED))
    lease.acquire("host:42:abc", now)
    db.session.commit()
    assert client.get("/healthz").status_code == 200

    response = client.get("/metrics")
    assert response.status_code == 200 and response.mimetype == "text/plain"
    text = response.get_data(as_text=True)
    assert sample(text, 'ruang_outbox_messages{channel="email",status="pending"}') == 2
    assert sample(text, 'ruang_outbox_messages{channel="whatsapp",status="failed"}') == 1
    assert sample(text, 'ruang_outbox_messages{channel="whatsapp",status="pending"}') == 0
    assert 590 <= sample(text, 'ruang_outbox_oldest_due_age_seconds{channel="email"}') <= 700
    assert sample(text, 'ruang_scheduler_lease_holder{holder="host:42:abc"}') == 1
    assert abs(sample(text, "ruang_scheduler_lease_renewed_timestamp_seconds") - now.timestamp()) < 1
    assert sample(text, "ruang_steps_late") == 0
    assert 'flask_http_request_total{method="GET",status="200"}' in text
    assert 'endpoint="main.healthz"' in text  # latency by route

    lease.release("host:42:abc")
    db.session.commit()
    text = client.get("/metrics").get_data(as_text=True)
    assert sample(text, 'ruang_scheduler_lease_holder{holder="host:42:abc"}') == 0
    assert sample(text, "ruang_scheduler_lease_renewed_timestamp_seconds") == 0


@pytest.mark.parametrize("request_kwargs, allowed", [
    ({}, True),  # loopback
    ({"headers": {"X-Forwarded-For": "203.0.113.9"}}, False),  # loopback, but through the reverse proxy
    ({"environ_base": STRANGER}, False),
    ({"environ_base": STRANGER, "headers": {"Authorization": "Bearer rahasia-metrik"}}, True),
    ({"environ_base": STRANGER, "headers": {"Authorization": "Bearer salah"}}, False),
], ids=["loopback", "proxied", "stranger", "token", "wrong-token"])
def test_metrics_answer_loopback_or_the_token_only(app, client, request_kwargs, allowed):
    app.config["METRICS_TOKEN"] = "rahasia-metrik"
    try:
        response = client.get("/metrics", **request_kwargs)
    finally:
        app.config["METRICS_TOKEN"] = ""
    assert response.status_code == (200 if allowed else 404)
    assert ("ruang_steps_late" in response.get_data(as_text=True)) is allowed


def test_without_a_token_setting_no_bearer_opens_metrics(app, client):
    response = client.get("/metrics", environ_base=STRANGER, headers={"Authorization": "Bearer "})
    assert response.status_code == 404


def test_every_response_carries_a_request_id(client):
    given = client.get("/healthz", headers={"X-Request-ID": "lb-1234.abc"})
    assert given.headers["X-Request-ID"] == "lb-1234.abc"  # the load balancer's id is kept
    made = client.get("/cases")  # a redirect to the login page has one too
    assert made.status_code == 302 and len(made.headers["X-Request-ID"]) == 32
    odd = client.get("/healthz", headers={"X-Request-ID": "x" * 65})
    assert odd.headers["X-Request-ID"] != "x" * 65


def test_json_log_lines_carry_the_request_id(tmp_path):
    """LOG_FORMAT=json in a process of its own (it sets up the process's logging)."""
    script = (
        "from app import create_app\n"
        "app = create_app()\n"
        "response = app.test_client().get('/healthz', headers={'X-Request-ID': 'req-42'})\n"  # database down: a warning
        "print(response.status_code, response.headers['X-Request-ID'])\n")
    env = {**os.environ, "LOG_FORMAT": "json", "SECRET_KEY": "x", "DATA_ENCRYPTION_KEY": Fernet.generate_key().decode(),
           "DATABASE_URL": "postgresql+psycopg://nobody@127.0.0.1:1/none"}
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=60)
    assert result.stdout.split() == ["503", "req-42"], result.stderr
    lines = [json.loads(line) for line in result.stderr.splitlines() if line.startswith("{")]
    warning = next(line for line in lines if "database unreachable" in line["message"])
    assert warning["levelname"] == "WARNING" and warning["request_id"] == "req-42"


def test_metrics_show_when_each_job_last_ran_and_how_long_it_took(app, client):
    from jobs import scheduler

    before = utcnow().timestamp()
    assert scheduler.run_job(app, "deadline_sweep") is not None
    text = client.get("/metrics").get_data(as_text=True)
    assert before - 1 <= sample(text, 'ruang_job_last_run_timestamp_seconds{job="deadline_sweep"}') <= before + 60
    assert 0 <= sample(text, 'ruang_job_duration_seconds{job="deadline_sweep"}') < 60
