"""GET /metrics in the Prometheus text format (prometheus-flask-exporter).

Request counts and latency by endpoint come from the exporter; under gunicorn they are summed
over the workers through PROMETHEUS_MULTIPROC_DIR (gunicorn.conf.py). The operations figures are
read from the database at each scrape, so every worker and host reports the same: the outbox by
channel and status and how long its oldest due message has waited, the scheduler lease's holder
and last renewal, the steps late now. The jobs' last run and duration come from the process that
runs them (jobs/scheduler.py), through the same multiprocess directory under `make run`. Access as INTERFACE.md says: from loopback with no proxy in
between, or with `Authorization: Bearer <METRICS_TOKEN>`; 404 for anyone else.
"""
from __future__ import annotations

import functools
import hmac
import os

from flask import abort, current_app, request
from prometheus_client import CollectorRegistry, Gauge
from prometheus_flask_exporter import PrometheusMetrics
from prometheus_flask_exporter.multiprocess import GunicornInternalPrometheusMetrics
from sqlalchemy import func, select

from app.auth.guards import public
from app.database import utcnow
from app.extensions import db
from app.notifications.models import Channel, OutboxMessage, OutboxStatus
from app.sop.models import CaseStep, StepState
from jobs import scheduler
from jobs.lease import LEASE_NAME
from jobs.models import SchedulerLease

LOOPBACK = {"127.0.0.1", "::1"}
WATCHED = (OutboxStatus.PENDING, OutboxStatus.FAILED, OutboxStatus.UNSENDABLE)


def init_metrics(app) -> None:
    """Register /metrics and the request metrics on `app`."""
    registry = CollectorRegistry()  # one per app (the tests build many); values also go to the
    gauges = _gauges(registry)      # multiprocess files under gunicorn
    for job_gauge in (scheduler.LAST_RUN, scheduler.DURATION):  # set where the jobs run
        registry.register(job_gauge)
    state = {"holder": None}

    def guard(view):
        @functools.wraps(view)
        def metrics_view():
            if not _allowed():
                abort(404)
            _refresh(gauges, state)
            return view()

        return public(metrics_view)

    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        GunicornInternalPrometheusMetrics(app, group_by="endpoint", metrics_decorator=guard)
    else:
        PrometheusMetrics(app, group_by="endpoint", metrics_decorator=guard, registry=registry)


def _allowed() -> bool:
    token = current_app.config["METRICS_TOKEN"]
    given = request.headers.get("Authorization", "")
    if token and hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
        return True
    proxied = "X-Forwarded-For" in request.headers or "Forwarded" in request.headers
    return request.remote_addr in LOOPBACK and not proxied


def _gauges(registry: CollectorRegistry) -> dict[str, Gauge]:
    def gauge(name, text, labels=()):
        return Gauge(name, text, labels, registry=registry, multiprocess_mode="livemostrecent")

    return {
        "outbox": gauge("ruang_outbox_messages", "Outbox messages due, given up or unsendable",
                        ("channel", "status")),
        "waiting": gauge("ruang_outbox_oldest_due_age_seconds", "How long the oldest due message has waited",
                         ("channel",)),
        "holder": gauge("ruang_scheduler_lease_holder", "1 for the scheduler holding the lease", ("holder",)),
        "renewed": gauge("ruang_scheduler_lease_renewed_timestamp_seconds",
                         "When the lease holder last renewed it (the scheduler's heartbeat); 0 without one"),
        "late": gauge("ruang_steps_late", "Active steps past their due time"),
    }


def _refresh(gauges: dict[str, Gauge], state: dict) -> None:
    """Read the operations figures from the database (a few grouped queries)."""
    now = utcnow()
    due = (OutboxMessage.status != OutboxStatus.PENDING) | (OutboxMessage.next_attempt_at <= now)
    counts = dict(((channel, status), n) for channel, status, n in db.session.execute(
        select(OutboxMessage.channel, OutboxMessage.status, func.count())
        .where(OutboxMessage.status.in_(WATCHED), due).group_by(OutboxMessage.channel, OutboxMessage.status)))
    oldest = dict(db.session.execute(
        select(OutboxMessage.channel, func.min(OutboxMessage.next_attempt_at))
        .where(OutboxMessage.status == OutboxStatus.PENDING, OutboxMessage.next_attempt_at <= now)
        .group_by(OutboxMessage.channel)).all())
    for channel in Channel:
        for status in WATCHED:
            gauges["outbox"].labels(channel.value, status.value).set(counts.get((channel, status), 0))
        since = oldest.get(channel)
        gauges["waiting"].labels(channel.value).set((now - since).total_seconds() if since else 0)
    gauges["late"].set(db.session.scalar(select(func.count()).select_from(CaseStep).where(
        CaseStep.state == StepState.ACTIVE, CaseStep.due_at < now)))
    lease = db.session.get(SchedulerLease, LEASE_NAME)
    live = lease if lease is not None and lease.expires_at > now else None
    seconds = current_app.config["SCHEDULER_LEASE_SECONDS"]
    gauges["renewed"].set(live.expires_at.timestamp() - seconds if live else 0)
    if state["holder"] and (live is None or live.holder != state["holder"]):
        gauges["holder"].labels(state["holder"]).set(0)
    if live is not None:
        gauges["holder"].labels(live.holder).set(1)
    state["holder"] = live.holder if live else None
