"""Online counseling services: the e-konseling wizard with its stage times, the acknowledgement
sent by the app itself within 2 minutes at any hour, the duty rota, the private conversation
(sealed, logged, claimed by the counselor who answers), a proposed video session through booking,
the closing report. The case has the source's 6 steps; the counselor's part is its follow-up: the
case stays open after the acknowledgement until the counselor closes it with the report."""
from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from icalendar import Calendar

from app.booking.models import Appointment, AppointmentStatus, Availability, Mode
from app.booking.services import accept, profile_for
from app.errors import DomainError
from app.extensions import db
from app.notifications.models import Channel, OutboxMessage
from app.online.acknowledge import SYSTEM_EMAIL, acknowledge_due
from app.online.intake import current_stage, start_intake, submit_stage
from app.online.models import ThreadMessage
from app.online.rota import add_shift, on_duty
from app.online.thread import close_with_report, messages, post_message, propose_session
from app.org.models import Unit
from app.sop.models import Case, CaseAccess, CaseState, StepState
from app.sop.registry import get_procedure

WIB = ZoneInfo("Asia/Jakarta")
SUNDAY_22 = datetime(2026, 11, 29, 22, 0, tzinfo=WIB)  # a Sunday night: nobody at the office
UNPAM = "unpam-konseling-online"


def unit_id(code="DKT") -> int:
    return db.session.scalar(sa.select(Unit.id).where(Unit.code == code))


@pytest.fixture
def people(make_user):
    student = make_user("student", name="Sinta Mahasiswi", units=["DKT"],
                        created_at=SUNDAY_22 - timedelta(minutes=20), email_confirmed_at=SUNDAY_22 - timedelta(minutes=14))
    counselor = make_user("counselor", name="Konselor Piket", units=["DKT"])
    other = make_user("counselor", name="Konselor Lain", units=["DKT"])
    head = make_user("head", name="Kepala DKT", units=["DKT"])
    add_shift(head, unit_id(), counselor.id, 6, time(20), time(0))  # Sunday 20.00 to midnight
    db.session.commit()
    return {"student": student, "counselor": counselor, "other": other, "head": head}


def submit_all(case, student, start=SUNDAY_22):
    """Identity (3 min), the online "next" (1 min), the problem (6 min)."""
    submit_stage(case, student, {"nim": "221011", "prodi": "Psikologi", "phone": "0812 3456 7890", "mode": "online"},
                 now=start + timedelta(minutes=3))
    submit_stage(case, student, {}, now=start + timedelta(minutes=4))
    submit_stage(case, student, {"area": "personal", "problem": "RAHASIA: sulit tidur menjelang ujian"},
                 now=start + timedelta(minutes=10))
    db.session.commit()


def test_the_wizard_records_each_stage_against_the_sop_minutes(people):
    student = people["student"]
    case = start_intake(get_procedure(UNPAM), student, now=SUNDAY_22)
    rows = case.current_steps()
    assert [r.state for r in rows[:2]] == [StepState.DONE, StepState.DONE]  # registered, e-mail confirmed
    assert rows[1].duration_minutes == 6 and rows[1].standard_minutes == 5 and not rows[1].on_time
    row, step = current_stage(case)
    assert row.active_at == SUNDAY_22 and step.screen["phone"]  # the identity form starts now
    assert start_intake(get_procedure(UNPAM), student, now=SUNDAY_22).id == case.id  # continued, not another
    submit_all(case, student)
    rows = {r.position: r for r in case.current_steps()}
    assert [rows[n].duration_minutes for n in (3, 4, 5)] == [3, 1, 6]
    assert [rows[n].standard_minutes for n in (3, 4, 5)] == [10, 2, 20] and all(rows[n].on_time for n in (3, 4, 5))
    assert rows[6].state == StepState.ACTIVE and student.phone == "+6281234567890"
    assert "RAHASIA" not in str(case.data) and "RAHASIA" not in (case.sealed or "")  # sealed


