"""APScheduler 3.11 set-up: a few periodic jobs, run only by the holder of the database lease.

Deadlines and messages live in the database; the scheduler never keeps a job per deadline.
"""
from __future__ import annotations

import logging
import os
import socket
import uuid
from datetime import datetime

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from app.database import utcnow
from app.extensions import db
from app.notifications.services import deliver_due
from jobs import lease
from jobs.deadlines import sweep
from jobs.digest import send_digest

log = logging.getLogger(__name__)
HOLDER = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"

JOBS = {
    "deadline_sweep": sweep,
    "outbox": deliver_due,
    "digest": send_digest,
}
TICK_JOBS = ("deadline_sweep", "outbox")


def run_job(app, name: str, now: datetime | None = None, holder: str = HOLDER):
    """Run one job as of `now` if this process holds the lease; None when it stays idle."""
    with app.app_context():
        try:
            if not lease.acquire(holder, utcnow()):
                return None
            result = JOBS[name](now or utcnow())
            db.session.commit()
            return result
        except Exception:
            db.session.rollback()
            log.exception("job %s failed", name)
            raise
        finally:
            db.session.remove()


def build(app, blocking: bool = False):
    scheduler_class = BlockingScheduler if blocking else BackgroundScheduler
    scheduler = scheduler_class(timezone=app.config["APP_TIMEZONE"],
                                job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 300})
    scheduler.add_job(run_job, IntervalTrigger(minutes=1), args=[app, "deadline_sweep"], id="deadline_sweep")
    scheduler.add_job(run_job, IntervalTrigger(seconds=30), args=[app, "outbox"], id="outbox")
    scheduler.add_job(run_job, CronTrigger(hour=7, minute=0), args=[app, "digest"], id="digest")
    return scheduler


_embedded = None


def start_embedded(app):
    """Start the scheduler inside this (development) web process, once."""
    global _embedded
    if _embedded is None:
        _embedded = build(app)
        _embedded.start()
        log.info("embedded scheduler started (%s)", HOLDER)
    return _embedded
