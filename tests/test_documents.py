"""Letters: issued with the step, numbered without gaps or repeats (also concurrently), kept,
corrected as new versions, verified publicly; templates edited safely."""
from __future__ import annotations

import threading
from datetime import datetime, timezone
from io import BytesIO

import pytest
import sqlalchemy as sa
from pypdf import PdfReader

from app.documents.models import Letter, LetterCounter, LetterTemplate
from app.documents.services import issue_letter, next_seq
from app.errors import DomainError
from app.extensions import db
from app.sop.access import assign
from app.sop.registry import get_procedure
from app.sop.services import complete_step, open_case
from app.org.services import current_institution
from scripts.system_deps import skip_reason
from tests.conftest import db_fingerprint

pytestmark = pytest.mark.skipif(bool(skip_reason("letters")), reason=skip_reason("letters"))

KARIER = {"nim": "19010001 / 2023", "prodi": "Pendidikan Matematika", "phone": "0812", "mode": "online",
          "question": "RAHASIA: ragu memilih karier"}
NOW = datetime(2026, 11, 23, 3, 0, tzinfo=timezone.utc)  # 23 November 2026, 10.00 WIB


def pdf_text(data: bytes) -> str:
    """Every page's text, read back with pypdf (the words as a reader sees them)."""
    return "\n".join(page.extract_text() for page in PdfReader(BytesIO(data)).pages)


@pytest.fixture
def assigned(app, make_user):
    """A career case whose head has just assigned a counselor (the rekomendasi step), at an
    institution whose letterhead the admin has named."""
    current_institution().name = "Universitas PGRI Madiun"
    staff, head = make_user("staff"), make_user("head", name="Dr. Ratih Christiana, M.Pd.", position="Kepala P2KLLK",
                                                 employee_number="0711078501")
    counselor = make_user("counselor", name="Dra. Endang Lestari", email="endang@test.id")
    case = open_case(get_procedure("pgri-konseling-karier"), make_user("alumni", name="Budi Santoso"), dict(KARIER),
                     now=NOW)
    complete_step(case, "izin_tu", staff, {}, now=NOW)
    complete_step(case, "form_permohonan", staff, {"complete": "lengkap"}, now=NOW)
    complete_step(case, "rekomendasi", head, {"counselor": str(counselor.id)}, now=NOW)
    db.session.commit()
    return case, head, counselor


@pytest.fixture
def awaiting(app, make_user):
    """A career case whose rekomendasi step is active: its letter may be issued, none is yet."""
    staff = make_user("staff")
    head = make_user("head", name="Dr. Ratih Christiana, M.Pd.", position="Kepala P2KLLK")
    case = open_case(get_procedure("pgri-konseling-karier"), make_user("alumni", name="Budi Santoso"), dict(KARIER),
                     now=NOW)
    complete_step(case, "izin_tu", staff, {}, now=NOW)
    complete_step(case, "form_permohonan", staff, {"complete": "lengkap"}, now=NOW)
    assign(case, make_user("counselor", name="Dra. Endang Lestari"), "counselor", head, now=NOW)
    db.session.commit()
    return case, head


def test_completing_the_step_issues_its_numbered_letter(assigned):
    case, head, counselor = assigned
    letter = db.session.scalar(sa.select(Letter).where(Letter.case_id == case.id))
    assert letter.number == "001/P2KLLK/REK/XI/2026" and letter.version == 1
    text = pdf_text(letter.pdf)
    for expected in ["UNIVERSITAS PGRI MADIUN", "SURAT REKOMENDASI KONSELING", "Nomor: 001/P2KLLK/REK/XI/2026",
                     "23 November 2026", "Dra. Endang Lestari", "Budi Santoso", "Dr. Ratih Christiana, M.Pd.",
                     "NIP/NIDN 0711078501", f"/verify/{letter.verify_code}"]:
        assert expected in text, expected
    assert "RAHASIA" not in text  # the question is confidential and never printed