def test_the_identity_stage_fills_the_profiles_blanks_for_the_next_request(people, make_user):
    """NIM and prodi typed in the wizard are kept on a profile without them (the next request
    prefills them, as the phone number); a profile's own are never overwritten."""
    student = people["student"]
    submit_all(start_intake(get_procedure(UNPAM), student, now=SUNDAY_22), student)
    assert (student.nim, student.prodi) == ("221011", "Psikologi")
    other = make_user("student", units=["DKT"], nim="1999", prodi="Hukum")
    submit_all(start_intake(get_procedure(UNPAM), other, now=SUNDAY_22), other)
    assert (other.nim, other.prodi) == ("1999", "Hukum")
    odd = make_user("student", units=["DKT"])  # what the profile form would refuse is not kept
    case = start_intake(get_procedure(UNPAM), odd, now=SUNDAY_22)
    submit_stage(case, odd, {"nim": "99~!@#", "prodi": "<b>Psikologi</b>", "phone": "0812 3456 7890",
                             "mode": "online"}, now=SUNDAY_22)
    assert (odd.nim, odd.prodi) == (None, None)


def test_tatap_muka_skips_the_online_next_and_bad_input_is_refused(people):
    student = people["student"]
    case = start_intake(get_procedure(UNPAM), student, now=SUNDAY_22)
    db.session.commit()  # each refusal is rolled back to here
    with pytest.raises(DomainError):
        submit_stage(case, student, {"nim": "1", "prodi": "P", "phone": "bukan nomor", "mode": "online"}, now=SUNDAY_22)
    db.session.rollback()
    with pytest.raises(DomainError):
        submit_stage(case, student, {"nim": "1", "prodi": "P", "phone": "0812345678", "mode": "daring"}, now=SUNDAY_22)
    db.session.rollback()
    submit_stage(case, student, {"nim": "1", "prodi": "P", "phone": "0812345678", "mode": "tatap muka"}, now=SUNDAY_22)
    assert case.current_steps()[3].state == StepState.SKIPPED
    with pytest.raises(DomainError):  # another person cannot fill in this student's stage
        submit_stage(case, people["other"], {"area": "akademik", "problem": "x"}, now=SUNDAY_22)


def test_the_acknowledgement_is_sent_by_the_app_within_two_minutes_on_a_sunday_night(people):
    student, counselor = people["student"], people["counselor"]
    case = start_intake(get_procedure(UNPAM), student, now=SUNDAY_22)
    submit_all(case, student)
    submitted = SUNDAY_22 + timedelta(minutes=10)
    assert acknowledge_due(submitted - timedelta(seconds=30)) == {"acknowledged": 0}  # not before it is due
    assert acknowledge_due(submitted + timedelta(seconds=30)) == {"acknowledged": 1}
    assert acknowledge_due(submitted + timedelta(seconds=60)) == {"acknowledged": 0}  # once
    db.session.commit()
    row = case.current_steps()[5]
    assert row.state == StepState.DONE and row.done_by.email == SYSTEM_EMAIL and row.on_time
    out = db.session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id)).all()
    to_student = {(m.channel, m.recipient) for m in out if m.user_id == student.id}
    assert to_student == {(Channel.EMAIL, student.email), (Channel.WHATSAPP, "+6281234567890")}
    assert all(m.next_attempt_at <= submitted + timedelta(minutes=2) for m in out)
    assert any(m.user_id == counselor.id for m in out) and not any(m.user_id == people["other"].id for m in out)
    assert all("sulit tidur" not in m.body for m in out)  # never the problem itself
    assert len(case.current_steps()) == 6 and case.state == CaseState.OPEN  # the counselor's follow-up
    assert case.closed_at is None


def test_a_counselor_on_duty_asking_for_themselves_is_not_told_of_their_own_request(people):
    """The new request goes to the unit's other counselors instead (the person served takes no
    part in their own case in another role)."""
    counselor = people["counselor"]
    counselor.set_roles({"counselor", "student"})
    db.session.commit()
    case = start_intake(get_procedure(UNPAM), counselor, now=SUNDAY_22)
    submit_all(case, counselor)
    assert acknowledge_due(SUNDAY_22 + timedelta(minutes=11)) == {"acknowledged": 1}
    db.session.commit()
    told = {m.user_id for m in db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.key.contains(":duty")))}
    assert told == {people["other"].id}


def test_the_rota_names_who_is_on_duty_and_else_the_next_shift(people):
    counselor, head = people["counselor"], people["head"]
    assert on_duty(unit_id(), SUNDAY_22) == ([counselor], None)
    monday = SUNDAY_22 + timedelta(hours=5)
    who, begins = on_duty(unit_id(), monday)
    assert who == [counselor] and begins == SUNDAY_22.replace(hour=20) + timedelta(days=7)
    with pytest.raises(DomainError):
        add_shift(people["other"], unit_id(), counselor.id, 0, time(8), time(12))  # not the head
    with pytest.raises(DomainError):
        add_shift(head, unit_id(), people["student"].id, 0, time(8), time(12))  # not a counselor
    with pytest.raises(DomainError):
        add_shift(head, unit_id(), counselor.id, 0, time(12), time(8))


