"""Cases: open, step forms for the right actor in order with complete input, conditional
steps, assignment, confidentiality, the access log, "Tugas saya"."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
import sqlalchemy as sa

from app.errors import DomainError
from app.extensions import db
from app.sop.models import Case, CaseAccess, CaseState, CaseStep, StepState
from app.sop.registry import get_procedure
from app.sop.services import complete_step, open_case
from tests.conftest import at_once, db_fingerprint

KARIER = {"nim": "19010001 / 2023", "prodi": "Pendidikan Matematika", "phone": "0812", "mode": "online",
          "question": "Saya bingung memilih antara guru dan data analyst"}


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(timezone.utc)


@pytest.fixture
def karier(app, make_user):
    alumnus = make_user("alumni", name="Budi Santoso")
    case = open_case(get_procedure("pgri-konseling-karier"), alumnus, dict(KARIER), now=at("2026-11-23T09:00+07:00"))
    db.session.commit()
    return case


def states(case):
    return [s.state.value for s in sorted(case.steps, key=lambda s: s.position)]


def test_open_case_activates_first_step_with_its_deadline(karier):
    first = karier.steps[0]
    assert states(karier) == ["active"] + ["pending"] * 6
    assert first.due_at == at("2026-11-23T10:00+07:00")  # 1 jam
    assert first.remind_at == at("2026-11-23T09:45+07:00") and first.escalate_at == at("2026-11-23T10:30+07:00")
    assert karier.subject.name == "Budi Santoso" and karier.version.version == 1


def test_steps_run_in_order_by_the_right_actor_with_complete_input(karier, make_user):
    staff, head, counselor, other_counselor = (make_user("staff"), make_user("head"), make_user("counselor"),
                                               make_user("counselor"))
    with pytest.raises(DomainError, match="pelaksana lain"):
        complete_step(karier, "izin_tu", head, {})
    with pytest.raises(DomainError, match="belum atau tidak lagi"):
        complete_step(karier, "form_permohonan", staff, {"complete": "lengkap"})
    complete_step(karier, "izin_tu", staff, {}, now=at("2026-11-23T09:30+07:00"))
    with pytest.raises(DomainError, match="Kelengkapan belum terpenuhi: Form permohonan lengkap"):
        complete_step(karier, "form_permohonan", staff, {})
    with pytest.raises(DomainError, match="tidak tersedia"):
        complete_step(karier, "form_permohonan", staff, {"complete": "mungkin"})
    complete_step(karier, "form_permohonan", staff, {"complete": "lengkap"}, now=at("2026-11-23T11:00+07:00"))
    complete_step(karier, "rekomendasi", head, {"counselor": str(counselor.id)}, now=at("2026-11-23T13:00+07:00"))
    assert karier.assignee_id == counselor.id
    with pytest.raises(DomainError, match="pelaksana lain"):
        complete_step(karier, "kesepakatan", other_counselor, {"agreed_at": "2026-11-25T10:00", "place": "R. 1"})
    complete_step(karier, "kesepakatan", counselor, {"agreed_at": datetime(2026, 11, 25, 10), "place": "Ruang 1"})
    complete_step(karier, "fasilitas", staff, {"room_ready": True})
    complete_step(karier, "pelaksanaan", counselor, {"attendance": "hadir"})
    complete_step(karier, "laporan", counselor, {"report": "Konseli memilih jalur data analyst."})
    db.session.commit()
    assert states(karier) == ["done"] * 7 and karier.state == CaseState.CLOSED
    first = karier.steps[0]
    assert first.done_by_id == staff.id and first.on_time and first.duration_minutes == 30


@pytest.mark.real_commits
def test_a_step_done_by_two_at_once_is_done_once(_app, karier, make_user):
    """The engine serializes what changes one case (lock_case): of two staff members taking the
    same step at the same moment, one does it and the other is told it is no longer active."""
    staff = [make_user("staff").id for _ in range(3)]

    def attempt(user_id):
        from app.auth.models import User

        complete_step(db.session.get(Case, karier.id), "izin_tu", db.session.get(User, user_id), {},
                      now=at("2026-11-23T09:30+07:00"))

    outcomes = at_once(_app, attempt, staff)
    assert outcomes.count("ok") == 1, outcomes
    assert all(o == "ok" or "tidak lagi dapat dikerjakan" in o for o in outcomes), outcomes
    db.session.expire_all()
    rows = db.session.scalars(sa.select(CaseStep).where(CaseStep.case_id == karier.id)).all()
    assert sorted((r.key, r.state.value) for r in rows if r.state != StepState.PENDING) == [
        ("form_permohonan", "active"), ("izin_tu", "done")]


def test_conditional_steps_are_skipped_when_their_condition_fails(app, make_user):
    advisor, counselor, student = make_user("advisor"), make_user("counselor"), make_user("student")
    staff = make_user("staff")
    case = open_case(get_procedure("ik-konseling-rujukan"), advisor, {"reason": "IPK turun"}, subject=student,
                     referral=True)
    complete_step(case, "terima_rujukan", staff, {"counselor": str(counselor.id)})
    for key, values in [("informasikan", {"agreed_at": datetime(2026, 11, 25, 9), "place": "Ruang BKA"}),
                        ("layanan", {}), ("log_book", {"needs_external": "tidak"})]:
        complete_step(case, key, counselor, values)
    assert states(case) == ["done"] * 4 + ["skipped", "skipped", "active"]


def test_confidential_values_are_encrypted_at_rest(karier):
    raw = db.session.execute(sa.text("SELECT data, sealed FROM cases WHERE id = :id"), {"id": karier.id}).one()
    assert "data analyst" not in str(raw.data) and "data analyst" not in raw.sealed
    assert "Pendidikan Matematika" in str(raw.data)


def test_case_page_is_only_for_those_who_need_it(karier, login_as, app):
    owner = app.test_client()
    assert owner.submit("/login", {"email": karier.subject.email, "password": "rahasia123"}).status_code == 302
    page = owner.get(f"/cases/{karier.id}").get_data(as_text=True)
    assert "data analyst" in page and "Linimasa" in page
    staff, _ = login_as("staff")
    staff_page = staff.get(f"/cases/{karier.id}").get_data(as_text=True)
    assert "data analyst" not in staff_page and "rahasia" in staff_page  # staff acts but may not read it
    stranger, _ = login_as("alumni")
    assert stranger.get(f"/cases/{karier.id}").status_code == 404
    admin, _ = login_as("admin")
    assert admin.get(f"/cases/{karier.id}").status_code == 404
    logged = db.session.scalar(sa.select(sa.func.count()).select_from(CaseAccess).where(CaseAccess.case_id == karier.id))
    assert logged == 2


def test_step_form_refuses_wrong_role_and_bad_input_without_writing(karier, login_as):
    head, _ = login_as("head")
    page = head.get(f"/cases/{karier.id}/steps/izin_tu").get_data(as_text=True)
    assert "dikerjakan oleh pelaksana lain" in page
    before = db_fingerprint()
    response = head.submit(f"/cases/{karier.id}/steps/izin_tu", {})
    assert response.status_code == 422 and before == db_fingerprint()
    staff, _ = login_as("staff")
    assert staff.submit(f"/cases/{karier.id}/steps/izin_tu", {}).status_code == 302
    before = db_fingerprint()
    response = staff.submit(f"/cases/{karier.id}/steps/form_permohonan", {"complete": "bukan pilihan"})
    assert response.status_code == 422 and "Pilihan tidak tersedia." in response.get_data(as_text=True)
    assert before == db_fingerprint()
    out_of_order = staff.submit(f"/cases/{karier.id}/steps/fasilitas", {"room_ready": "y"})
    assert out_of_order.status_code == 422 and "tidak sedang aktif" in out_of_order.get_data(as_text=True)


def test_open_case_through_the_form(login_as):
    client, user = login_as("alumni")
    missing = client.submit("/cases/new/pgri-konseling-karier", {"nim": "1901"})
    assert missing.status_code == 422 and "Program studi wajib diisi." in missing.get_data(as_text=True)
    response = client.submit("/cases/new/pgri-konseling-karier", dict(KARIER))
    assert response.status_code == 302
    case = db.session.scalar(sa.select(Case).where(Case.subject_id == user.id))
    assert case.code == "pgri-konseling-karier" and case.steps[0].state == StepState.ACTIVE


def test_staff_opens_a_case_for_a_chosen_subject(login_as, make_user):
    client, _ = login_as("staff")
    student = make_user("client", name="Ibu Siti")
    page = client.get("/cases/new/puspaga-konseling").get_data(as_text=True)
    assert "Ibu Siti" in page
    no_subject = client.submit("/cases/new/puspaga-konseling", {"client_kind": "keluarga", "phone": "0812"})
    assert no_subject.status_code == 422 and "Pilih penerima layanan." in no_subject.get_data(as_text=True)
    ok = client.submit("/cases/new/puspaga-konseling", {"client_kind": "keluarga", "phone": "0812",
                                                        "subject_id": student.id})
    assert ok.status_code == 302


def test_my_tasks_lists_soonest_due_first_and_refreshes_as_fragment(app, make_user, login_as):
    client, staff = login_as("staff")
    alumnus = make_user("alumni")
    late = open_case(get_procedure("pgri-konseling-karier"), alumnus, dict(KARIER), now=at("2026-11-20T09:00+07:00"))
    soon = open_case(get_procedure("pgri-konseling-karier"), alumnus, dict(KARIER), now=at("2026-11-23T09:00+07:00"))
    db.session.commit()
    page = client.get("/tasks").get_data(as_text=True)
    assert page.index(f"Kasus #{late.id}") < page.index(f"Kasus #{soon.id}")
    assert "Terlambat" in page and 'hx-trigger="every 30s"' in page
    fragment = client.get("/tasks", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert fragment.strip().startswith('<section id="tasks"') and "<html" not in fragment
    student, _ = login_as("student")
    assert "Tidak ada langkah yang menunggu Anda." in student.get("/tasks").get_data(as_text=True)


def test_calendar_change_recomputes_deadlines(karier, login_as):
    admin, _ = login_as("admin")
    step = karier.steps[0]
    assert step.due_at == at("2026-11-23T10:00+07:00")
    response = admin.submit("/admin/calendar", {"day": "2026-11-23", "open": "closed", "reason": "Dies natalis"})
    assert response.status_code == 302
    db.session.expire_all()
    step = db.session.get(CaseStep, step.id)
    assert step.due_at == at("2026-11-24T09:00+07:00")  # the 1 hour now starts on Tuesday's opening


def test_the_person_served_reads_their_case_without_the_units_sop_bookkeeping(karier, login_as, app, make_user):
    """The staff see each step's output (luaran), whether it was done on time and the SOP's
    version; the person served sees what happens for them: the deadline only of a step ahead."""
    complete_step(karier, "izin_tu", make_user("staff"), {}, now=at("2026-11-23T11:30+07:00"))  # late: 1 jam
    db.session.commit()
    owner = app.test_client()
    assert owner.submit("/login", {"email": karier.subject.email, "password": "rahasia123"}).status_code == 302
    staff, _ = login_as("staff")
    pages = [client.get(f"/cases/{karier.id}").get_data(as_text=True) for client in (staff, owner)]
    assert [("Luaran" in p, ">terlambat<" in p, "versi SOP" in p) for p in pages] == [(True, True, True),
                                                                                     (False, False, False)]
    assert "tenggat" in pages[1] or "Tenggat" in pages[1]  # the step ahead keeps its deadline


def test_the_case_list_says_none_is_running_and_leads_to_all(login_as):
    """The list opens on the running cases: with none, it says so and leads to the finished ones."""
    client, student = login_as("student")
    page = client.get("/cases").get_data(as_text=True)
    assert "Tidak ada kasus yang sedang berjalan." in page and "/cases?state=all" in page
    assert "Belum ada kasus." in client.get("/cases?state=all").get_data(as_text=True)
