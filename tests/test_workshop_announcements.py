"""The announcement to every kaprodi: one numbered letter per prodi, addressed by name, with the
prodi's registration link and QR code, e-mailed with its PDF (at a real SMTP sink); resending
never duplicates; progress per prodi; nudges; the kaprodi's page and forward (idempotent)."""
from __future__ import annotations

import io
from datetime import datetime, timedelta, timezone

import pytest
from pypdf import PdfReader

from app.documents.models import Letter
from app.extensions import db
from app.notifications.models import OutboxMessage, OutboxStatus
from app.notifications.services import deliver_due
from app.sop.registry import get_procedure
from app.sop.services import open_case
from app.workshops.announcements import forward, nudge, progress, send_announcements
from app.workshops.models import (Announcement, Registration, RegistrationStatus, RosterStudent, StudyProgram,
                                  Workshop)
from app.workshops.roster import save_program

NOW = datetime(2026, 11, 24, 2, 0, tzinfo=timezone.utc)


def make_workshop(head, title="Workshop Minat Bakat 2026") -> Workshop:
    case = open_case(get_procedure("pgri-minat-bakat"), head, {"panitia_ditetapkan": "2026-11-20T09:00",
                                                               "committee": "Tim"}, now=NOW)
    workshop = Workshop(case=case, title=title, starts_at=NOW + timedelta(days=10), capacity=250, venue="Aula Utama",
                        theme="Mengenal Diri")
    db.session.add(workshop)
    db.session.flush()
    return workshop


@pytest.fixture
def world(app, make_user):
    head = make_user("head", name="Dr. Ratih Christiana")
    sri = make_user("kaprodi", name="Dr. Sri Wahyuni", email="sri@test.id")
    agus = make_user("kaprodi", name="Agus Prasetyo, M.Pd.", email="agus@test.id")
    pmat = save_program(None, "PMAT", "Pendidikan Matematika", "FKIP", sri.id)
    pbi = save_program(None, "PBI", "Pendidikan Bahasa Inggris", "FKIP", agus.id)
    save_program(None, "PGSD", "PGSD", "FKIP", None)  # no kaprodi yet: left out
    for nim, program, semester, email in [("2101010001", pmat, 3, "a@test.id"), ("2101010002", pmat, 5, "b@test.id"),
                                          ("2101010003", pmat, 1, "c@test.id"), ("2101010004", pmat, 3, None),
                                          ("2101010005", pbi, 5, "e@test.id")]:
        db.session.add(RosterStudent(nim=nim, name=f"Mhs {nim}", program_id=program.id, semester=semester, email=email))
    workshop = make_workshop(head)
    db.session.commit()
    return {"head": head, "sri": sri, "agus": agus, "pmat": pmat, "pbi": pbi, "workshop": workshop}


def announce_mails():
    return db.session.scalars(db.select(OutboxMessage).where(OutboxMessage.key.like("workshop-announce:%"))
                              .order_by(OutboxMessage.recipient)).all()


def test_one_letter_per_prodi_to_its_kaprodi_by_name_arrives_with_its_pdf(world, smtp_server):
    result = send_announcements(world["workshop"], world["head"], now=NOW)
    db.session.commit()
    assert (result.issued, result.without_kaprodi) == (2, ["PGSD"])
    letters = db.session.scalars(db.select(Letter).where(Letter.doc_type == "surat_pemberitahuan")).all()
    assert len(letters) == 2 and len({letter.number for letter in letters}) == 2
    assert [m.recipient for m in announce_mails()] == ["agus@test.id", "sri@test.id"]
    assert deliver_due(NOW)["sent"] == 2
    mail = smtp_server.to("sri@test.id")[0]
    assert "Dr. Sri Wahyuni" in mail.get_body(("plain",)).get_content()
    assert f"/workshops/{world['workshop'].id}/register?prodi=PMAT" in mail.get_body(("plain",)).get_content()
    pdf = next(mail.iter_attachments())
    assert pdf.get_content_type() == "application/pdf"
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.get_content())).pages)
    assert "Dr. Sri Wahyuni" in text and "Pendidikan Matematika" in text
    assert "register?prodi=PMAT" in text.replace("\n", "")
    agus_pdf = next(smtp_server.to("agus@test.id")[0].iter_attachments()).get_content()
    assert "Agus Prasetyo" in "".join(p.extract_text() for p in PdfReader(io.BytesIO(agus_pdf)).pages)