@pytest.mark.parametrize("leaves", ["unit", "role", "account"])
def test_a_counselor_who_no_longer_serves_the_unit_is_not_on_duty(people, leaves, app):
    """Their shift stays on the rota (marked) for the head to change, but counts not: the next
    serving counselor is named instead, and nobody when none is left."""
    from app.org.services import set_user_units
    counselor, other, head = people["counselor"], people["other"], people["head"]
    add_shift(head, unit_id(), other.id, 0, time(8), time(12))  # Monday morning
    db.session.commit()
    if leaves == "unit":
        set_user_units(counselor, [unit_id("P2KLLK")])
    elif leaves == "role":
        counselor.set_roles(["staff"])
    else:
        counselor.active = False
    db.session.commit()
    assert on_duty(unit_id(), SUNDAY_22) == ([other], SUNDAY_22.replace(hour=8) + timedelta(days=1))
    client = app.test_client()
    assert client.submit("/login", {"email": head.email, "password": "rahasia123"}).status_code == 302
    page = client.get("/online/rota").get_data(as_text=True)
    assert page.count("giliran ini tidak dihitung") == 1 and "Konselor Piket" in page
    other.active = False
    db.session.commit()
    assert on_duty(unit_id(), SUNDAY_22) == ([], None)


def acknowledged_case(people, student=None, answered=False):
    """A request of `student` (the people's student) sent and acknowledged; `answered`: taken by
    the counselor's answer."""
    student = student or people["student"]
    case = start_intake(get_procedure(UNPAM), student, now=SUNDAY_22)
    submit_all(case, student)
    acknowledge_due(SUNDAY_22 + timedelta(minutes=11))
    if answered:
        post_message(case, people["counselor"], "Halo", now=SUNDAY_22 + timedelta(minutes=13))
    db.session.commit()
    return case


def test_a_request_waiting_for_a_counselor_is_in_the_lists_of_those_who_may_take_it_until_one_does(people, app,
                                                                                                   make_user):
    """"Tugas saya" reads the kept follow-up rows: every counselor of the unit finds the request
    there, a counselor of another unit does not; none of them has it in the case list (who asks
    stays unseen until one takes it); once one answers, it is theirs alone (the list as can_view,
    walked with and without its keyset windows)."""
    from app.online.tasks import waiting_requests
    from app.sop.access import visible_cases_filter

    counselor, other = people["counselor"], people["other"]
    stranger = make_user("counselor", units=["P2KLLK"])
    case = acknowledged_case(people)

    def lists(user):
        client = app.test_client()
        assert client.submit("/login", {"email": user.email, "password": "rahasia123"}).status_code == 302
        listed = f'/cases/{case.id}"' in client.get("/cases").get_data(as_text=True)
        filtered = case.id in db.session.scalars(sa.select(Case.id).where(visible_cases_filter(user))).all()
        assert listed == filtered == case.can_view(user)
        return case.id in [c.id for c in waiting_requests(user)], listed

    assert [lists(user) for user in (counselor, other, stranger)] == [(True, False), (True, False), (False, False)]
    post_message(case, other, "Halo Sinta, saya siap mendengarkan.", now=SUNDAY_22 + timedelta(minutes=13))
    db.session.commit()
    assert [lists(user) for user in (counselor, other, stranger)] == [(False, False), (False, True), (False, False)]


@pytest.mark.real_commits
def test_counselors_answering_at_once_give_the_request_one_counselor(_app, people, make_user):
    """Everyone on duty hears of a new request at the same moment: of those answering together,
    the first takes the case, the others are told so and read nothing of it."""
    from tests.conftest import at_once

    case = acknowledged_case(people)
    counselors = [people["counselor"].id, people["other"].id,
                  *(make_user("counselor", units=["DKT"]).id for _ in range(3))]

    def attempt(user_id):
        from app.auth.models import User

        post_message(db.session.get(Case, case.id), db.session.get(User, user_id), "Halo, saya siap mendengarkan.",
                     now=SUNDAY_22 + timedelta(minutes=13))

    outcomes = at_once(_app, attempt, counselors)
    assert outcomes.count("ok") == 1, outcomes
    # refused under the lock, or before it once the first had answered
    assert all(o == "ok" or "sudah ditangani" in o or "tidak lagi dapat Anda tangani" in o for o in outcomes), outcomes
    db.session.expire_all()
    case = db.session.get(Case, case.id)
    assert len(case.team()) == 1 and db.session.scalar(
        sa.select(sa.func.count()).select_from(ThreadMessage).where(ThreadMessage.case_id == case.id,
                                                                   ThreadMessage.author_id != people["student"].id)) == 1


