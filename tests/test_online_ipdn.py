"""IPDN's online consultation for praja: intake and answer in the private conversation, the video
appointment of its booking step proposed in the counselor's working hours with link and access
code, accepted by the praja (invite METHOD:REQUEST, reminders, the counselor's feed), then moved
and cancelled as career counseling does."""
from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from icalendar import Calendar

from app.booking.models import Appointment, AppointmentStatus, Availability, Mode
from app.booking.services import cancel, free_slots, profile_for, reschedule
from app.extensions import db
from app.notifications.models import OutboxMessage
from app.online.thread import messages, post_message
from app.sop.models import StepState
from app.sop.registry import get_procedure
from app.sop.services import complete_step, open_case

WIB = ZoneInfo("Asia/Jakarta")
NOW = datetime(2026, 11, 23, 8, 0, tzinfo=WIB)  # a Monday morning


def next_tuesday():
    """A Tuesday at least two days ahead of the real clock (the booking pages use it)."""
    day = datetime.now(WIB).date() + timedelta(days=2)
    return day + timedelta(days=(1 - day.weekday()) % 7)


def sign_in(app, user):
    client = app.test_client()
    assert client.submit("/login", {"email": user.email, "password": "rahasia123"}).status_code == 302
    return client


def test_the_video_consultation_is_a_real_appointment_in_working_hours(app, make_user):
    praja = make_user("student", name="Praja Wicaksono", units=["BK-IPDN"])
    staff, head = make_user("staff", units=["BK-IPDN"]), make_user("head", units=["BK-IPDN"])
    counselor = make_user("counselor", name="Dr. Rina", units=["BK-IPDN"])
    for weekday in range(5):
        db.session.add(Availability(counselor_id=counselor.id, weekday=weekday, start_time=time(13),
                                    end_time=time(15), session_minutes=45, buffer_minutes=15, mode=Mode.ONLINE,
                                    meeting_url="https://meet.example.id/ipdn-bk"))
    case = open_case(get_procedure("ipdn-konseling-online-praja"), praja, {}, now=NOW)
    complete_step(case, "formulir", praja, {"complaint": "RAHASIA: sulit tidur"}, now=NOW)
    complete_step(case, "teruskan", staff, {}, now=NOW)
    post_message(case, praja, "Mohon bantuannya.", now=NOW)
    post_message(case, counselor, "Prognosa ringan; mari bertemu lewat video.", now=NOW + timedelta(minutes=20))
    db.session.commit()
    assert [m.user_id for m in case.team()] == [counselor.id]  # claimed by answering
    intake = case.step_row("intake")  # the counselor's answer in the conversation is the intake's
    assert intake.state == StepState.DONE and intake.done_by_id == counselor.id and intake.duration_minutes == 20
    assert [t for _m, t in messages(case, praja)][-1] == "Prognosa ringan; mari bertemu lewat video."
    complete_step(case, "rencana_kasubbag", counselor, {}, now=NOW)
    complete_step(case, "rencana_kepala", head, {}, now=NOW)
    db.session.commit()

    client = sign_in(app, counselor)
    tuesday = next_tuesday().isoformat()
    refused = client.submit(f"/cases/{case.id}/proposals", {"first": f"{tuesday}T19:00",
                                                            "meeting_url": "https://meet.google.com/abc-defg-hij",
                                                            "meeting_code": "abc-defg-hij / sandi 4821"})
    assert refused.status_code == 422 and "di luar jam kerja" in refused.get_data(as_text=True)
    assert client.submit(f"/cases/{case.id}/proposals", {"first": f"{tuesday}T13:00",
                                                         "meeting_url": "https://meet.google.com/abc-defg-hij",
                                                         "meeting_code": "abc-defg-hij / sandi 4821"}).status_code == 302
    proposal = db.session.scalar(sa.select(Appointment))
    assert proposal.mode == Mode.ONLINE and proposal.meeting_url == "https://meet.google.com/abc-defg-hij"
    assert sign_in(app, praja).submit(f"/appointments/{proposal.id}/accept", {}).status_code == 302
    db.session.expire_all()
    agreed = db.session.get(Appointment, proposal.id)
    assert agreed.status == AppointmentStatus.AGREED
    row = case.step_row("janji_video")
    assert row.state == StepState.DONE and row.data["meeting_url"] == "https://meet.google.com/abc-defg-hij"
    assert row.data["meeting_code"] == "abc-defg-hij / sandi 4821"
    invite = db.session.scalar(sa.select(OutboxMessage).where(OutboxMessage.user_id == praja.id,
                                                               OutboxMessage.key == f"appt:{agreed.id}:0:invite:email:{praja.id}"))
    assert invite.attachments[0]["method"] == "REQUEST" and "sandi 4821" in invite.body
    reminders = db.session.scalars(sa.select(OutboxMessage.key).where(OutboxMessage.key.like(f"appt:{agreed.id}:0:remind%")))
    assert len(reminders.all()) == 4  # the day before and the hour before, to both
    feed = app.test_client().get(f"/calendar/{profile_for(counselor).feed_token}.ics").data
    [event] = Calendar.from_ical(feed).walk("VEVENT")
    assert str(event["URL"]) == "https://meet.google.com/abc-defg-hij" and "sandi 4821" in str(event["DESCRIPTION"])

    later = datetime.now(WIB)
    slot = free_slots(counselor, next_tuesday() + timedelta(days=1), 1, later)[0]
    moved = reschedule(agreed, praja, slot.start, "Ada apel pagi", now=later)
    db.session.commit()
    assert moved.sequence == 1 and case.step_row("janji_video").state == StepState.DONE
    cancel(moved, counselor, "Konselor sakit", now=later)
    db.session.commit()
    cancelled = db.session.scalar(sa.select(OutboxMessage).where(OutboxMessage.key == f"appt:{moved.id}:2:invite:email:{praja.id}"))
    assert cancelled.attachments[0]["method"] == "CANCEL"
    assert case.step_row("janji_video").state == StepState.ACTIVE  # the praja chooses a time again
