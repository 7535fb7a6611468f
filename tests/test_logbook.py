"""The log book: one line per service, searchable (htmx fragment, keyset pages) and exported to
XLSX with typed text kept as text; a correction keeps the earlier value with who changed it,
when and why; only the counseling staff of the line's unit see it. And self-initiated
counseling: the desk, the student's status against the roster (unknown NIM, recorded override),
the agreed time as a log book line that the service completes."""
from __future__ import annotations

import io
from datetime import datetime, timedelta, timezone

import pytest

from app.errors import DomainError
from app.extensions import db
from app.referrals.desk import open_at_desk
from app.referrals.logbook import LineValues, correct_line
from app.referrals.models import LogbookEntry, LogbookRevision
from app.referrals.screens import check_status, record_service
from app.sop.models import StepState
from app.sop.services import complete_step
from app.workshops.roster import import_roster, save_program

T0 = datetime(2026, 11, 23, 2, 0, tzinfo=timezone.utc)


def active_key(case) -> str:
    return next(r.key for r in case.current_steps() if r.state == StepState.ACTIVE)


@pytest.fixture
def desk(app, make_user):
    save_program(None, "PMAT", "Pendidikan Matematika", "FKIP", None)
    db.session.commit()
    import_roster(("NIM;Nama;Prodi;Semester;E-mail;Status\n"
                   "2101010001;Ani Lestari;PMAT;3;ani@test.id;aktif\n"
                   "2101010009;Dodi Pratama;PMAT;7;dodi@test.id;cuti\n").encode(), "r.csv")
    db.session.commit()
    return {"staff": make_user("staff", name="Staf BKA"), "counselor": make_user("counselor", name="Dra. Endang"),
            "counselor2": make_user("counselor", name="Rudi Hartono, M.Psi.")}


def served(desk, case, needs_external="tidak", at=T0, minutes=45, outcome="Selesai"):
    return record_service(case, desk["counselor"], LineValues(at, "Konseling pribadi", desk["counselor"].id, minutes,
                                                              outcome), {"needs_external": needs_external}, now=at)


def to_service(desk, nim="2101010001", later="ya"):
    case = open_at_desk(desk["staff"], nim, "Sulit tidur menjelang ujian.", now=T0)
    check_status(case, desk["staff"], nim, False, None, now=T0)
    complete_step(case, active_key(case), desk["staff"], {"service_type": "Konseling pribadi",
                                                          "counselor": str(desk["counselor"].id), "later": later},
                  now=T0)
    return case


def test_the_desk_finds_the_student_by_nim_and_says_so_clearly_when_unknown(desk):
    with pytest.raises(DomainError, match="NIM 999999 tidak ditemukan di data mahasiswa"):
        open_at_desk(desk["staff"], "999999", "Butuh konseling.")
    case = open_at_desk(desk["staff"], "2101010001", "Butuh konseling.", now=T0)
    assert case.subject.nim == "2101010001"
    assert case.current_steps()[0].state == StepState.DONE  # the student told the staff at the desk
    assert case.current_steps()[1].state == StepState.ACTIVE


def test_staff_of_another_unit_learn_nothing_of_the_roster_at_the_desk(desk, make_user):
    stranger = make_user("staff", units=["PUSPAGA"])
    for nim in ("2101010001", "999999"):  # known or not, one answer
        with pytest.raises(DomainError, match="tidak dibuka di unit Anda"):
            open_at_desk(stranger, nim, "Butuh konseling.")


def test_status_check_refuses_inactive_or_unknown_unless_overridden_with_a_reason(desk):
    case = open_at_desk(desk["staff"], "2101010009", "Butuh konseling.", now=T0)
    with pytest.raises(DomainError, match="Status Dodi Pratama di data mahasiswa: cuti"):
        check_status(case, desk["staff"], "2101010009", False, None, now=T0)
    with pytest.raises(DomainError, match="tidak ditemukan di data mahasiswa"):
        check_status(case, desk["staff"], "123456", False, None, now=T0)
    with pytest.raises(DomainError, match="alasan"):
        check_status(case, desk["staff"], "2101010009", True, "ok", now=T0)
    check_status(case, desk["staff"], "2101010009", True, "Cuti akademik, surat aktif kembali sedang diproses.",
                 now=T0)
    row = case.step_row(case.current_steps()[1].key)
    assert row.done_by_id == desk["staff"].id and row.done_at == T0  # who and when
    assert row.data["override_reason"].startswith("Cuti akademik") and "cuti, semester 7" in row.data["student_status"]


def test_the_agreed_time_is_a_line_that_the_service_completes(desk):
    case = to_service(desk)
    agreed_at = T0 + timedelta(days=2)
    record_service(case, desk["counselor"], LineValues(agreed_at, "Konseling pribadi", desk["counselor"].id, None, None),
                   {}, now=T0)
    line = db.session.scalar(db.select(LogbookEntry))
    assert line.status == "dijadwalkan" and line.duration_minutes is None
    assert case.data["agreed_at"].startswith("2026-11-25")
    served(desk, case, at=agreed_at)
    db.session.commit()
    assert db.session.scalar(db.select(db.func.count(LogbookEntry.id))) == 1  # one line per service
    assert line.status == "terlaksana" and line.duration_minutes == 45