def test_the_counselor_receives_the_letter_by_email(assigned, smtp_server):
    from app.notifications.services import deliver_due

    deliver_due()
    mail = smtp_server.to("endang@test.id")
    assert len(mail) == 1 and mail[0]["Subject"] == "Surat Rekomendasi Konseling 001/P2KLLK/REK/XI/2026"
    attachment = next(mail[0].iter_attachments())
    assert attachment.get_content_type() == "application/pdf" and attachment.get_content().startswith(b"%PDF")


def test_download_verify_and_correct(assigned, login_as, app, tmp_path):
    case, head, _ = assigned
    letter = db.session.scalar(sa.select(Letter).where(Letter.case_id == case.id))
    client = app.test_client()
    assert client.submit("/login", {"email": head.email, "password": "rahasia123"}).status_code == 302
    first = client.get(f"/letters/{letter.id}.pdf")
    assert first.mimetype == "application/pdf" and first.data == client.get(f"/letters/{letter.id}.pdf").data
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "001/P2KLLK/REK/XI/2026" in page
    assert client.submit(f"/letters/{letter.id}/correct", {"reason": "Salah ketik nama"}).status_code == 302
    db.session.expire_all()
    versions = db.session.scalars(sa.select(Letter).where(Letter.case_id == case.id).order_by(Letter.version)).all()
    assert [(v.number, v.version) for v in versions] == [("001/P2KLLK/REK/XI/2026", 1), ("001/P2KLLK/REK/XI/2026", 2)]
    assert versions[0].superseded_by_id == versions[1].id and versions[0].pdf == first.data  # kept as it was
    assert versions[1].reason == "Salah ketik nama"
    public = app.test_client()
    old = public.get(f"/verify/{versions[0].verify_code}").get_data(as_text=True)
    assert "001/P2KLLK/REK/XI/2026" in old and "telah dikoreksi" in old and "Budi" not in old
    assert "digantikan oleh versi 2" in old and "Salah ketik" not in old  # the reason stays inside
    new = public.get(f"/verify/{versions[1].verify_code}").get_data(as_text=True)
    assert "versi 2" in new and "Dr. Ratih Christiana" in new and "RAHASIA" not in new
    assert public.get("/verify/karangan-belaka").status_code == 404
    stranger, _ = login_as("alumni")
    assert stranger.get(f"/letters/{letter.id}.pdf").status_code == 404


def test_numbers_run_per_type_and_year(app, make_user):
    head = make_user("head")
    numbers = [issue_letter("surat_tugas", head, head, now=NOW).number for _ in range(3)]
    numbers.append(issue_letter("nota_dinas", head, head, now=NOW).number)
    numbers.append(issue_letter("surat_tugas", head, head, now=datetime(2027, 1, 5, 3, tzinfo=timezone.utc)).number)
    assert numbers == ["001/ST/P2KLLK/XI/2026", "002/ST/P2KLLK/XI/2026", "003/ST/P2KLLK/XI/2026",
                       "ND-001/P2KLLK/XI/2026", "001/ST/P2KLLK/I/2027"]