def test_the_conversation_is_sealed_logged_and_claimed_by_the_counselor_who_answers(people):
    student, counselor, other = people["student"], people["counselor"], people["other"]
    case = acknowledged_case(people)
    post_message(case, student, "RAHASIA: saya takut gagal", now=SUNDAY_22 + timedelta(minutes=12))
    assert messages(case, counselor) == []  # not on the team yet: reads nothing
    post_message(case, counselor, "Halo Sinta, saya siap mendengarkan.", now=SUNDAY_22 + timedelta(minutes=13))
    db.session.commit()
    assert [m.user_id for m in case.team()] == [counselor.id] and case.team()[0].how == "claimed"
    assert case.assignee_id == counselor.id and case.state == CaseState.OPEN  # no step of its own
    claimed = db.session.scalar(sa.select(CaseAccess).where(CaseAccess.case_id == case.id,
                                                           CaseAccess.action == "team:claimed"))
    assert claimed.user_id == counselor.id
    with pytest.raises(DomainError):
        post_message(case, other, "Saya juga", now=SUNDAY_22 + timedelta(minutes=14))
    db.session.rollback()
    raw = db.session.scalars(sa.select(ThreadMessage.sealed)).all()
    assert len(raw) == 2 and not any("RAHASIA" in r or "Halo" in r for r in raw)
    texts = [text for _m, text in messages(case, counselor)]
    assert texts == ["RAHASIA: saya takut gagal", "Halo Sinta, saya siap mendengarkan."]
    assert [text for _m, text in messages(case, student, after=case.id and 0)][-1].startswith("Halo")
    db.session.commit()
    reads = db.session.scalars(sa.select(CaseAccess).where(CaseAccess.case_id == case.id,
                                                           CaseAccess.action == "read")).all()
    assert {r.user_id for r in reads} >= {counselor.id, student.id}
    mail = db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.key.startswith("thread:"))).all()
    assert {m.user_id for m in mail} == {student.id}  # the student's message reached no team yet
    assert all("Halo" not in m.body and f"/online/cases/{case.id}" in m.body for m in mail)
    assert messages(case, other) == []


def test_a_video_session_is_proposed_in_office_hours_and_becomes_a_real_appointment(app, people):
    student, counselor = people["student"], people["counselor"]
    case = acknowledged_case(people)
    post_message(case, counselor, "Mari bertemu lewat video.", now=SUNDAY_22 + timedelta(minutes=13))
    db.session.add(Availability(counselor_id=counselor.id, weekday=1, start_time=time(9), end_time=time(12),
                                session_minutes=45, buffer_minutes=15, mode=Mode.IN_PERSON, room="Ruang DKT"))
    db.session.commit()
    now = SUNDAY_22 + timedelta(minutes=20)
    with pytest.raises(DomainError):  # outside the counselor's hours
        propose_session(case, counselor, datetime(2026, 12, 1, 20, 0), Mode.ONLINE, "https://meet.example.id/x", None,
                        now=now)
    with pytest.raises(DomainError):  # a video session needs its link
        propose_session(case, counselor, datetime(2026, 12, 1, 9, 0), Mode.ONLINE, None, None, now=now)
    db.session.rollback()
    proposal = propose_session(case, counselor, datetime(2026, 12, 1, 9, 0), Mode.ONLINE,
                               "https://meet.example.id/unpam-dkt", "828 123", now=now)
    agreed = accept(proposal, student, now=now + timedelta(minutes=5))
    db.session.commit()
    assert agreed.status == AppointmentStatus.AGREED and agreed.mode == Mode.ONLINE
    assert agreed.meeting_url == "https://meet.example.id/unpam-dkt" and agreed.meeting_code == "828 123"
    invite = db.session.scalar(sa.select(OutboxMessage).where(OutboxMessage.user_id == student.id,
                                                               OutboxMessage.key.like(f"appt:{agreed.id}:%:invite%")))
    assert invite.attachments[0]["method"] == "REQUEST" and "828 123" in invite.body
    reminders = db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.key.like(f"appt:{agreed.id}:%remind%")))
    assert len(reminders.all()) == 4  # the day before and the hour before, to both
    feed = app.test_client().get(f"/calendar/{profile_for(counselor).feed_token}.ics").data
    [event] = Calendar.from_ical(feed).walk("VEVENT")
    assert str(event["URL"]) == "https://meet.example.id/unpam-dkt" and "828 123" in str(event["DESCRIPTION"])
    assert agreed.case_id == case.id and len(case.current_steps()) == 6  # on the case, no step
    assert case.state == CaseState.OPEN
    close_with_report(case, counselor, "RAHASIA: dua sesi, membaik.", now=now + timedelta(days=3))
    db.session.commit()
    assert case.state == CaseState.CLOSED and case.closed_at == now + timedelta(days=3)
    assert "RAHASIA" not in str(case.data) and "RAHASIA" not in (case.sealed or "")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Appointment)) == 1


