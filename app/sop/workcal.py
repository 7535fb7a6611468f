"""The institution's working calendar, read from the database."""
from __future__ import annotations

import time
from datetime import time as clock

from flask import current_app, g, has_app_context

from app.extensions import db
from app.sop.calendar import DEFAULT_OFFICE_HOURS, WorkingCalendar
from app.sop.models import Closure, Institution

DEMO_INSTITUTION = dict(name="Universitas PGRI Madiun",
                        unit="Pusat Pengembangan Karier dan Layanan Konseling (P2KLLK)",
                        address="Jl. Setia Budi No. 85, Madiun, Jawa Timur 63118")


def current_institution() -> Institution:
    """The installation's institution (created with defaults on first use)."""
    institution = db.session.scalar(db.select(Institution).order_by(Institution.id).limit(1))
    if institution is None:
        institution = Institution(timezone=current_app.config["APP_TIMEZONE"],
                                  office_hours=office_hours_to_json(DEFAULT_OFFICE_HOURS), **DEMO_INSTITUTION)
        db.session.add(institution)
        db.session.flush()
    return institution


def office_hours_to_json(hours: dict[int, tuple[clock, clock]]) -> dict:
    return {str(day): [start.strftime("%H:%M"), end.strftime("%H:%M")] for day, (start, end) in hours.items()}


def office_hours_from_json(value: dict | None) -> dict[int, tuple[clock, clock]]:
    if not value:
        return dict(DEFAULT_OFFICE_HOURS)
    return {int(day): (clock.fromisoformat(start), clock.fromisoformat(end)) for day, (start, end) in value.items()}


def working_calendar() -> WorkingCalendar:
    """The calendar deadlines are computed in: kept by the process and read again from the
    database at most every CACHE_RELOAD_SECONDS (so a closure added on another host counts
    within that time; on this one at once, through forget_calendar), fixed within a request."""
    if has_app_context() and "working_calendar" in g:
        return g.working_calendar
    kept = current_app.extensions.setdefault("working_calendar", {})
    loaded_at, calendar = kept.get("calendar", (None, None))
    if calendar is None or time.monotonic() - loaded_at >= current_app.config["CACHE_RELOAD_SECONDS"]:
        calendar = _load_calendar()
        if not g.get("calendar_changed"):  # a change not committed yet stays in its request
            kept["calendar"] = (time.monotonic(), calendar)
    g.working_calendar = calendar
    return calendar


def _load_calendar() -> WorkingCalendar:
    institution = current_institution()
    closures = db.session.scalars(db.select(Closure).where(Closure.institution_id == institution.id)).all()
    return WorkingCalendar(
        timezone=institution.timezone or current_app.config["APP_TIMEZONE"],
        office_hours=office_hours_from_json(institution.office_hours),
        closed={c.day: c.reason for c in closures if not c.open},
        opened={c.day for c in closures if c.open},
    )


def forget_calendar() -> None:
    """After a closure changed: this request and this process read the calendar again."""
    g.pop("working_calendar", None)
    g.calendar_changed = True
    current_app.extensions.get("working_calendar", {}).pop("calendar", None)