@pytest.mark.real_commits
def test_fifty_concurrent_issues_get_fifty_consecutive_numbers(_app, app):
    """50 threads, each in its own transaction and connection, take a number and commit."""
    institution = current_institution()
    db.session.commit()
    institution_class, institution_id = type(institution), institution.id
    results, errors = [], []
    barrier = threading.Barrier(50)

    def worker():
        with _app.app_context():
            try:
                barrier.wait(timeout=30)
                results.append(next_seq(institution_ref(), "surat_tugas", 2026))
                db.session.commit()
            except Exception as exc:  # collected and reported below
                errors.append(repr(exc))
                db.session.rollback()
            finally:
                db.session.remove()

    def institution_ref():
        return db.session.get(institution_class, institution_id)

    threads = [threading.Thread(target=worker) for _ in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    assert sorted(results) == list(range(1, 51))
    assert db.session.scalar(sa.select(LetterCounter.last_seq)) == 50


def test_a_failed_issue_uses_no_number(app, make_user):
    head = make_user("head")
    issue_letter("surat_tugas", head, head, now=NOW)
    db.session.commit()
    db.session.add(LetterTemplate(doc_type="surat_tugas", body="{{ tidak_ada }}", number_format="{seq}/{year}"))
    db.session.commit()
    with pytest.raises(DomainError, match="tidak_ada"):
        issue_letter("surat_tugas", head, head, now=NOW)
    db.session.rollback()
    db.session.execute(sa.delete(LetterTemplate))
    db.session.commit()
    assert issue_letter("surat_tugas", head, head, now=NOW).number == "002/ST/P2KLLK/XI/2026"


@pytest.mark.parametrize("body, fmt, message", [
    ("<p>{{ person }</p>", "{seq:03d}/X/{year}", "Templat surat bermasalah"),
    ("<p>{{ nama_tidak_ada }}</p>", "{seq:03d}/X/{year}", "nama_tidak_ada"),
    ("<p>{{ config.SECRET_KEY }}</p>", "{seq:03d}/X/{year}", "config"),
    ("<p>{{ ''.__class__.__mro__[1].__subclasses__() }}</p>", "{seq:03d}/X/{year}", "Templat surat bermasalah"),
    ("<p>{{ person }}</p>", "001/X/{year}", "harus memuat {seq}"),
    ("<p>{{ person }}</p>", "{seq}/{fakultas}/{year}", "Kolom tidak dikenal dalam format nomor: fakultas"),
    ("<p>{{ person }}</p>", "{seq:zz}/{year}", "Format nomor tidak valid"),
    ("<p>{{ person }}</p>", "{seq:999999999999d}/{year}", "lebar kolom paling banyak 12"),
    ("<p>{{ person }}</p>", "{seq:{year}d}/{year}", "lebar kolom paling banyak 12"),
    ("<p>{{ person }}</p>", "{seq}" + "/{unit}" * 10, "bisa lebih dari 160 karakter"),
])
def test_bad_templates_are_refused_with_a_clear_message(login_as, body, fmt, message):
    client, _ = login_as("admin")
    before = db_fingerprint()
    response = client.submit("/admin/letters/surat_tugas", {"body": body, "number_format": fmt, "action": "save"})
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    assert db_fingerprint() == before


def test_admin_edits_a_template_with_preview(login_as, make_user):
    client, admin = login_as("admin")
    body = "<p>Kami menugaskan panitia {{ institution.unit }} untuk {{ year }}.</p>"
    preview = client.submit("/admin/letters/surat_tugas", {"body": body, "number_format": "{seq:02d}/TGS/{year}",
                                                            "action": "preview"})
    assert preview.status_code == 200 and "Kami menugaskan panitia" in preview.get_data(as_text=True)
    assert db.session.get(LetterTemplate, "surat_tugas") is None  # a preview saves nothing
    saved = client.submit("/admin/letters/surat_tugas", {"body": body, "number_format": "{seq:02d}/TGS/{year}",
                                                          "action": "save"})
    assert saved.status_code == 302
    pdf = client.get("/admin/letters/surat_tugas/preview.pdf")
    assert pdf.mimetype == "application/pdf" and "Kami menugaskan panitia" in pdf_text(pdf.data)
    head = make_user("head")
    assert issue_letter("surat_tugas", head, head, now=NOW).number == "01/TGS/2026"


def test_letterhead_edit_shows_on_the_next_letter(login_as, make_user):
    client, _ = login_as("admin")
    response = client.submit("/admin/letterhead", {"name": "Universitas Contoh", "unit": "Pusat Karier",
                                                   "unit_code": "PK", "city": "Surabaya", "email": "bukan-email"})
    assert response.status_code == 422 and "Alamat e-mail tidak valid." in response.get_data(as_text=True)
    assert client.submit("/admin/letterhead", {"name": "Universitas Contoh", "unit": "Pusat Karier",
                                               "unit_code": "PK", "city": "Surabaya"}).status_code == 302
    head = make_user("head")
    letter = issue_letter("surat_tugas", head, head, now=NOW)
    text = pdf_text(letter.pdf)
    assert "UNIVERSITAS CONTOH" in text and "Surabaya, 23 November 2026" in text and letter.number == "001/ST/PK/XI/2026"


# -- one numbered letter per step; a change is a new version -----------------------------------
def _signed_in(app, user):
    client = app.test_client()
    assert client.submit("/login", {"email": user.email, "password": "rahasia123"}).status_code == 302
    return client


def test_issuing_asks_for_confirmation_first(app, awaiting):
    case, head = awaiting
    client = _signed_in(app, head)
    panel = client.get(f"/cases/{case.id}").get_data(as_text=True)
    link = f"/cases/{case.id}/letters/surat_rekomendasi?step=rekomendasi"
    assert f'href="{link}"' in panel and "<form" not in panel.split("Surat dan dokumen", 1)[1].split("</section>")[0]
    before = db_fingerprint()
    for response in (client.get(link), client.submit(f"/cases/{case.id}/letters/surat_rekomendasi")):
        page = response.get_data(as_text=True)
        assert response.status_code == 200
        assert "Terbitkan surat bernomor? Nomor tidak dapat dibatalkan." in page and "001/P2KLLK/REK/" in page
        assert 'name="confirm" value="yes"' in page and "Ya, terbitkan nomor" in page
    assert db_fingerprint() == before  # nothing issued, no number taken
    response = client.submit(f"/cases/{case.id}/letters/surat_rekomendasi",
                             {"confirm": "yes", "step": "rekomendasi", "recipient": "Kaprodi"})
    assert response.status_code == 302
    letter = db.session.scalar(sa.select(Letter).where(Letter.case_id == case.id))
    assert (letter.step_key, letter.version, letter.context["recipient"]) == ("rekomendasi", 1, "Kaprodi")


def test_a_step_with_its_letter_is_not_issued_a_second_number(app, assigned):
    case, head, _ = assigned  # the rekomendasi step issued 001 when it was done
    client = _signed_in(app, head)
    panel = client.get(f"/cases/{case.id}").get_data(as_text=True).split("Surat dan dokumen", 1)[1]
    assert "Terbitkan Surat Rekomendasi" not in panel and "Buat versi baru" in panel
    page = client.get(f"/cases/{case.id}/letters/surat_rekomendasi").get_data(as_text=True)
    assert "sudah diterbitkan" in page and "001/P2KLLK/REK/XI/2026" in page and 'name="confirm"' not in page
    before = db_fingerprint()
    response = client.submit(f"/cases/{case.id}/letters/surat_rekomendasi",
                             {"confirm": "yes", "recipient": "Kaprodi PMat"})  # a tab opened before
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Surat belum diterbitkan." in page and "sudah diterbitkan dengan nomor 001/P2KLLK/REK/XI/2026" in page
    assert 'value="Kaprodi PMat"' in page and "Buat versi baru" in page
    assert db_fingerprint() == before
    with pytest.raises(DomainError, match="buat versi baru"):
        issue_letter("surat_rekomendasi", head, head, case=case, step_key="rekomendasi", now=NOW)


def test_a_new_version_needs_a_reason_and_supersedes_the_old_one_once(app, assigned):
    case, head, _ = assigned
    old = db.session.scalar(sa.select(Letter).where(Letter.case_id == case.id))
    client = _signed_in(app, head)
    page = client.get(f"/letters/{old.id}/correct").get_data(as_text=True)
    assert "Buat versi 2 dengan nomor yang sama?" in page and "sudah digantikan" in page
    before = db_fingerprint()
    response = client.submit(f"/letters/{old.id}/correct", {"reason": ""})
    assert response.status_code == 422 and "Tuliskan alasan versi baru." in response.get_data(as_text=True)
    assert db_fingerprint() == before
    assert client.submit(f"/letters/{old.id}/correct", {"reason": "Nama konselor salah"}).status_code == 302
    db.session.expire_all()
    new = db.session.scalar(sa.select(Letter).where(Letter.case_id == case.id, Letter.version == 2))
    assert (new.number, new.reason, old.superseded_by_id) == (old.number, "Nama konselor salah", new.id)
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "alasan: Nama konselor salah" in page and "digantikan" in page
    before = db_fingerprint()
    again = client.submit(f"/letters/{old.id}/correct", {"reason": "Klik kedua"})  # the old version, again
    page = again.get_data(as_text=True)
    assert again.status_code == 422 and "sudah digantikan oleh versi yang lebih baru" in page
    assert 'value="Klik kedua"' in page and db_fingerprint() == before
    verify = app.test_client().get(f"/verify/{old.verify_code}").get_data(as_text=True)
    assert "Digantikan" in verify and "digantikan oleh versi 2" in verify
    assert "Berlaku" in app.test_client().get(f"/verify/{new.verify_code}").get_data(as_text=True)


def test_a_step_done_again_makes_a_new_version_not_a_new_number(assigned):
    from app.documents.services import issue_for_step

    case, head, _ = assigned
    step, row = case.procedure.step("rekomendasi"), case.step_row("rekomendasi")
    letter = issue_for_step(case, step, row, head, NOW)
    db.session.commit()
    numbers = db.session.execute(sa.select(Letter.number, Letter.version, Letter.superseded_by_id)
                                 .order_by(Letter.id)).all()
    assert numbers == [("001/P2KLLK/REK/XI/2026", 1, letter.id), ("001/P2KLLK/REK/XI/2026", 2, None)]
    assert "diselesaikan lagi" in letter.reason


def test_the_database_holds_one_current_letter_per_step(assigned):
    case, head, _ = assigned
    first = db.session.scalar(sa.select(Letter).where(Letter.case_id == case.id))
    db.session.add(Letter(institution_id=first.institution_id, doc_type=first.doc_type, year=2026, seq=99,
                          number="099", title="x", case_id=case.id, step_key="rekomendasi", verify_code="dup",
                          signer_name="x", context={}, pdf=b""))
    with pytest.raises(sa.exc.IntegrityError):
        db.session.flush()
    db.session.rollback()


@pytest.mark.real_commits
def test_two_issues_of_one_step_at_once_give_one_letter(_app, app, awaiting):
    from app.auth.models import User
    from app.sop.models import Case
    from tests.conftest import at_once

    case, head = awaiting
    case_id, head_id = case.id, head.id

    def attempt(recipient):
        me = db.session.get(User, head_id)
        issue_letter("surat_rekomendasi", me, me, case=db.session.get(Case, case_id), step_key="rekomendasi",
                     extra={"recipient": recipient})

    outcomes = at_once(_app, attempt, ["Tab satu", "Tab dua"])
    assert sorted(outcomes)[1] == "ok" and "sudah diterbitkan dengan nomor 001/P2KLLK/REK/" in sorted(outcomes)[0]
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count(Letter.id))) == 1
    assert db.session.scalar(sa.select(LetterCounter.last_seq)) == 1  # the refused one took no number

    letter_id = db.session.scalar(sa.select(Letter.id))

    def new_version(reason):
        me = db.session.get(User, head_id)
        issue_letter("surat_rekomendasi", me, me, case=db.session.get(Case, case_id), step_key="rekomendasi",
                     correcting=db.session.get(Letter, letter_id), reason=reason)

    outcomes = at_once(_app, new_version, ["Koreksi A", "Koreksi B"])
    assert sorted(outcomes)[1] == "ok" and "sudah digantikan" in sorted(outcomes)[0]
    db.session.expire_all()
    assert db.session.execute(sa.select(Letter.version, Letter.superseded_by_id.is_(None)).order_by(Letter.version)
                              ).all() == [(1, False), (2, True)]


