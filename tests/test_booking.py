"""Booking: free slots, no double booking (also under 50 concurrent requests), proposals,
reschedule and cancel with reminders that follow, the waiting list, invites and the feed."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

import pytest
import time_machine
import sqlalchemy as sa
import vobject
from icalendar import Calendar

from app.booking.models import (Appointment, AppointmentStatus, AvailabilityException, Availability, Mode,
                                 WaitlistEntry)
from app.booking.services import accept, book, cancel, free_slots, join_waitlist, profile_for, propose, reschedule
from app.errors import DomainError
from app.extensions import db
from app.notifications.models import OutboxMessage, OutboxStatus
from app.notifications.services import deliver_due
from app.sop.access import assign
from app.sop.models import Case, StepState
from app.sop.registry import get_procedure
from app.sop.services import complete_step, open_case
from tests.conftest import at_once

WIB = timezone(timedelta(hours=7))
NOW = datetime(2026, 11, 23, 8, 0, tzinfo=WIB)  # Monday morning
KARIER = {"nim": "1901", "prodi": "PMat", "phone": "0812", "mode": "tatap muka", "question": "RAHASIA: karier"}


@pytest.fixture
def setup(app, make_user):
    """A counselor available Mon–Fri 09:00–12:00 (60 + 15 min) and an assigned career case."""
    counselor = make_user("counselor", name="Dra. Endang Lestari", email="endang@test.id")
    alumnus = make_user("alumni", name="Budi Santoso", email="budi@test.id")
    staff, head = make_user("staff"), make_user("head")
    for weekday in range(5):
        db.session.add(Availability(counselor_id=counselor.id, weekday=weekday, start_time=time(9),
                                    end_time=time(12), session_minutes=60, buffer_minutes=15, mode=Mode.IN_PERSON,
                                    room="Ruang Konseling 1"))
    case = open_case(get_procedure("pgri-konseling-karier"), alumnus, dict(KARIER), now=NOW)
    complete_step(case, "izin_tu", staff, {}, now=NOW)
    complete_step(case, "form_permohonan", staff, {"complete": "lengkap"}, now=NOW)
    complete_step(case, "rekomendasi", head, {"counselor": str(counselor.id)}, now=NOW)
    db.session.commit()
    return case, counselor, alumnus


def local(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=WIB)


def test_free_slots_respect_availability_notice_holidays_leave_and_bookings(setup):
    case, counselor, alumnus = setup
    week = free_slots(counselor, date(2026, 11, 23), 7, now=NOW)
    starts = [s.start.strftime("%a %H:%M") for s in week]
    assert starts[:3] == ["Tue 09:00", "Tue 10:15", "Wed 09:00"]  # 12 h notice by default: nothing on Monday
    profile_notice = free_slots(counselor, date(2026, 11, 23), 1, now=NOW - timedelta(hours=12))
    assert profile_notice and profile_notice[0].start == local("2026-11-23T09:00")
    profile_for(counselor).horizon_days = 60
    christmas = free_slots(counselor, date(2026, 12, 21), 7, now=NOW)
    assert {s.start.date() for s in christmas} == {date(2026, 12, d) for d in (21, 22, 23)}  # 24–25 closed
    db.session.add(AvailabilityException(counselor_id=counselor.id, day=date(2026, 11, 24), reason="Cuti"))
    book(case, alumnus, local("2026-11-25T09:00"), now=NOW)
    db.session.commit()
    days = {s.start.strftime("%a %H:%M") for s in free_slots(counselor, date(2026, 11, 23), 7, now=NOW)}
    assert not any(d.startswith("Tue") for d in days)
    assert "Wed 09:00" not in days and "Wed 10:15" in days


def test_booking_agrees_the_case_and_sends_invites(setup, smtp_server):
    case, counselor, alumnus = setup
    appointment = book(case, alumnus, local("2026-11-24T10:15"), now=NOW)
    db.session.commit()
    agreement = next(s for s in case.steps if s.key == "kesepakatan")
    assert agreement.state == StepState.DONE and agreement.done_by_id == alumnus.id
    deliver_due(NOW)
    for address in ("endang@test.id", "budi@test.id"):
        mails = [m for m in smtp_server.to(address) if m["Subject"].startswith("Jadwal konseling")]
        assert len(mails) == 1
        part = next(p for p in mails[0].iter_attachments() if p.get_content_type() == "text/calendar")
        assert part.get_param("method") == "REQUEST"
        parsed = vobject.readOne(part.get_content())
        event = parsed.vevent
        assert event.uid.value == appointment.uid and int(event.sequence.value) == 0
        assert event.dtstart.value == local("2026-11-24T10:15") and event.dtstart.value.utcoffset() == timedelta(hours=7)
        assert event.summary.value == "Konseling karier — BS" and event.location.value == "Ruang Konseling 1"
        assert "RAHASIA" not in part.get_content()


def test_double_booking_is_refused_with_a_clear_message(setup, make_user):
    case, counselor, alumnus = setup
    book(case, alumnus, local("2026-11-24T10:15"), now=NOW)
    other = open_case(get_procedure("pgri-konseling-karier"), make_user("alumni"), dict(KARIER), now=NOW)
    assign(other, counselor, "counselor", counselor)  # its counselor, on its team
    with pytest.raises(DomainError, match="baru saja diambil"):
        book(other, other.subject, local("2026-11-24T10:15"), now=NOW)


@pytest.mark.real_commits
def test_fifty_concurrent_bookings_of_one_slot_give_one_appointment(_app, app, setup, make_user):
    _, counselor, _ = setup
    cases = []
    for _ in range(50):
        case = open_case(get_procedure("pgri-konseling-karier"), make_user("alumni"), dict(KARIER), now=NOW)
        assign(case, counselor, "counselor", counselor)  # its counselor, on its team
        cases.append(case.id)
    db.session.commit()

    def attempt(case_id):
        case = db.session.get(Case, case_id)
        book(case, case.subject, local("2026-11-26T09:00"), now=NOW)

    outcomes = at_once(_app, attempt, cases)
    assert outcomes.count("ok") == 1, outcomes
    assert all(o == "ok" or "baru saja diambil" in o for o in outcomes), set(outcomes)
    count = db.session.scalar(sa.select(sa.func.count()).select_from(Appointment).where(
        Appointment.counselor_id == counselor.id, Appointment.status == "agreed"))
    assert count == 1


def test_reschedule_replaces_reminders_and_raises_sequence(setup, smtp_server):
    case, counselor, alumnus = setup
    appointment = book(case, alumnus, local("2026-11-25T09:00"), now=NOW)
    db.session.commit()
    old_uid = appointment.uid
    reschedule(appointment, alumnus, local("2026-11-26T10:15"), "Bentrok kuliah", now=NOW)
    db.session.commit()
    assert appointment.sequence == 1 and appointment.uid == old_uid
    reminders = db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.key.like(f"appt:{appointment.id}:%:remind:%"))).all()
    withdrawn = [m for m in reminders if m.status == OutboxStatus.WITHDRAWN]
    pending = [m for m in reminders if m.status == OutboxStatus.PENDING]
    assert len(withdrawn) == 4 and len(pending) == 4  # (day before, hour before) × (counselor, client)
    assert min(m.next_attempt_at for m in pending) == local("2026-11-25T10:15")
    # at the old reminder times nothing goes out
    deliver_due(local("2026-11-24T09:30"))
    deliver_due(local("2026-11-25T08:30"))
    assert not [m for m in smtp_server.messages if m["Subject"].startswith("Pengingat")]
    deliver_due(local("2026-11-26T09:20"))
    assert len([m for m in smtp_server.messages if m["Subject"].startswith("Pengingat")]) == 4
    updates = [m for m in smtp_server.to("endang@test.id") if m["Subject"].startswith("Jadwal konseling")]
    sequences = sorted(int(vobject.readOne(_ics(m)).vevent.sequence.value) for m in updates)
    assert sequences == [0, 1]


def _ics(message) -> str:
    part = next(p for p in message.iter_attachments() if p.get_content_type() == "text/calendar")
    return part.get_content()


def test_cancel_sends_cancel_withdraws_reminders_and_offers_the_slot(setup, smtp_server, make_user):
    case, counselor, alumnus = setup
    waiting_alumnus = make_user("alumni", email="antri@test.id")
    waiting_case = open_case(get_procedure("pgri-konseling-karier"), waiting_alumnus, dict(KARIER), now=NOW)
    assign(waiting_case, counselor, "counselor", counselor)  # its counselor, on its team
    db.session.add(WaitlistEntry(counselor_id=counselor.id, client_id=waiting_alumnus.id, case_id=waiting_case.id))
    appointment = book(case, alumnus, local("2026-11-24T09:00"), now=NOW)
    db.session.commit()
    with pytest.raises(DomainError, match="alasan"):
        cancel(appointment, alumnus, "  ", now=NOW)
    cancel(appointment, alumnus, "Sakit", now=local("2026-11-23T23:00"))
    db.session.commit()
    assert appointment.late_change  # inside the 12-hour notice: recorded, not punished
    deliver_due(local("2026-11-24T09:00"))
    cancellations = [m for m in smtp_server.to("budi@test.id") if m["Subject"].startswith("Dibatalkan")]
    assert len(cancellations) == 1
    calendar = Calendar.from_ical(_ics(cancellations[0]))
    assert calendar["METHOD"] == "CANCEL"
    event = calendar.walk("VEVENT")[0]
    assert event["STATUS"] == "CANCELLED" and int(event["SEQUENCE"]) == 1 and str(event["UID"]) == appointment.uid
    assert not [m for m in smtp_server.messages if m["Subject"].startswith("Pengingat")]
    assert [m["Subject"] for m in smtp_server.to("antri@test.id")] == ["Slot konseling lebih awal tersedia"]


def test_proposals_then_accept(setup, smtp_server):
    case, counselor, alumnus = setup
    with pytest.raises(DomainError, match="satu sampai tiga"):
        propose(case, counselor, [local(f"2026-11-2{d}T13:00") for d in range(4, 8)], now=NOW)
    proposals = propose(case, counselor, [local("2026-11-24T13:00"), local("2026-11-25T13:00")], now=NOW)
    db.session.commit()
    accept(proposals[1], alumnus, now=NOW)
    db.session.commit()
    remaining = db.session.scalars(sa.select(Appointment).where(Appointment.case_id == case.id)).all()
    assert [(a.start_at, a.status.value) for a in remaining] == [(local("2026-11-25T13:00"), "agreed")]


def test_feed_etag_rotation_and_no_confidential_content(setup, app, login_as):
    case, counselor, alumnus = setup
    book(case, alumnus, local("2026-11-24T09:00"), now=NOW)
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["calendar", "url", counselor.email])
    url = result.output.strip()
    path = url.replace(app.config["APP_BASE_URL"], "")
    client = app.test_client()
    first = client.get(path)
    assert first.status_code == 200 and first.content_type == "text/calendar; charset=utf-8"
    body = first.get_data(as_text=True)
    parsed = vobject.readOne(body)
    assert parsed.vevent.summary.value == "Konseling karier — BS" and "RAHASIA" not in body
    assert "BEGIN:VTIMEZONE" in body and "TZID:Asia/Jakarta" in body
    assert client.get(path, headers={"If-None-Match": first.headers["ETag"]}).status_code == 304
    counselor_client = app.test_client()
    counselor_client.submit("/login", {"email": counselor.email, "password": "rahasia123"})
    page = counselor_client.get("/booking/settings").get_data(as_text=True)
    assert url in page and "webcal://" in page
    assert counselor_client.submit("/booking/feed/rotate").status_code == 302
    assert client.get(path).status_code == 404
    assert client.get("/calendar/tidak-ada.ics").status_code == 404


def test_feed_names_no_client_while_the_clients_invite_does(setup, app, smtp_server):
    """Feeds get copied into third-party calendars: no client name, address or confidential text."""
    case, counselor, alumnus = setup
    book(case, alumnus, local("2026-11-24T09:00"), now=NOW)
    db.session.commit()
    url = app.test_cli_runner().invoke(args=["calendar", "url", counselor.email]).output.strip()
    response = app.test_client().get(url.replace(app.config["APP_BASE_URL"], ""))
    assert response.status_code == 200 and response.headers["Cache-Control"] == "private, no-store"
    body = response.get_data(as_text=True).replace("\r\n ", "")  # unfolded
    calendar = Calendar.from_ical(body)
    events = list(calendar.walk("VEVENT"))
    assert len(events) == 1 and "ATTENDEE" not in events[0]
    text = "\n".join(f"{value} {dict(getattr(value, 'params', {}))}"  # values and parameters (CN), decoded
                     for component in calendar.walk() for _, value in component.property_items())
    for secret in ("Budi", "Santoso", alumnus.email, "RAHASIA", KARIER["nim"]):
        assert secret.lower() not in body.lower() and secret.lower() not in text.lower(), secret
    deliver_due(NOW)
    invite = next(p for m in smtp_server.to(alumnus.email) for p in m.iter_attachments()
                  if p.get_content_type() == "text/calendar")
    assert f"mailto:{alumnus.email}" in invite.get_content().replace("\r\n ", "")  # the client's own invite


def test_booking_page_and_htmx_week(setup, app):
    case, counselor, alumnus = setup
    client = app.test_client()
    client.submit("/login", {"email": alumnus.email, "password": "rahasia123"})
    page = client.get(f"/cases/{case.id}/booking?week=2026-11-30")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "<html" in html and 'hx-get' in html
    fragment = client.get(f"/cases/{case.id}/booking?week=2026-12-07", headers={"HX-Request": "true"})
    assert fragment.get_data(as_text=True).strip().startswith('<section id="slots"')
    # the agreement step of the alumnus's tasks leads to this page, not to a generic form, and is
    # said to them as what they do (the SOP's title, about the counselor, is the counselor's)
    tasks = client.get("/tasks").get_data(as_text=True)
    assert f'href="/cases/{case.id}/booking">Pilih jadwal sesi konseling bersama konselor Anda' in tasks
    assert "Konselor menghubungi pemohon" not in tasks
    counselor_client = app.test_client()
    counselor_client.submit("/login", {"email": counselor.email, "password": "rahasia123"})
    assert "Konselor menghubungi pemohon dan menyusun kesepakatan" in counselor_client.get("/tasks").get_data(as_text=True)


def test_slot_page_keeps_constant_queries(setup, app, make_user, sql):
    case, counselor, alumnus = setup
    client = app.test_client()
    client.submit("/login", {"email": alumnus.email, "password": "rahasia123"})
    url = f"/cases/{case.id}/booking?week=2026-11-30"

    def queries():
        with sql() as ran:
            assert client.get(url).status_code == 200
        return len(ran)

    queries()  # the first visit creates the counselor's booking profile
    before = queries()
    for day in range(1, 5):  # more appointments, more counselors
        other = make_user("counselor")
        other_case = open_case(get_procedure("pgri-konseling-karier"), make_user("alumni"), dict(KARIER), now=NOW)
        assign(other_case, counselor, "counselor", counselor)  # its counselor, on its team
        book(other_case, other_case.subject, local(f"2026-12-0{day}T09:00"), now=NOW)
        db.session.add(Availability(counselor_id=other.id, weekday=day, start_time=time(9), end_time=time(12),
                                    mode=Mode.ONLINE, meeting_url="https://meet.example/x"))
    db.session.commit()
    assert queries() == before


def test_no_show_is_recorded_by_the_counselor_after_the_start(setup):
    from app.booking.services import mark_no_show

    case, counselor, alumnus = setup
    appointment = book(case, alumnus, local("2026-11-24T09:00"), now=NOW)
    with pytest.raises(DomainError, match="setelah sesi dimulai"):
        mark_no_show(appointment, counselor, now=NOW)
    with pytest.raises(DomainError, match="Hanya konselor"):
        mark_no_show(appointment, alumnus, now=local("2026-11-24T09:20"))
    mark_no_show(appointment, counselor, now=local("2026-11-24T09:20"))
    assert appointment.status == "no_show" and appointment.sequence == 1
    with pytest.raises(DomainError, match="Hanya jadwal yang disepakati"):
        cancel(appointment, alumnus, "terlambat", now=local("2026-11-24T09:25"))


def test_a_counselor_who_lost_the_role_or_the_account_reads_no_more_appointments(setup, app):
    """The list, the appointment's page and the calendar feed keep to what on_team allows: a
    counselor taken off the role (or deactivated) stops reading the time and client of their
    sessions; their client reads on."""
    case, counselor, alumnus = setup
    appointment = book(case, alumnus, local("2026-11-24T09:00"), now=NOW)
    db.session.commit()
    path = app.test_cli_runner().invoke(args=["calendar", "url", counselor.email]).output.strip().replace(
        app.config["APP_BASE_URL"], "")
    counselor_client = app.test_client()
    counselor_client.submit("/login", {"email": counselor.email, "password": "rahasia123"})
    alumnus_client = app.test_client()
    alumnus_client.submit("/login", {"email": alumnus.email, "password": "rahasia123"})
    shown = f"/appointments/{appointment.id}"
    assert shown in counselor_client.get("/appointments").get_data(as_text=True)
    assert counselor_client.get(shown).status_code == 200
    assert "BEGIN:VEVENT" in app.test_client().get(path).get_data(as_text=True)
    counselor.set_roles(["staff"])
    db.session.commit()
    assert shown not in counselor_client.get("/appointments").get_data(as_text=True)
    assert counselor_client.get(shown).status_code == 404
    assert "BEGIN:VEVENT" not in app.test_client().get(path).get_data(as_text=True)
    assert shown in alumnus_client.get("/appointments").get_data(as_text=True)
    assert alumnus_client.get(shown).status_code == 200
    counselor.set_roles(["counselor"])
    counselor.active = False
    db.session.commit()
    assert app.test_client().get(path).status_code == 404


def test_the_home_page_keeps_to_the_team_rule_for_next_sessions(setup, app):
    """"Jadwal berikutnya" on the home page lists a counselor's sessions only while they read them
    (as /appointments does): taken off the case's team, its time and client are gone there too."""
    from app.sop.access import remove_member

    case, counselor, alumnus = setup
    slot = free_slots(counselor, date.today() + timedelta(days=1), 14)[0]  # ahead of the real clock
    appointment = book(case, alumnus, slot.start)
    db.session.commit()
    client = app.test_client()
    client.submit("/login", {"email": counselor.email, "password": "rahasia123"})
    shown = f'href="/appointments/{appointment.id}"'
    assert shown in client.get("/").get_data(as_text=True)
    head = next(user for user in db.session.scalars(sa.select(type(counselor))) if user.has_role("head"))
    remove_member(case, head, next(m.id for m in case.team() if m.user_id == counselor.id), "Pindah tugas")
    db.session.commit()
    home = client.get("/").get_data(as_text=True)
    assert shown not in home and alumnus.name not in home


