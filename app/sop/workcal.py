"""The institution's working calendar, read from the database."""
from __future__ import annotations

from datetime import time

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


def office_hours_to_json(hours: dict[int, tuple[time, time]]) -> dict:
    return {str(day): [start.strftime("%H:%M"), end.strftime("%H:%M")] for day, (start, end) in hours.items()}


def office_hours_from_json(value: dict | None) -> dict[int, tuple[time, time]]:
    if not value:
        return dict(DEFAULT_OFFICE_HOURS)
    return {int(day): (time.fromisoformat(start), time.fromisoformat(end)) for day, (start, end) in value.items()}


def working_calendar() -> WorkingCalendar:
    """The calendar deadlines are computed in (one query per request or job run)."""
    if has_app_context() and "working_calendar" in g:
        return g.working_calendar
    institution = current_institution()
    closures = db.session.scalars(db.select(Closure).where(Closure.institution_id == institution.id)).all()
    calendar = WorkingCalendar(
        timezone=institution.timezone or current_app.config["APP_TIMEZONE"],
        office_hours=office_hours_from_json(institution.office_hours),
        closed={c.day: c.reason for c in closures if not c.open},
        opened={c.day for c in closures if c.open},
    )
    g.working_calendar = calendar
    return calendar


def forget_calendar() -> None:
    g.pop("working_calendar", None)
