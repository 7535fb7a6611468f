"""Booking in words: an appointment's state, its form of service and its time as people read
them ("disepakati", "tatap muka" / "in person", "Rabu, 25 November 2026, 10.15 WIB"), never as
stored. Template filters and globals of the booking blueprint, and what forms and messages share."""
from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.booking import bp
from app.booking.models import AppointmentStatus, Mode
from app.filters import datetime_filter

MODE_WORDS = {Mode.IN_PERSON: _l("tatap muka"), Mode.ONLINE: _l("online")}


@bp.app_template_global()
def appointment_status(status: AppointmentStatus) -> str:
    """An appointment's state in words."""
    return {AppointmentStatus.PROPOSED: _("diusulkan"), AppointmentStatus.AGREED: _("disepakati"),
            AppointmentStatus.CANCELLED: _("dibatalkan"), AppointmentStatus.NO_SHOW: _("tidak hadir"),
            AppointmentStatus.DONE: _("selesai")}[status]


@bp.app_template_filter()
def mode_label(mode: Mode | str) -> str:
    """A form of service in words (a slot's, a session's, a window's, or its stored value)."""
    return str(MODE_WORDS[Mode(mode)])


@bp.app_template_filter()
def session_time(value: datetime | None) -> str:
    """An appointment's time in words: "Rabu, 25 November 2026, 10.15 WIB"."""
    return datetime_filter(value) if value else "—"