def test_a_counselor_taken_off_the_case_keeps_no_session_of_it(setup, app):
    """Their session still to come is cancelled: every reminder withdrawn (the removed counselor's
    carried its time, place and link), the cancellation sent to both calendars, the client told
    why and that another counselor will contact them; the client cannot book them again."""
    from app.sop.access import remove_member

    case, counselor, alumnus = setup
    slot = free_slots(counselor, date.today() + timedelta(days=3), 14)[0]  # reminders still ahead
    appointment = book(case, alumnus, slot.start)
    db.session.commit()

    def reminders(user):
        return {m.status for m in db.session.scalars(sa.select(OutboxMessage).where(
            OutboxMessage.key.startswith(f"appt:{appointment.id}:"), OutboxMessage.key.contains(":remind:"),
            OutboxMessage.user_id == user.id))}

    assert reminders(counselor) == reminders(alumnus) == {OutboxStatus.PENDING}
    head = next(user for user in db.session.scalars(sa.select(type(counselor))) if user.has_role("head"))
    remove_member(case, head, next(m.id for m in case.team() if m.user_id == counselor.id), "Pindah tugas")
    db.session.commit()
    assert reminders(counselor) == reminders(alumnus) == {OutboxStatus.WITHDRAWN}
    assert appointment.status == AppointmentStatus.CANCELLED and appointment.sequence == 1
    cancellations = db.session.scalars(sa.select(OutboxMessage).where(  # both calendars freed
        OutboxMessage.key.startswith(f"appt:{appointment.id}:1:"), OutboxMessage.status == OutboxStatus.PENDING)).all()
    assert {m.user_id for m in cancellations if m.attachments} == {counselor.id, alumnus.id}
    told = db.session.scalar(sa.select(OutboxMessage).where(OutboxMessage.user_id == alumnus.id,
                                                            OutboxMessage.key.contains(":counselor-left")).limit(1))
    assert "tidak lagi menangani layanan Anda" in told.body
    with pytest.raises(DomainError, match="tidak lagi menangani|belum ditugaskan"):
        book(case, alumnus, free_slots(counselor, date.today() + timedelta(days=3), 14)[0].start)