def test_sending_again_duplicates_nothing_and_requeues_only_failures(world, smtp_server):
    workshop = world["workshop"]
    send_announcements(workshop, world["head"], now=NOW)
    db.session.commit()
    deliver_due(NOW)
    sri_mail = next(m for m in announce_mails() if m.recipient == "sri@test.id")
    sri_mail.status, sri_mail.last_error = OutboxStatus.FAILED, "SMTPRecipientsRefused: 550"
    db.session.commit()
    rows, _days = progress(workshop)
    states = {row.program.code: row.state for row in rows}
    assert states == {"PBI": "sent", "PGSD": "none", "PMAT": "failed"}
    result = send_announcements(workshop, world["head"], now=NOW + timedelta(hours=1))
    db.session.commit()
    assert (result.issued, result.requeued, result.unchanged) == (0, 1, 1)
    assert len(announce_mails()) == 2
    assert db.session.scalar(db.select(db.func.count()).select_from(Letter)) == 2
    assert deliver_due(NOW + timedelta(hours=1))["sent"] == 1
    assert len(smtp_server.to("agus@test.id")) == 1 and len(smtp_server.to("sri@test.id")) == 2


def test_progress_counts_registrations_per_prodi_over_time_and_nudges_once_a_day(world):
    workshop = world["workshop"]
    send_announcements(workshop, world["head"], now=NOW)
    for i, when in enumerate([NOW, NOW + timedelta(days=1), NOW + timedelta(days=1)]):
        db.session.add(Registration(workshop_id=workshop.id, nim=f"21020{i}", name="X", program_id=world["pmat"].id,
                                    semester=3, email=f"r{i}@test.id", status=RegistrationStatus.CONFIRMED,
                                    created_at=when))
    db.session.commit()
    rows, days = progress(workshop)
    pmat = next(r for r in rows if r.program.code == "PMAT")
    assert pmat.registrations == 3 and [pmat.by_day[d] for d in days] == [1, 2]
    announcements = {a.program_id: a for a in db.session.scalars(db.select(Announcement))}
    with pytest.raises(Exception, match="sudah memiliki pendaftar"):
        nudge(announcements[world["pmat"].id], world["head"], now=NOW)
    pbi = announcements[world["pbi"].id]
    assert nudge(pbi, world["head"], now=NOW) is True
    assert nudge(pbi, world["head"], now=NOW + timedelta(hours=2)) is False
    assert nudge(pbi, world["head"], now=NOW + timedelta(days=1)) is True
    db.session.commit()
    nudges = db.session.scalars(db.select(OutboxMessage).where(OutboxMessage.key.like("workshop-nudge:%"))).all()
    assert [m.recipient for m in nudges] == ["agus@test.id", "agus@test.id"]


def test_kaprodi_forwards_to_semester_3_and_5_once(world, app):
    send_announcements(world["workshop"], world["head"], now=NOW)
    db.session.commit()
    announcement = db.session.scalar(db.select(Announcement).where(Announcement.program_id == world["pmat"].id))
    with pytest.raises(Exception, match="Hanya kaprodi"):
        forward(announcement, world["agus"], now=NOW)
    assert forward(announcement, world["sri"], now=NOW) == 2
    assert forward(announcement, world["sri"], now=NOW) == 0
    db.session.commit()
    forwarded = db.session.scalars(db.select(OutboxMessage.recipient).where(
        OutboxMessage.key.like("workshop-forward:%")).order_by(OutboxMessage.recipient)).all()
    assert forwarded == ["a@test.id", "b@test.id"]
    assert (announcement.forwarded_count, announcement.forwarded_by_id) == (2, world["sri"].id)