def test_the_upgrade_keeps_the_latest_of_letters_issued_twice_for_one_step(tmp_path):
    """Installations where one click gave a step a second number: after `flask db upgrade` the
    latest letter stands and the earlier one shows as superseded by it."""
    from flask_migrate import upgrade

    from app import create_app
    from app.config import TestConfig

    migrated = create_app(TestConfig(f"sqlite:///{tmp_path / 'old.db'}"))
    with migrated.app_context():
        upgrade(revision="0009_scale")
        with db.engine.begin() as conn:
            conn.exec_driver_sql("PRAGMA foreign_keys=OFF")  # letters only; their case and issuer do not matter
            for id_, seq, step in [(1, 1, "rekomendasi"), (2, 2, "rekomendasi"), (3, 3, "fasilitas"), (4, 4, None)]:
                conn.exec_driver_sql(
                    "INSERT INTO letters (id, institution_id, doc_type, year, seq, version, number, title, case_id, "
                    "step_key, verify_code, signer_name, issued_at, context, pdf) VALUES "
                    f"({id_}, 1, 'surat_rekomendasi', 2026, {seq}, 1, '00{seq}', 'x', 7, "
                    f"{repr(step) if step else 'NULL'}, 'v{id_}', 'x', '2026-11-23 03:00:00', '{{}}', x'')")
        upgrade()
        rows = db.session.execute(sa.text("SELECT id, superseded_by_id FROM letters ORDER BY id")).all()
        assert [tuple(r) for r in rows] == [(1, 2), (2, None), (3, None), (4, None)]
        db.session.remove()
        db.engine.dispose()


