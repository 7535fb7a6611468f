"""Booking by declaration: any procedure whose step says `screen: {name: booking, …}` books
through the same page, with invites and the feed — here IPDN's video consultation for praja."""
from __future__ import annotations

from datetime import time

import sqlalchemy as sa
from icalendar import Calendar

from app.booking.models import Appointment, Availability, Mode
from app.booking.services import book, profile_for
from app.extensions import db
from app.sop.models import StepState
from app.sop.registry import get_procedure
from app.sop.services import complete_step, open_case
from tests.test_booking import NOW, local


def test_a_second_procedure_books_through_the_same_screen_by_yaml_alone(app, make_user):
    praja = make_user("student", name="Praja Bagus Wicaksono")
    staff, counselor, head = make_user("staff"), make_user("counselor", name="Dr. Rina"), make_user("head")
    for weekday in range(5):
        db.session.add(Availability(counselor_id=counselor.id, weekday=weekday, start_time=time(13),
                                    end_time=time(15), session_minutes=45, buffer_minutes=15, mode=Mode.ONLINE,
                                    meeting_url="https://meet.example.id/ipdn-bk"))
    case = open_case(get_procedure("ipdn-konseling-online-praja"), praja, {}, now=NOW)
    complete_step(case, "formulir", praja, {"complaint": "Sulit tidur"}, now=NOW)
    complete_step(case, "teruskan", staff, {}, now=NOW)
    complete_step(case, "intake", counselor, {"prognosis": "Ringan"}, now=NOW)  # claims the case
    complete_step(case, "rencana_kasubbag", counselor, {}, now=NOW)
    complete_step(case, "rencana_kepala", head, {}, now=NOW)  # the Kepala Unit's row
    db.session.commit()
    assert case.assignee_id == counselor.id and case.step_row("janji_video").state == StepState.ACTIVE

    client = app.test_client()
    client.submit("/login", {"email": praja.email, "password": "rahasia123"})
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert f"/cases/{case.id}/booking" in page  # the booking panel and the step both lead there

    appointment = book(case, praja, local("2026-11-24T13:00"), now=NOW)
    db.session.commit()
    row = case.step_row("janji_video")
    assert row.state == StepState.DONE and row.done_by_id == counselor.id  # the counselor's step, agreed
    assert row.data == {"meeting_at": "2026-11-24T13:00:00", "meeting_url": "https://meet.example.id/ipdn-bk",
                        "meeting_code": None}
    feed = client_feed(app, counselor)
    [event] = Calendar.from_ical(feed).walk("VEVENT")
    assert str(event["SUMMARY"]) == f"Konsultasi video konseling — {praja.initials}"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Appointment)) == 1 == len([appointment])


def client_feed(app, counselor) -> bytes:
    response = app.test_client().get(f"/calendar/{profile_for(counselor).feed_token}.ics")
    assert response.status_code == 200
    return response.data