def test_pages_progress_send_kaprodi_and_forward(world, app, login_as, make_user):
    from tests.conftest import Client  # noqa: F401 - the submit helper

    workshop = world["workshop"]
    head = app.test_client()
    head.submit("/login", {"email": world["head"].email, "password": "rahasia123"})
    response = head.submit(f"/workshops/{workshop.id}/announcements/send", {})
    assert response.status_code == 302
    page = head.get(f"/workshops/{workshop.id}/announcements").get_data(as_text=True)
    assert "Dr. Sri Wahyuni" in page and "dalam antrean" in page and "/PEM/" in page
    fragment = head.get(f"/workshops/{workshop.id}/announcements", headers={"HX-Request": "true"})
    assert 'id="announce-progress"' in fragment.get_data(as_text=True) and "<html" not in fragment.get_data(as_text=True)
    case_screen = head.get(f"/workshops/case/{workshop.case_id}/announcements")
    assert case_screen.headers["Location"].endswith(f"/workshops/{workshop.id}/announcements")

    sri = app.test_client()
    sri.submit("/login", {"email": "sri@test.id", "password": "rahasia123"})
    db.session.add(Registration(workshop_id=workshop.id, nim="2101010001", name="Mhs Terdaftar",
                                program_id=world["pmat"].id, semester=3, email="a@test.id",
                                status=RegistrationStatus.CONFIRMED))
    db.session.commit()
    home = sri.get("/kaprodi").get_data(as_text=True)
    assert "Pendidikan Matematika" in home and "Mhs Terdaftar" in home and "Pendidikan Bahasa Inggris" not in home
    mine = db.session.scalar(db.select(Announcement).where(Announcement.program_id == world["pmat"].id))
    other = db.session.scalar(db.select(Announcement).where(Announcement.program_id == world["pbi"].id))
    letter = sri.get(f"/workshops/{workshop.id}/announcements/{mine.id}/letter.pdf")  # linked from the page
    assert f"/announcements/{mine.id}/letter.pdf" in home
    assert letter.status_code == 200 and letter.data.startswith(b"%PDF")
    assert sri.get(f"/workshops/{workshop.id}/announcements/{other.id}/letter.pdf").status_code == 404
    assert sri.submit(f"/workshops/{workshop.id}/announcements/{other.id}/forward", {}).status_code == 404
    assert sri.submit(f"/workshops/{workshop.id + 1}/announcements/{mine.id}/forward", {}).status_code == 404
    response = sri.submit(f"/workshops/{workshop.id}/announcements/{mine.id}/forward", {}, follow_redirects=True)
    assert "diteruskan kepada 2 mahasiswa" in response.get_data(as_text=True)
    response = sri.submit(f"/workshops/{workshop.id}/announcements/{mine.id}/forward", {}, follow_redirects=True)
    assert "sudah menerima" in response.get_data(as_text=True)

    committee_client, committee = login_as("committee")
    assert committee_client.get(f"/workshops/{workshop.id}/announcements").status_code == 404
    from app.workshops.models import CommitteeMember, CommitteeRole

    db.session.add(CommitteeMember(workshop_id=workshop.id, user_id=committee.id, role=CommitteeRole.MEMBER))
    db.session.commit()
    assert committee_client.get(f"/workshops/{workshop.id}/announcements").status_code == 200


def test_sending_opens_registration_and_the_case_moves_with_the_screens(world):
    """Sending completes the announcement step and opens registration (the letters carry its
    link); the first kaprodi to forward completes the kaprodi's step: the SOP's deadlines and
    compliance follow the real edition."""
    from app.sop.models import StepState
    from app.sop.services import skip_to

    workshop = world["workshop"]
    skip_to(workshop.case, "pemberitahuan", now=NOW)
    workshop.registration_open = False
    db.session.commit()
    send_announcements(workshop, world["head"], now=NOW)
    db.session.commit()
    states = {row.key: row.state for row in workshop.case.current_steps()}
    assert workshop.registration_open
    assert states["pemberitahuan"] == StepState.DONE and states["penerusan_kaprodi"] == StepState.ACTIVE
    announcement = db.session.scalar(db.select(Announcement).where(Announcement.program_id == world["pmat"].id))
    forward(announcement, world["sri"], now=NOW)
    db.session.commit()
    states = {row.key: row.state for row in workshop.case.current_steps()}
    assert states["penerusan_kaprodi"] == StepState.DONE and states["pelaksanaan"] == StepState.ACTIVE