def test_a_closed_case_offers_no_slots_and_says_why(setup, app):
    """The schedule page of a finished service keeps its earlier sessions and offers no week; a
    session called off before leads to no new time."""
    from app.sop.models import CaseState

    case, counselor, alumnus = setup
    called_off = cancel(book(case, alumnus, local("2026-11-24T09:00"), now=NOW), alumnus, "Sakit", now=NOW)
    db.session.commit()
    client = app.test_client()
    client.submit("/login", {"email": alumnus.email, "password": "rahasia123"})
    assert "Pilih jadwal baru" in client.get(f"/appointments/{called_off.id}").get_data(as_text=True)
    case.state = CaseState.CLOSED
    db.session.commit()
    assert "Pilih jadwal baru" not in client.get(f"/appointments/{called_off.id}").get_data(as_text=True)
    page = client.get(f"/cases/{case.id}/booking?week=2026-11-30").get_data(as_text=True)
    assert "sudah ditutup; tidak ada jadwal baru" in page
    assert "class=\"button slot\"" not in page and "Slot kosong" not in page
    fragment = client.get(f"/cases/{case.id}/booking?week=2026-12-07", headers={"HX-Request": "true"})
    assert fragment.get_data(as_text=True).strip().startswith('<section id="slots"')


def test_only_the_person_served_books_or_waits_for_a_slot(setup, app):
    """The counselor of the case (or anyone else allowed to see it) cannot take its slot nor stand
    in its waiting list, where the freed slot's offer would go to them."""
    case, counselor, alumnus = setup
    for action in (lambda: book(case, counselor, local("2026-11-24T09:00"), now=NOW),
                   lambda: join_waitlist(case, counselor, now=NOW)):
        with pytest.raises(DomainError, match="Hanya orang yang dilayani"):
            action()
    db.session.rollback()
    client = app.test_client()
    client.submit("/login", {"email": counselor.email, "password": "rahasia123"})
    assert client.submit(f"/cases/{case.id}/waitlist", {}).status_code == 403
    assert db.session.scalar(sa.select(sa.func.count()).select_from(WaitlistEntry)) == 0