def test_a_service_line_needs_duration_outcome_and_a_counselor(desk):
    case = to_service(desk, later="tidak")
    db.session.commit()  # each refusal is rolled back to here
    for values, field in [(LineValues(T0, "Konseling", desk["counselor"].id, None, "Selesai"), "duration_minutes"),
                          (LineValues(T0, "Konseling", desk["counselor"].id, 30, ""), "outcome"),
                          (LineValues(T0, "Konseling", desk["staff"].id, 30, "Selesai"), "counselor_id"),
                          (LineValues(T0, "", desk["counselor"].id, 30, "Selesai"), "service_kind")]:
        with pytest.raises(DomainError) as refused:
            record_service(case, desk["counselor"], values, {"needs_external": "tidak"}, now=T0)
        assert refused.value.field == field
        db.session.rollback()


def test_a_correction_keeps_the_earlier_value_with_who_and_when(desk):
    case = to_service(desk, later="tidak")
    line = served(desk, case)
    later = T0 + timedelta(hours=3)
    with pytest.raises(DomainError, match="alasan"):
        correct_line(line, desk["staff"], LineValues(T0, "Konseling pribadi", desk["counselor"].id, 60, "Selesai"), "")
    changes = correct_line(line, desk["staff"], LineValues(T0, "Konseling pribadi", desk["counselor2"].id, 60,
                                                           "Selesai"), "Salah tulis durasi dan konselor", now=later)
    db.session.commit()
    assert {(c.field, c.old_value, c.new_value) for c in changes} == {
        ("duration_minutes", "45", "60"), ("counselor_id", "Dra. Endang", "Rudi Hartono, M.Psi.")}
    assert all(c.changed_by_id == desk["staff"].id and c.changed_at == later for c in changes)
    assert line.duration_minutes == 60 and line.counselor_id == desk["counselor2"].id
    with pytest.raises(DomainError, match="Tidak ada yang berubah"):
        correct_line(line, desk["staff"], LineValues(T0, "Konseling pribadi", desk["counselor2"].id, 60, "Selesai"),
                     "Tidak ada perubahan")


def login(app, user):
    client = app.test_client()
    assert client.submit("/login", {"email": user.email, "password": "rahasia123"}).status_code == 302
    return client


def test_search_list_htmx_fragment_pages_and_export(desk, app, make_user):
    from openpyxl import load_workbook

    case = to_service(desk, later="tidak")
    served(desk, case, outcome="=HYPERLINK(\"http://x\",\"klik\")")
    for n in range(30):  # more lines than a page
        db.session.add(LogbookEntry(unit_id=case.unit_id, student_name=f"Mahasiswa {n:02d}", nim=f"22010{n:05d}",
                                    service_kind="Konseling karier", counselor_id=desk["counselor"].id,
                                    served_at=T0 - timedelta(days=n + 1), duration_minutes=30, outcome="Selesai",
                                    status="terlaksana", created_by_id=desk["staff"].id))
    db.session.commit()
    client = login(app, desk["counselor"])
    full = client.get("/logbook").get_data(as_text=True)
    assert "<html" in full and "Ani Lestari" in full and 'rel="next"' in full
    fragment = client.get("/logbook?q=ani", headers={"HX-Request": "true"})
    text = fragment.get_data(as_text=True)
    assert "<html" not in text and "Ani Lestari" in text and "Mahasiswa 01" not in text
    assert "HX-Request" in fragment.headers["Vary"]
    older = client.get("/logbook?after=garbage").get_data(as_text=True)
    assert "Ani Lestari" in older  # a broken cursor is the first page
    book = load_workbook(io.BytesIO(client.get("/logbook.xlsx?q=ani").data))
    rows = list(book.active.iter_rows(values_only=True))
    assert rows[0][0] == "Tanggal" and len(rows) == 2 and rows[1][3] == "Ani Lestari"
    cell = book.active.cell(row=2, column=8)
    assert cell.data_type == "s" and cell.value.startswith("=HYPERLINK")  # text, never a formula
    # a counselor of another unit sees none of it; a line of another unit is 404
    stranger = login(app, make_user("counselor", units=[]))
    assert "Ani Lestari" not in stranger.get("/logbook").get_data(as_text=True)
    line = db.session.scalar(db.select(LogbookEntry).where(LogbookEntry.student_name == "Ani Lestari"))
    assert stranger.get(f"/logbook/{line.id}").status_code == 404
    assert login(app, make_user("student")).get("/logbook").status_code == 403