def test_the_closing_report_closes_the_case_only_by_its_counselor_and_is_in_its_history(people):
    from app.sop.access import read_ground

    student, counselor, other = people["student"], people["counselor"], people["other"]
    case = start_intake(get_procedure(UNPAM), student, now=SUNDAY_22)
    submit_all(case, student)
    with pytest.raises(DomainError):  # the steps are not behind it yet (the acknowledgement is due)
        close_with_report(case, counselor, "Laporan", now=SUNDAY_22 + timedelta(minutes=11))
    acknowledge_due(SUNDAY_22 + timedelta(minutes=11))
    db.session.commit()
    with pytest.raises(DomainError):
        close_with_report(case, counselor, "Laporan", now=SUNDAY_22 + timedelta(minutes=20))  # not on the team yet
    db.session.rollback()
    post_message(case, counselor, "Halo", now=SUNDAY_22 + timedelta(minutes=13))
    for who in (other, student, people["head"]):
        with pytest.raises(DomainError):
            close_with_report(case, who, "Laporan", now=SUNDAY_22 + timedelta(minutes=20))
    with pytest.raises(DomainError):  # an empty report
        close_with_report(case, counselor, "  ", now=SUNDAY_22 + timedelta(minutes=20))
    assert case.state == CaseState.OPEN
    close_with_report(case, counselor, "Cukup lewat pesan.", now=SUNDAY_22 + timedelta(hours=1))
    db.session.commit()
    assert case.state == CaseState.CLOSED and case.closed_at == SUNDAY_22 + timedelta(hours=1)
    assert [r.state for r in case.current_steps()] == [StepState.DONE] * 6
    closing = db.session.scalar(sa.select(CaseAccess).where(CaseAccess.case_id == case.id,
                                                           CaseAccess.action == "close"))
    assert closing.user_id == counselor.id and closing.fields == "report"
    assert read_ground(counselor, case, "report") == "team" and read_ground(student, case, "report") is None
    assert read_ground(people["head"], case, "report") is None
    with pytest.raises(DomainError):  # the conversation is read-only now
        post_message(case, counselor, "Lagi", now=SUNDAY_22 + timedelta(hours=2))
    with pytest.raises(DomainError):
        post_message(case, student, "Terima kasih", now=SUNDAY_22 + timedelta(hours=2))
    with pytest.raises(DomainError):
        close_with_report(case, counselor, "Lagi", now=SUNDAY_22 + timedelta(hours=2))


def test_the_compliance_report_shows_each_stage_against_its_minutes(people):
    from app.reports.services import compliance

    case = start_intake(get_procedure(UNPAM), people["student"], now=SUNDAY_22)
    submit_all(case, people["student"])
    acknowledge_due(SUNDAY_22 + timedelta(minutes=11))
    db.session.commit()
    report = compliance(SUNDAY_22.date(), SUNDAY_22.date(), code=UNPAM, now=SUNDAY_22 + timedelta(minutes=12))
    rows = {r.position: r for r in report.rows[UNPAM]}
    assert [(rows[n].done, rows[n].median, rows[n].standard) for n in (3, 4, 5, 6)] == [
        (1, 3, 10), (1, 1, 2), (1, 6, 20), (1, 1, 2)]
    assert rows[6].on_time == 1 and rows[2].on_time == 0  # the e-mail link took 6 of its 5 minutes