def test_a_chosen_slot_is_marked_and_its_confirmation_comes_into_view(setup, app):
    """On a phone the confirmation is above the tapped slot: the swap scrolls to it, and the slot
    chosen is marked among the others."""
    case, counselor, alumnus = setup
    client = app.test_client()
    with time_machine.travel(NOW, tick=False):
        client.submit("/login", {"email": alumnus.email, "password": "rahasia123"})
        page = client.get(f"/cases/{case.id}/booking?week=2026-11-30").get_data(as_text=True)
        assert 'hx-swap="outerHTML show:#confirm:top"' in page and 'aria-current="true">09.00' not in page
        start = local("2026-12-01T09:00").isoformat()
        chosen = client.get(f"/cases/{case.id}/booking", query_string={"week": "2026-11-30", "start": start})
    html = chosen.get_data(as_text=True)
    assert html.count('aria-current="true">09.00') == 1 and 'id="confirm"' in html


def test_the_appointments_list_names_the_service_and_the_form_in_words(setup, app):
    """Each session on /appointments says which service it belongs to; its form of service is a
    word of the reader's language, not the stored value."""
    case, _counselor, alumnus = setup
    book(case, alumnus, local("2026-11-24T09:00"), now=NOW)
    db.session.commit()
    client = app.test_client()
    client.submit("/login", {"email": alumnus.email, "password": "rahasia123"})
    page = client.get("/appointments").get_data(as_text=True)
    assert f"{case.version.title} · Dra. Endang Lestari · tatap muka" in page
    client.submit("/language", {"lang": "en"})
    page = client.get("/appointments").get_data(as_text=True)
    assert "Dra. Endang Lestari · in person" in page and "tatap muka" not in page