def test_correction_page_shows_the_history(desk, app):
    case = to_service(desk, later="tidak")
    line = served(desk, case)
    db.session.commit()
    client = login(app, desk["staff"])
    answer = client.submit(f"/logbook/{line.id}", {"served_at": "2026-11-23T10:30", "service_kind": "Konseling pribadi",
                                                  "counselor_id": str(desk["counselor2"].id), "duration_minutes": "55",
                                                  "outcome": "Selesai", "reason": "Salah catat jam dan durasi"})
    assert answer.status_code == 302
    page = client.get(f"/logbook/{line.id}").get_data(as_text=True)
    assert "Salah catat jam dan durasi" in page and "Staf BKA" in page
    assert db.session.scalar(db.select(db.func.count(LogbookRevision.id))) == 3
    # the history reads as the form does: labels, local Indonesian dates, minutes, names
    assert "Durasi: 45 menit → 55 menit" in page
    assert ("Tanggal dan jam layanan: Senin, 23 November 2026, 09.00 WIB → Senin, 23 November 2026, 10.30 WIB"
            in page)
    assert "Staf konseling: Dra. Endang → Rudi Hartono, M.Psi." in page
    assert not any(raw in page for raw in ("duration_minutes:", "served_at:", "counselor_id:", "+00:00"))


def test_the_desk_is_in_staff_navigation_with_a_way_back_and_links_daftarkan_klien(desk, app, make_user):
    client = login(app, desk["staff"])
    home = client.get("/").get_data(as_text=True)
    assert 'href="/counseling/desk"' in home  # in the navigation, not only behind the log book
    assert 'href="/counseling/desk"' not in login(app, make_user("student")).get("/").get_data(as_text=True)
    page = client.get("/counseling/desk").get_data(as_text=True)
    assert 'href="/logbook"' in page
    assert 'href="/accounts/clients/new"' not in page.split("<main", 1)[-1]  # the link comes with the refusal
    refused = client.submit("/counseling/desk", {"nim": "999999", "need": "Butuh konseling."})
    text = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "NIM 999999 tidak ditemukan" in text
    assert 'href="/accounts/clients/new"' in text.split("<main", 1)[-1]


def test_status_screen_answers_an_unknown_nim_clearly_and_records_the_override(desk, app):
    case = open_at_desk(desk["staff"], "2101010001", "Butuh konseling.", now=T0)
    db.session.commit()
    client = login(app, desk["staff"])
    page = client.get(f"/cases/{case.id}/student-status").get_data(as_text=True)
    assert 'value="2101010001"' in page  # the student's NIM, from their account
    refused = client.submit(f"/cases/{case.id}/student-status", {"nim": "777777", "override_reason": ""})
    assert refused.status_code == 422
    assert "NIM 777777 tidak ditemukan di data mahasiswa" in refused.get_data(as_text=True)
    done = client.submit(f"/cases/{case.id}/student-status", {"nim": "777777", "override": "y",
                                                             "override_reason": "Mahasiswa pindahan, data belum masuk."})
    assert done.status_code == 302
    db.session.expire_all()
    row = next(r for r in case.current_steps() if r.data.get("override_reason"))
    assert row.done_by_id == desk["staff"].id and row.data["student_status"] == "tidak ditemukan di data mahasiswa"


def test_a_student_asks_by_themselves_on_the_service_page(desk, app, make_user):
    from app.sop.models import Case

    student = make_user("student", nim="2101010001", name="Ani Lestari")
    client = login(app, student)
    procedures = client.get("/procedures").get_data(as_text=True)
    assert "Layanan Konseling Mahasiswa Inisiatif Sendiri" in procedures
    answer = client.submit("/cases/new/ik-konseling-inisiatif", {"need": "Sulit tidur menjelang ujian."})
    assert answer.status_code == 302
    case = db.session.scalar(db.select(Case).where(Case.subject_id == student.id))
    assert case is not None and case.current_steps()[0].state in (StepState.ACTIVE, StepState.DONE)


def test_the_desk_and_the_log_book_keep_to_the_units_own_people(desk, make_user):
    """Staff of another unit cannot open the desk's request in this unit, and a counselor of
    another unit is neither offered nor accepted as the one who gave a service here."""
    from app.referrals.logbook import counselors

    elsewhere = make_user("staff", units=["PUSPAGA"])
    with pytest.raises(DomainError, match="tidak dibuka di unit Anda"):
        open_at_desk(elsewhere, "2101010001", "Butuh konseling.", now=T0)
    outsider = make_user("counselor", name="Konselor PUSPAGA", units=["PUSPAGA"])
    case = to_service(desk)
    assert outsider not in counselors(case.unit_id) and desk["counselor"] in counselors(case.unit_id)
    with pytest.raises(DomainError, match="staf konseling"):
        record_service(case, desk["counselor"], LineValues(T0, "Konseling pribadi", outsider.id, 30, "Selesai"),
                       {"needs_external": "tidak"}, now=T0)