def test_a_letter_to_the_assigned_counselor_waits_for_one(app, make_user):
    """The surat rekomendasi is addressed to the counselor the step names: before one is named it
    is not offered, and posting for it changes nothing."""
    staff, head = make_user("staff"), make_user("head")
    case = open_case(get_procedure("pgri-konseling-karier"), make_user("alumni"), dict(KARIER), now=NOW)
    complete_step(case, "izin_tu", staff, {}, now=NOW)
    complete_step(case, "form_permohonan", staff, {"complete": "lengkap"}, now=NOW)
    db.session.commit()
    client = _signed_in(app, head)
    assert "/letters/surat_rekomendasi" not in client.get(f"/cases/{case.id}").get_data(as_text=True)
    before = db_fingerprint()
    response = client.submit(f"/cases/{case.id}/letters/surat_rekomendasi", {"confirm": "yes"})
    assert response.status_code in (403, 404, 422) and db_fingerprint() == before


def test_a_new_installation_names_no_demo_institution(app):
    """Until the admin fills the letterhead, letters name a neutral institution, not the demo's."""
    institution = current_institution()
    assert (institution.name, institution.unit, institution.address) == ("Institusi", "Unit layanan konseling", None)


def test_a_letter_of_a_case_is_never_signed_by_the_person_it_serves(make_user):
    """A head who asks for counseling for themselves does not sign its letters: another head of
    the unit does, whoever issues them."""
    from app.documents.services import signer_for

    served = make_user("client", "head", units=["PUSPAGA"])  # the first head of the unit
    head, staff = make_user("head", units=["PUSPAGA"]), make_user("staff", units=["PUSPAGA"])
    case = open_case(get_procedure("puspaga-konseling"), staff, {"client_kind": "orang tua", "phone": "0812"},
                     subject=served)
    db.session.commit()
    assert signer_for(staff, case) == head and signer_for(served, case) == head
    assert signer_for(served, None) == served  # a letter of no case: theirs to sign
