"""The working calendar, read from the database: the institution's time zone and closures with
the office hours of a unit (a case's unit) or of the institution."""
from __future__ import annotations

from datetime import time as clock

from flask import current_app

from app.cache import forget, kept
from app.extensions import db
from app.org.models import Unit
from app.org.services import current_institution, office_hours_of
from app.sop.calendar import DEFAULT_OFFICE_HOURS, WorkingCalendar
from app.sop.models import Closure


def office_hours_to_json(hours: dict[int, tuple[clock, clock]]) -> dict:
    return {str(day): [start.strftime("%H:%M"), end.strftime("%H:%M")] for day, (start, end) in hours.items()}


def office_hours_from_json(value: dict | None) -> dict[int, tuple[clock, clock]]:
    if not value:
        return dict(DEFAULT_OFFICE_HOURS)
    return {int(day): (clock.fromisoformat(start), clock.fromisoformat(end)) for day, (start, end) in value.items()}


def working_calendar(unit_id: int | None = None) -> WorkingCalendar:
    """The calendar deadlines are computed in (a unit's office hours, or the institution's): kept
    by the process (app/cache.py: a closure added on another host counts within
    CACHE_RELOAD_SECONDS; on this one at once, through forget_calendar), fixed within a request."""
    return kept("working_calendar", unit_id, lambda: _load_calendar(unit_id))


def _load_calendar(unit_id: int | None) -> WorkingCalendar:
    institution = current_institution()
    unit = db.session.get(Unit, unit_id) if unit_id is not None else None
    hours = office_hours_of(unit) if unit is not None else institution.office_hours
    closures = db.session.scalars(db.select(Closure).where(Closure.institution_id == institution.id)).all()
    return WorkingCalendar(
        timezone=institution.timezone or current_app.config["APP_TIMEZONE"],
        office_hours=office_hours_from_json(hours),
        closed={c.day: c.reason for c in closures if not c.open},
        opened={c.day for c in closures if c.open},
    )


def forget_calendar() -> None:
    """After a closure or office hours changed: this request and this process read the calendar again."""
    forget("working_calendar")
