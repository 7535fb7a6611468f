"""Booking: counselors' availability, free slots, appointments and calendars."""
from flask import Blueprint

bp = Blueprint("booking", __name__)

from app.booking import routes, settings_routes, words  # noqa: E402,F401
from app.sop.access import team_left  # noqa: E402
from app.sop.services import CASE_PANELS, STEP_SCREENS  # noqa: E402

# A step declaring `screen: booking` is agreed on the booking page (slots or proposals).
STEP_SCREENS["booking"] = "booking.case_booking"
# A step declaring `screen: booking_session` is recorded from the appointment (held or no-show).
STEP_SCREENS["booking_session"] = "booking.case_booking"


def _booking_panel(case, user):
    """The way to the booking page, for the client and the counselor of a case that books."""
    from app.booking.services import books_sessions
    from app.sop.access import is_participant

    if not (books_sessions(case) and case.assignee_id and is_participant(user, case)):
        return None
    return "booking/_case_panel.html", {}


CASE_PANELS.append(_booking_panel)


@team_left.connect
def _withdraw_counselor(case, user_id, now=None):
    """A counselor taken off the case keeps no session of it: their proposals withdrawn, their
    sessions to come cancelled, nothing more of its sessions (time, place, link) sent to them."""
    from app.booking.services import withdraw_counselor

    withdraw_counselor(case, user_id, now)
