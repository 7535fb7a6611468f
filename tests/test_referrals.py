"""Referrals by the dosen pembimbing akademik (instruksi kerja, bagian a): the advisor ↔ student
relation from the roster or set by staff; an advisor refers only their own advisees; staff inform
the student (outbox); a time is agreed on the booking screen; the service goes into the log book;
a numbered surat rujukan goes to a party of the directory; the external result is entered; the
report reaches the advisor as an administrative fact. The advisor reads back what they wrote and
follows the status, never the counseling content."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

import pytest

from app.errors import DomainError
from app.extensions import db
from app.notifications.models import OutboxMessage
from app.referrals.advisees import set_advisor
from app.referrals.logbook import LineValues
from app.referrals.models import ExternalParty, Referral
from app.referrals.screens import record_service, refer_externally
from app.referrals.services import inform_student, refer_student, referrals_of
from app.sop.access import read_ground
from app.sop.models import CaseState, StepState
from app.workshops.models import RosterStudent
from app.workshops.roster import import_roster, save_program
from tests.conftest import db_fingerprint

REASON = "Nilai turun tajam dua semester dan sering tidak hadir; perlu konseling akademik."


def active_key(case) -> str:
    return next(r.key for r in case.current_steps() if r.state == StepState.ACTIVE)


@pytest.fixture
def world(app, make_user):
    """Two advisors, each with one advisee in the roster (imported with the Dosen PA column), a
    counselor with availability, staff and head of the unit."""
    from app.booking.models import Availability, Mode

    advisor = make_user("advisor", name="Dr. Bambang Wijaya", email="bambang@test.id", employee_number="0711")
    other = make_user("advisor", name="Dr. Citra Dewi", email="citra@test.id")
    save_program(None, "PMAT", "Pendidikan Matematika", "FKIP", None)
    db.session.commit()
    data = ("NIM;Nama;Prodi;Semester;E-mail;Dosen PA;Status\n"
            "2101010001;Ani Lestari;PMAT;3;ani@test.id;0711;aktif\n"
            "2101010002;Budi Santoso;PMAT;5;budi@test.id;citra@test.id;\n").encode()
    report = import_roster(data, "roster.csv")
    assert (report.created, report.rejected) == (2, [])
    counselor = make_user("counselor", name="Dra. Endang Lestari")
    for weekday in range(7):
        db.session.add(Availability(counselor_id=counselor.id, weekday=weekday, start_time=time(0),
                                    end_time=time(23), mode=Mode.IN_PERSON, room="R. Konseling"))
    db.session.commit()
    students = {s.nim: s for s in db.session.scalars(db.select(RosterStudent))}
    return {"advisor": advisor, "other": other, "counselor": counselor, "staff": make_user("staff"),
            "head": make_user("head", name="Kepala BKA"), "ani": students["2101010001"],
            "budi": students["2101010002"]}


def test_roster_import_sets_the_advisor_and_status_and_reports_unknown_ones(world):
    assert world["ani"].advisor_id == world["advisor"].id and world["budi"].advisor_id == world["other"].id
    assert world["ani"].status == "aktif" and world["budi"].status == "aktif"
    data = ("NIM;Nama;Prodi;Semester;Dosen PA;Status\n"
            "2101010001;Ani Lestari;PMAT;3;tidak@ada.id;aktif\n"
            "2101010002;Budi Santoso;PMAT;5;;cuti\n"
            "2101010003;Cici;PMAT;3;bambang@test.id;pindah\n").encode()
    report = import_roster(data, "roster.csv")
    db.session.commit()
    assert [(r.line, r.nim) for r in report.rejected] == [(2, "2101010001"), (4, "2101010003")]
    assert "Dosen PA \"tidak@ada.id\" tidak dikenal" in report.rejected[0].reason
    assert "Status \"pindah\" tidak dikenal" in report.rejected[1].reason
    db.session.expire_all()
    assert world["ani"].advisor_id == world["advisor"].id  # a rejected row changes nothing
    assert world["budi"].advisor_id is None and world["budi"].status == "cuti"  # empty cell clears the advisor


def test_staff_set_an_advisor_by_nim(world):
    student = set_advisor(world["staff"], "2101010002", world["advisor"].id)
    assert student.advisor_id == world["advisor"].id
    with pytest.raises(DomainError, match="tidak ditemukan di data mahasiswa"):
        set_advisor(world["staff"], "999999", world["advisor"].id)
    with pytest.raises(DomainError, match="peran Dosen PA"):
        set_advisor(world["staff"], "2101010002", world["counselor"].id)


def test_the_advisor_page_says_whether_it_set_or_cleared_the_advisor(world, app):
    client = app.test_client()
    assert client.submit("/login", {"email": world["staff"].email, "password": "rahasia123"}).status_code == 302
    said = client.submit("/referrals/advisors", {"nim": "2101010002", "advisor_id": str(world["advisor"].id)},
                         follow_redirects=True).get_data(as_text=True)
    assert "Dosen PA Budi Santoso tersimpan." in said
    said = client.submit("/referrals/advisors", {"nim": "2101010002", "advisor_id": ""},
                         follow_redirects=True).get_data(as_text=True)
    assert "Dosen PA Budi Santoso dikosongkan." in said and world["budi"].advisor_id is None


def test_only_staff_of_the_unit_receiving_referrals_set_an_advisor(world, app, make_user):
    """Staff of another unit would learn a student's name from a NIM: refused, page and service."""
    before = world["budi"].advisor_id
    for role in ("staff", "head"):
        stranger = make_user(role, units=["PUSPAGA"])
        with pytest.raises(DomainError, match="staf unit yang menerima rujukan"):
            set_advisor(stranger, "2101010002", world["advisor"].id)
        client = app.test_client()
        assert client.submit("/login", {"email": stranger.email, "password": "rahasia123"}).status_code == 302
        assert client.get("/referrals/advisors").status_code == 403
        fingerprint = db_fingerprint()
        response = client.submit("/referrals/advisors", {"nim": "2101010002", "advisor_id": str(world["advisor"].id)})
        assert response.status_code == 403 and "Budi" not in response.get_data(as_text=True)
        assert db_fingerprint() == fingerprint
        logbook = client.get("/logbook")
        assert logbook.status_code == 200 and "/referrals/advisors" not in logbook.get_data(as_text=True)
    assert world["budi"].advisor_id == before