def test_a_cancelled_session_no_longer_shows_the_link_and_code_to_meet_by(setup, app):
    """Its page keeps the time and who; the meeting link and its code go once it is called off."""
    case, _counselor, alumnus = setup
    appointment = book(case, alumnus, local("2026-11-24T09:00"), now=NOW)
    appointment.mode, appointment.meeting_url, appointment.meeting_code = (
        Mode.ONLINE, "https://meet.example.id/budi", "sandi 2911")
    db.session.commit()
    client = app.test_client()
    client.submit("/login", {"email": alumnus.email, "password": "rahasia123"})
    page = client.get(f"/appointments/{appointment.id}").get_data(as_text=True)
    assert 'href="https://meet.example.id/budi"' in page and "sandi 2911" in page
    cancel(appointment, alumnus, "Saya sakit", now=NOW)
    db.session.commit()
    page = client.get(f"/appointments/{appointment.id}").get_data(as_text=True)
    assert "dibatalkan" in page and "meet.example.id/budi" not in page and "sandi 2911" not in page


def test_a_service_that_books_no_sessions_has_no_booking_page_and_takes_no_proposal(app, make_user):
    """A therapy referral is agreed by nota dinas, not on the booking page: its counselor finds no
    booking page there, and a proposal sent all the same is refused in words (it was a 500 on a
    workshop's committee case, which serves nobody)."""
    counselor, praja = make_user("counselor"), make_user("student")
    case = open_case(get_procedure("ipdn-terapi"), counselor, {}, subject=praja, now=NOW)
    assign(case, counselor, "counselor", counselor)  # on its team
    db.session.commit()
    with pytest.raises(DomainError, match="tidak menjadwalkan sesi"):
        propose(case, counselor, [local("2026-11-25T10:15")], now=NOW)
    client = app.test_client()
    client.submit("/login", {"email": counselor.email, "password": "rahasia123"})
    assert client.get(f"/cases/{case.id}").status_code == 200  # their case
    assert client.get(f"/cases/{case.id}/booking").status_code == 404
    assert client.submit(f"/cases/{case.id}/proposals", {"first": "2026-11-25T10:15"}).status_code == 404