def test_a_tatap_muka_student_books_a_slot_directly_once_a_counselor_answers(people):
    from app.booking.services import book, free_slots

    student, counselor = people["student"], people["counselor"]
    case = start_intake(get_procedure(UNPAM), student, now=SUNDAY_22)
    submit_stage(case, student, {"nim": "1", "prodi": "P", "phone": "0812345678", "mode": "tatap muka"},
                 now=SUNDAY_22 + timedelta(minutes=2))
    submit_stage(case, student, {"area": "akademik", "problem": "Jadwal kuliah bentrok"},
                 now=SUNDAY_22 + timedelta(minutes=5))
    acknowledge_due(SUNDAY_22 + timedelta(minutes=6))
    db.session.add(Availability(counselor_id=counselor.id, weekday=1, start_time=time(9), end_time=time(12),
                                session_minutes=45, buffer_minutes=15, mode=Mode.IN_PERSON, room="Ruang DKT 2"))
    post_message(case, counselor, "Silakan pilih jadwal tatap muka.", now=SUNDAY_22 + timedelta(minutes=30))
    now = SUNDAY_22 + timedelta(minutes=40)
    slot = free_slots(counselor, datetime(2026, 12, 1).date(), 1, now)[0]
    appointment = book(case, student, slot.start, now=now)
    db.session.commit()
    assert appointment.mode == Mode.IN_PERSON and appointment.location == "Ruang DKT 2"
    assert appointment.case_id == case.id and case.state == CaseState.OPEN  # the report follows the session
    assert len(case.current_steps()) == 6


def test_an_account_registered_long_before_skips_the_registration_stages(make_user):
    old = make_user("student", units=["DKT"], created_at=SUNDAY_22 - timedelta(days=200),
                    email_confirmed_at=SUNDAY_22 - timedelta(days=199))
    case = start_intake(get_procedure(UNPAM), old, now=SUNDAY_22)
    assert case.opened_at == SUNDAY_22
    assert [r.state for r in case.current_steps()[:3]] == [StepState.SKIPPED, StepState.SKIPPED, StepState.ACTIVE]
    assert current_stage(case)[0].active_at == SUNDAY_22


def test_a_counselor_who_lost_the_role_hears_no_more_of_the_conversation(people):
    """The subject's new message is announced to the team members who still serve the case, not
    to one who lost the counselor role (the thread is 404 for them)."""
    student, counselor = people["student"], people["counselor"]
    case = acknowledged_case(people)
    post_message(case, counselor, "Halo, saya siap mendengarkan.", now=SUNDAY_22 + timedelta(minutes=13))
    counselor.set_roles(["staff"])
    db.session.commit()
    post_message(case, student, "Masih di sana?", now=SUNDAY_22 + timedelta(minutes=30))
    db.session.commit()
    told = {m.user_id for m in db.session.scalars(sa.select(OutboxMessage).where(
        OutboxMessage.key.startswith(f"thread:{case.id}:")))}
    assert counselor.id not in told


def test_the_person_served_is_never_on_their_own_cases_team(app, people, make_user):
    """A student who is also a counselor: the head cannot add them to their own case's team (nor
    are they offered), and no step of it but their own is theirs to act on or in "Tugas saya"."""
    from app.sop.access import add_member, can_act, can_close
    from app.sop.forms import TeamForm, team_candidates
    from app.sop.services import task_list

    both = make_user("student", "counselor", units=["DKT"])
    case = start_intake(get_procedure(UNPAM), both, now=SUNDAY_22)
    submit_all(case, both)
    db.session.commit()
    with app.test_request_context():
        form = TeamForm(formdata=None)
        team_candidates(form, case)
        assert not any(c.value.startswith(f"{both.id}:") for c in form.user_id.choices)
        assert f"{people['counselor'].id}:counselor" in [c.value for c in form.user_id.choices]
        with pytest.raises(DomainError, match="tidak dapat menjadi anggota tim"):
            add_member(case, people["head"], both, "counselor", "Konselor piket")
        db.session.rollback()
        assert all(not can_act(both, case, row) for row in case.current_steps())  # the acknowledgement: not theirs
        assert case.id not in [task.case_id for task in task_list(both, SUNDAY_22 + timedelta(minutes=11))]
    acknowledge_due(SUNDAY_22 + timedelta(minutes=11))
    post_message(case, people["counselor"], "Halo", now=SUNDAY_22 + timedelta(minutes=13))
    db.session.commit()
    assert not can_close(both, case) and can_close(people["counselor"], case)