def test_an_advisor_refers_only_their_own_advisee(world):
    before = db_fingerprint()
    with pytest.raises(DomainError, match="bukan mahasiswa bimbingan Anda"):
        refer_student(world["advisor"], world["budi"].id, REASON)
    with pytest.raises(DomainError, match="minimal 10 karakter"):
        refer_student(world["advisor"], world["ani"].id, "   ")
    db.session.rollback()
    assert db_fingerprint() == before
    referral = refer_student(world["advisor"], world["ani"].id, REASON)
    db.session.commit()
    case = referral.case
    assert case.subject.email == "ani@test.id" and case.subject.nim == "2101010001"  # registered from the roster
    assert case.opened_by_id == world["advisor"].id and case.state == CaseState.OPEN
    assert read_ground(world["advisor"], case, "reason") == "author"
    assert db.session.scalar(db.select(OutboxMessage).where(OutboxMessage.recipient == "ani@test.id"))  # set-password
    with pytest.raises(DomainError, match="sudah memiliki rujukan"):
        refer_student(world["advisor"], world["ani"].id, REASON)


def _run_to_external(world, now):
    from app.booking.services import book, free_slots
    from app.sop.services import complete_step

    referral = refer_student(world["advisor"], world["ani"].id, REASON, now=now)
    case = referral.case
    complete_step(case, active_key(case), world["staff"], {"counselor": str(world["counselor"].id)}, now=now)
    inform_student(referral, world["staff"], "Konseling akademik", now=now)
    slot = free_slots(world["counselor"], date.today() + timedelta(days=2), 7)[0]
    book(case, case.subject, slot.start)
    complete_step(case, active_key(case), world["counselor"], {})  # the service is given
    entry = record_service(case, world["counselor"], LineValues(slot.start, "Konseling akademik", world["counselor"].id,
                                                               50, "Selesai; perlu pemeriksaan psikolog"),
                           {"needs_external": "ya"})
    db.session.commit()
    return referral, case, entry


def test_a_referral_from_advisor_to_external_result_and_report(world, app):
    from app.documents.models import Letter
    from app.sop.services import complete_step

    now = datetime.now(timezone.utc)
    referral, case, entry = _run_to_external(world, now)
    informed = db.session.scalars(db.select(OutboxMessage).where(
        OutboxMessage.key.like(f"referral-inform:{referral.id}%"))).all()
    assert informed and all(REASON not in m.body and "Konseling akademik" in m.body for m in informed)
    assert entry.status == "terlaksana" and entry.duration_minutes == 50 and entry.student_name == "Ani Lestari"
    assert entry.unit_id == case.unit_id
    party = refer_externally(case, world["counselor"], None, {"name": "dr. Sari Wulandari, Sp.KJ",
                                                              "institution": "RSJ Menur",
                                                              "address": "Jl. Raya Menur 120, Surabaya",
                                                              "email": "sari@rsj.test"})
    db.session.commit()
    letter = db.session.scalar(db.select(Letter).where(Letter.case_id == case.id, Letter.doc_type == "surat_rujukan"))
    assert letter is not None and "/RUJ/" in letter.number
    assert letter.context["data"]["external_institution"] == "RSJ Menur"
    assert db.session.scalar(db.select(OutboxMessage).where(OutboxMessage.recipient == "sari@rsj.test")).attachments
    # the directory keeps the party for the next referral
    assert db.session.scalar(db.select(ExternalParty.id).where(ExternalParty.name == party.name)) == party.id
    complete_step(case, active_key(case), world["counselor"], {"external_result": "Hasil pemeriksaan psikiater."})
    complete_step(case, active_key(case), world["counselor"], {"report_unit": "Prodi Pendidikan Matematika"})
    db.session.commit()
    assert case.state == CaseState.CLOSED
    report = db.session.scalar(db.select(Letter).where(Letter.case_id == case.id,
                                                       Letter.doc_type == "laporan_konseling"))
    to_advisor = db.session.scalars(db.select(OutboxMessage).where(
        OutboxMessage.key.like(f"letter:{report.id}:email:{world['advisor'].id}"))).all()
    assert to_advisor and "Hasil pemeriksaan" not in to_advisor[0].body
    # the advisor follows the status and reads back their own words, never the counseling content
    assert read_ground(world["advisor"], case, "reason") == "author"
    assert read_ground(world["advisor"], case, "external_result") is None
    status = referrals_of(world["advisor"])[0]
    assert status.stage == "Selesai" and status.done == status.total