def test_an_old_proposal_is_no_longer_accepted_and_a_tatap_muka_session_moves_to_a_room(setup):
    """A proposed time that has passed is refused; a tatap muka session moves to a tatap muka slot
    only, whatever is sent (the page offers no other)."""
    case, counselor, alumnus = setup
    [proposal] = propose(case, counselor, [local("2026-11-24T09:00")], now=NOW)
    with pytest.raises(DomainError, match="tidak lagi berlaku"):
        accept(proposal, alumnus, now=local("2026-11-24T09:05"))
    session = accept(proposal, alumnus, now=NOW)
    db.session.add(Availability(counselor_id=counselor.id, weekday=2, start_time=time(13), end_time=time(15),
                                session_minutes=60, buffer_minutes=15, mode=Mode.ONLINE,
                                meeting_url="https://meet.example.id/karier"))
    db.session.flush()
    with pytest.raises(DomainError, match="hanya dapat dipindahkan ke slot tatap muka"):
        reschedule(session, alumnus, local("2026-11-25T13:00"), "Bentrok", now=NOW)
    reschedule(session, alumnus, local("2026-11-25T10:15"), "Bentrok", now=NOW)
    assert (session.mode, session.location, session.meeting_url) == (Mode.IN_PERSON, "Ruang Konseling 1", None)
