"""The scheduler lease, in the database so that it works across processes and hosts.

The holder renews it every quarter of its length (`renew_interval`); a holder that dies without
releasing it is replaced by a waiting scheduler at most `SCHEDULER_LEASE_SECONDS` plus one renewal
interval later (20 + 5 = 25 s by default).
"""
from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import or_, update

from app.database import insert_ignore
from app.extensions import db
from jobs.models import SchedulerLease

LEASE_NAME = "jobs"


def renew_interval(lease_seconds: float) -> float:
    """How often a scheduler renews (or tries to take) the lease: four times per lease length."""
    return lease_seconds / 4


def acquire(holder: str, now: datetime, name: str = LEASE_NAME) -> bool:
    """Take or renew the lease; False while another live holder has it. Commits."""
    expires_at = now + timedelta(seconds=current_app.config["SCHEDULER_LEASE_SECONDS"])
    if insert_ignore(SchedulerLease, name=name, holder=holder, expires_at=expires_at):
        db.session.commit()
        return True
    result = db.session.execute(
        update(SchedulerLease)
        .where(SchedulerLease.name == name, or_(SchedulerLease.holder == holder, SchedulerLease.expires_at < now))
        .values(holder=holder, expires_at=expires_at))
    db.session.commit()
    return result.rowcount == 1


def release(holder: str, name: str = LEASE_NAME) -> None:
    """Give the lease up (on a clean shutdown), so that another scheduler can take it at once."""
    db.session.execute(db.delete(SchedulerLease).where(SchedulerLease.name == name, SchedulerLease.holder == holder))
    db.session.commit()