def test_informing_twice_or_by_someone_outside_the_unit_is_refused(world, make_user):
    referral = refer_student(world["advisor"], world["ani"].id, REASON)
    with pytest.raises(DomainError):
        inform_student(referral, world["advisor"], "Konseling")  # the advisor is not the unit's staff
    with pytest.raises(DomainError):
        inform_student(referral, make_user("staff", units=[]), "Konseling")  # staff of no unit
    inform_student(referral, world["staff"], "Konseling")
    with pytest.raises(DomainError, match="sudah dikirim"):
        inform_student(referral, world["staff"], "Konseling")


# -- pages ----------------------------------------------------------------------------------------
def login(app, user):
    client = app.test_client()
    assert client.submit("/login", {"email": user.email, "password": "rahasia123"}).status_code == 302
    return client


def test_advisor_pages_refer_read_back_and_never_another_advisors_referral(world, app):
    client = login(app, world["advisor"])
    page = client.get("/referrals/new").get_data(as_text=True)
    assert "Ani Lestari" in page and "Budi Santoso" not in page
    refused = client.submit("/referrals/new", {"student": str(world["budi"].id), "reason": REASON})
    assert refused.status_code == 422 and "bukan mahasiswa bimbingan Anda" in refused.get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count(Referral.id))) == 0
    done = client.submit("/referrals/new", {"student": str(world["ani"].id), "reason": REASON})
    assert done.status_code == 302
    referral = db.session.scalar(db.select(Referral))
    shown = client.get(f"/referrals/{referral.id}").get_data(as_text=True)
    assert REASON in shown and "Staf menerima laporan" in shown
    assert "Ani Lestari" in client.get("/referrals").get_data(as_text=True)
    other = login(app, world["other"])
    assert other.get(f"/referrals/{referral.id}").status_code == 404
    assert other.get(f"/referrals/{referral.id + 1000}").status_code == 404


def test_the_advisor_never_opens_the_log_book_or_its_screen(world, app):
    now = datetime.now(timezone.utc)
    _referral, case, entry = _run_to_external(world, now)
    client = login(app, world["advisor"])
    assert client.get("/logbook").status_code == 403
    assert client.get(f"/logbook/{entry.id}").status_code == 403
    assert client.get(f"/cases/{case.id}/logbook").status_code == 403
    assert client.get(f"/cases/{case.id}/external").status_code == 403
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "Selesai; perlu pemeriksaan psikolog" not in page


def test_a_step_done_on_its_own_screen_cannot_be_done_through_the_generic_form(world, app):
    """The log book step writes its line on its own screen: posting the engine's generic step form
    instead is refused and changes nothing (so no step is done without its log book line)."""
    from app.booking.services import book, free_slots
    from app.sop.services import complete_step

    referral = refer_student(world["advisor"], world["ani"].id, REASON)
    case = referral.case
    complete_step(case, active_key(case), world["staff"], {"counselor": str(world["counselor"].id)})
    inform_student(referral, world["staff"], "Konseling akademik")
    book(case, case.subject, free_slots(world["counselor"], date.today() + timedelta(days=2), 7)[0].start)
    complete_step(case, active_key(case), world["counselor"], {})  # the service is given
    db.session.commit()
    key, client = active_key(case), login(app, world["counselor"])
    before = db_fingerprint()
    response = client.submit(f"/cases/{case.id}/steps/{key}", {"needs_external": "ya"})
    assert response.status_code == 422 and "halamannya sendiri" in response.get_data(as_text=True)
    assert db_fingerprint() == before


def test_staff_tasks_of_a_referral_and_a_desk_request_name_the_student(world, app):
    from app.referrals.desk import open_at_desk

    referral = refer_student(world["advisor"], world["ani"].id, REASON)
    desk_case = open_at_desk(world["staff"], "2101010002", "Butuh konseling.")
    db.session.commit()
    assert "Ani Lestari" in referral.case.title and "Budi Santoso" in desk_case.title
    client = login(app, world["staff"])
    tasks = client.get("/tasks").get_data(as_text=True)
    for case, name in ((referral.case, "Ani Lestari"), (desk_case, "Budi Santoso")):
        item = next(li for li in tasks.split("<li")[1:] if f"Kasus #{case.id} ·" in li)
        assert name in item, item
