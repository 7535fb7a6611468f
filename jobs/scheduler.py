"""APScheduler 3.11 set-up: a few periodic jobs, run only by the holder of the database lease.

Deadlines and messages live in the database; the scheduler never keeps a job per deadline.
"""
from __future__ import annotations

import contextlib
import logging
import os
import socket
import time
import uuid
from datetime import datetime

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from prometheus_client import Gauge

from app.database import utcnow
from app.extensions import db
from app.notifications.services import deliver_due
from jobs import lease
from app.sop.notices import sweep
from jobs.digest import send_digest
from app.workshops.evaluations import send_due_evaluation_links
from app.online.acknowledge import acknowledge_due

log = logging.getLogger(__name__)
HOLDER = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"

JOBS = {
    "deadline_sweep": sweep,
    "outbox": deliver_due,
    "digest": send_digest,
    "workshop_evaluations": send_due_evaluation_links,  # evaluation links after a workshop
    "online_acknowledgements": acknowledge_due,  # a request's acknowledgement within 2 minutes, any hour
}
TICK_JOBS = ("deadline_sweep", "workshop_evaluations", "online_acknowledgements", "outbox")  # what a tick enqueues, then delivery
# For /metrics (app/metrics.py registers them; under `make run` they reach gunicorn's /metrics
# through the shared PROMETHEUS_MULTIPROC_DIR).
LAST_RUN = Gauge("ruang_job_last_run_timestamp_seconds", "When each periodic job last ran here", ("job",),
                 registry=None, multiprocess_mode="mostrecent")
DURATION = Gauge("ruang_job_duration_seconds", "How long each periodic job's last run took", ("job",),
                 registry=None, multiprocess_mode="mostrecent")


def run_job(app, name: str, now: datetime | None = None, holder: str = HOLDER):
    """Run one job as of `now` if this process holds the lease; None when it stays idle."""
    with app.app_context():
        try:
            if not lease.acquire(holder, utcnow()):
                return None
            began = time.monotonic()
            result = JOBS[name](now or utcnow())
            db.session.commit()
            DURATION.labels(name).set(time.monotonic() - began)
            LAST_RUN.labels(name).set_to_current_time()
            if result and (not isinstance(result, dict) or any(result.values())):
                log.info("%s: %s", name, result)
            return result
        except Exception:
            db.session.rollback()
            log.exception("job %s failed", name)
            raise
        finally:
            db.session.remove()


_holding = False


def keep_lease(app, holder: str = HOLDER) -> None:
    """Renew the lease, or take it when its holder has gone (run every `lease.renew_interval`)."""
    global _holding
    with app.app_context():
        try:
            held = lease.acquire(holder, utcnow())
        finally:
            db.session.remove()
    if held != _holding:
        log.info("scheduler %s %s the lease", holder, "took" if held else "lost")
        _holding = held


def tick(app, now: datetime | None = None) -> dict:
    """Every periodic job once as of `now` (None for a job skipped: another scheduler holds
    the lease), then the lease handed back."""
    try:
        return {name: run_job(app, name, now) for name in TICK_JOBS}
    finally:
        release(app)


def release(app, holder: str = HOLDER) -> None:
    with app.app_context():
        try:
            lease.release(holder)
        finally:
            db.session.remove()


def build(app) -> BackgroundScheduler:
    scheduler = BackgroundScheduler(timezone=app.config["APP_TIMEZONE"],
                                    job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 300})
    renew = lease.renew_interval(app.config["SCHEDULER_LEASE_SECONDS"])
    started = datetime.now().astimezone()  # the lease, the sweep and the outbox at once, then at their pace
    scheduler.add_job(keep_lease, IntervalTrigger(seconds=renew), args=[app], id="lease", next_run_time=started)
    scheduler.add_job(run_job, IntervalTrigger(minutes=1), args=[app, "deadline_sweep"], id="deadline_sweep",
                      next_run_time=started)
    scheduler.add_job(run_job, IntervalTrigger(seconds=30), args=[app, "outbox"], id="outbox", next_run_time=started)
    scheduler.add_job(run_job, CronTrigger(hour=7, minute=0), args=[app, "digest"], id="digest")
    scheduler.add_job(run_job, IntervalTrigger(minutes=15), args=[app, "workshop_evaluations"],
                      id="workshop_evaluations")
    scheduler.add_job(run_job, IntervalTrigger(seconds=30), args=[app, "online_acknowledgements"],
                      id="online_acknowledgements", next_run_time=started)
    return scheduler


@contextlib.contextmanager
def running(app):
    """The scheduler runs in background threads inside the block; however the block is left,
    the running jobs finish and the lease is handed over at once instead of running out."""
    scheduler = build(app)
    scheduler.start()
    log.info("scheduler %s started", HOLDER)
    try:
        yield scheduler
    finally:
        scheduler.shutdown(wait=True)
        release(app)
        log.info("scheduler %s stopped, lease released", HOLDER)
