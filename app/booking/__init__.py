"""Booking: counselors' availability, free slots, appointments and calendars."""
from flask import Blueprint

bp = Blueprint("booking", __name__)

from app.booking import routes  # noqa: E402,F401
from app.sop.services import STEP_SCREENS  # noqa: E402

# The alumnus and the counselor agree the time on the booking page (slots or proposals).
STEP_SCREENS[("pgri-konseling-karier", "kesepakatan")] = "booking.case_booking"
