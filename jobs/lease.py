"""The scheduler lease, in the database so that it works across processes and hosts."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import or_, update

from app.extensions import db
from app.notifications.services import insert_ignore
from jobs.models import SchedulerLease

LEASE_NAME = "jobs"
TTL = timedelta(seconds=90)


def acquire(holder: str, now: datetime, name: str = LEASE_NAME, ttl: timedelta = TTL) -> bool:
    """Take or renew the lease; False while another live holder has it. Commits."""
    if insert_ignore(SchedulerLease, name=name, holder=holder, expires_at=now + ttl):
        db.session.commit()
        return True
    result = db.session.execute(
        update(SchedulerLease)
        .where(SchedulerLease.name == name, or_(SchedulerLease.holder == holder, SchedulerLease.expires_at < now))
        .values(holder=holder, expires_at=now + ttl))
    db.session.commit()
    return result.rowcount == 1


def release(holder: str, name: str = LEASE_NAME) -> None:
    """Give the lease up (on a clean shutdown), so that another scheduler can take it at once."""
    db.session.execute(db.delete(SchedulerLease).where(SchedulerLease.name == name, SchedulerLease.holder == holder))
    db.session.commit()