def test_a_counselor_taken_off_the_case_leaves_no_time_to_agree_with_them(people, make_user):
    """The head takes the counselor off: the times they proposed are withdrawn; a proposal of a
    counselor who lost the role cannot be accepted either (nothing changes)."""
    from app.sop.access import remove_member

    student, counselor, head = people["student"], people["counselor"], people["head"]
    case = acknowledged_case(people)
    now = SUNDAY_22 + timedelta(minutes=20)
    post_message(case, counselor, "Mari bertemu lewat video.", now=now)
    db.session.add(Availability(counselor_id=counselor.id, weekday=1, start_time=time(9), end_time=time(12),
                                session_minutes=45, buffer_minutes=15, mode=Mode.IN_PERSON, room="Ruang DKT"))
    proposal = propose_session(case, counselor, datetime(2026, 12, 1, 9, 0), Mode.ONLINE,
                               "https://meet.example.id/dkt", "828 123", now=now)
    db.session.commit()
    counselor.set_roles({"staff"})  # lost the counselor role: the proposal stands but is not theirs to keep
    db.session.commit()
    with pytest.raises(DomainError, match="tidak lagi menangani"):
        accept(proposal, student, now=now + timedelta(minutes=5))
    db.session.rollback()
    assert proposal.status == AppointmentStatus.PROPOSED
    counselor.set_roles({"counselor"})
    remove_member(case, head, next(m.id for m in case.team() if m.user_id == counselor.id), "Konflik kepentingan",
                  now=now + timedelta(minutes=10))
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Appointment)) == 0


def test_a_message_of_invisible_characters_is_refused_and_takes_no_case(people):
    case = acknowledged_case(people)
    for text in ("\u200b", " \u202e\u200b\n", "\ufeff"):
        with pytest.raises(DomainError, match="Tuliskan pesan"):
            post_message(case, people["counselor"], text, now=SUNDAY_22 + timedelta(minutes=13))
    db.session.rollback()
    assert case.team() == [] and db.session.scalar(sa.select(sa.func.count()).select_from(ThreadMessage)) == 0


def test_a_head_asking_for_counseling_runs_nothing_of_their_own_case(app, people, make_user):
    """A head of the unit who is also a student: on their own case they are its person served,
    not its head (no review, no team change, no disposition to them); and a student who is also a
    counselor still reads their own conversation once a colleague took it."""
    from app.online.thread import taken_by_another
    from app.sop.access import add_member, can_review, is_head_of, open_review, remove_member

    head_student = make_user("student", "head", units=["DKT"])
    case = acknowledged_case(people, head_student, answered=True)
    assert not is_head_of(head_student, case) and not can_review(head_student, case)
    assert is_head_of(people["head"], case)
    for attempt in (lambda: open_review(case, head_student, "saya ingin membaca kasus saya sendiri"),
                    lambda: add_member(case, head_student, people["other"], "counselor", "Ganti"),
                    lambda: remove_member(case, head_student, case.team()[0].id, "tidak cocok")):
        with pytest.raises(DomainError):
            attempt()
        db.session.rollback()
    both = make_user("student", "counselor", units=["DKT"])
    own = acknowledged_case(people, both, answered=True)
    assert not taken_by_another(both, own) and messages(own, both)


def test_blank_letters_and_marks_are_no_text(people):
    """Hangul fillers, the blank Braille pattern, a mark alone: nothing to read, as spaces are."""
    from app.forms import letters, strip
    from app.sop.access import open_review

    assert [strip(t) for t in ("\u3164", "\u2800\u2800", "\u034f", "\ufe0f", "\u115f\u1160", "\uffa0")] == [""] * 6
    assert strip("\u3164 Halo \u200b") == "Halo" and strip("Caf\u00e9") == "Caf\u00e9" and letters("\u3164" * 10) == 0
    case = acknowledged_case(people)
    with pytest.raises(DomainError, match="Tuliskan pesan"):
        post_message(case, people["counselor"], "\u3164\u2800", now=SUNDAY_22 + timedelta(minutes=13))
    with pytest.raises(DomainError):
        open_review(case, people["head"], "\u3164" * 12)
    db.session.rollback()
    assert case.team() == []
