"""PUSPAGA case files: requirement documents (content-checked, encrypted, team only), the
completeness check, informed consent gating counseling, its withdrawal, the assessment sheet
(versioned, sealed)."""
from __future__ import annotations

import io
from pathlib import Path

import pytest
import sqlalchemy as sa

from app.errors import DomainError
from app.extensions import db
from app.sop.models import CaseAccess, CaseState, StepState
from app.sop.services import complete_step
from app.casefiles.models import Assessment, Consent, Upload
from app.casefiles.settings import current_sheet, save_sheet
from app.casefiles.uploads import store_upload
from tests.puspaga_flow import (SHEET, assess, configure_unit, consent, jpeg_bytes, open_puspaga, pdf_bytes,
                                png_bytes, to_consent)


@pytest.fixture
def files_dir(app, tmp_path):
    folder, before = tmp_path / "casefiles", app.config["CASEFILES_DIR"]
    app.config["CASEFILES_DIR"] = str(folder)
    yield folder
    app.config["CASEFILES_DIR"] = before


@pytest.fixture
def people(make_user):
    return {"staff": make_user("staff", units=["PUSPAGA"]), "counselor": make_user("counselor", units=["PUSPAGA"]),
            "other": make_user("counselor", units=["PUSPAGA"]), "head": make_user("head", units=["PUSPAGA"]),
            "client": make_user("client", name="Ibu Siti", units=["PUSPAGA"])}


@pytest.fixture
def case(app, people, files_dir):
    unit = configure_unit()
    db.session.commit()
    case = open_puspaga(people["staff"], people["client"])
    db.session.commit()
    return case


def login(app, user):
    client = app.test_client()
    assert client.submit("/login", {"email": user.email, "password": "rahasia123"}).status_code == 302
    return client


def requirement_ids(case):
    from app.casefiles.uploads import required_documents

    return {d.label: d.id for d in required_documents(case.unit_id)}


def post_file(client, case, name, data, requirement=""):
    return client.post(f"/cases/{case.id}/file/upload", data={
        "csrf_token": client.csrf_token(), "requirement_id": str(requirement),
        "file": (io.BytesIO(data), name)}, content_type="multipart/form-data")


def stored(files_dir: Path) -> list[Path]:
    return sorted(files_dir.glob("*")) if files_dir.exists() else []


def test_an_upload_is_kept_encrypted_outside_the_web_root_and_served_to_the_team_only(app, case, people, files_dir):
    staff = login(app, people["staff"])
    ktp = requirement_ids(case)["KTP orang tua"]
    content = pdf_bytes()
    assert post_file(staff, case, "ktp ibu.pdf", content, ktp).status_code == 303
    [upload] = db.session.scalars(sa.select(Upload)).all()
    [path] = stored(files_dir)
    assert path.name == upload.storage_name and "ktp" not in path.name  # a random name
    assert content not in path.read_bytes() and b"%PDF" not in path.read_bytes()  # encrypted at rest
    assert "static" not in str(path.resolve())
    url = f"/cases/{case.id}/file/{upload.id}"
    assert staff.get(url).data == content  # the uploader
    counselor = login(app, people["counselor"])
    assert counselor.get(url).status_code == 404  # not on the team yet
    assert login(app, people["client"]).get(url).status_code == 404  # the case's client did not upload it


def test_the_completeness_check_refuses_the_step_until_required_documents_are_in(app, case, people, files_dir):
    ids = requirement_ids(case)
    with pytest.raises(DomainError, match="Kartu keluarga"):
        to_consent(case, people["counselor"])
    db.session.rollback()
    store_upload(case, people["staff"], "ktp.pdf", pdf_bytes(), ids["KTP orang tua"])
    store_upload(case, people["client"], "kk.jpg", jpeg_bytes(), ids["Kartu keluarga"])
    to_consent(case, people["counselor"])  # the optional letter of referral is not needed
    db.session.commit()
    assert case.step_row("kelengkapan").state == StepState.DONE
    # Now the counselor is on the team: they open the file; another counselor does not.
    upload = db.session.scalars(sa.select(Upload).order_by(Upload.id)).first()
    assert login(app, people["counselor"]).get(f"/cases/{case.id}/file/{upload.id}").status_code == 200
    assert login(app, people["other"]).get(f"/cases/{case.id}/file/{upload.id}").status_code == 404
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CaseAccess).where(
        CaseAccess.action == "file:download", CaseAccess.user_id == people["counselor"].id)) == 1
    log = login(app, people["counselor"]).get(f"/cases/{case.id}/access").get_data(as_text=True)
    assert "mengunduh dokumen" in log and "mengunggah dokumen" in log and "file:" not in log


@pytest.mark.parametrize("name, data, message", [
    ("foto.png", "pdf", "tidak sesuai namanya"),  # a real PDF named .png
    ("rusak.pdf", b"%PDF-1.4 terpotong", "bukan PDF, JPEG atau PNG yang utuh"),
    ("surat.pdf", b"MZ\x90\x00 sebuah program", "bukan PDF, JPEG atau PNG"),
    ("kk.pdf", None, "tidak sesuai namanya"),  # a real PNG named .pdf
    ("../../etc/passwd.pdf", None, "tidak boleh berisi"),
    ("..\\..\\boot.png", None, "tidak boleh berisi"),
    ("program.exe", None, "Hanya berkas PDF"),
    ("besar.pdf", "big", "terlalu besar"),
])
def test_refused_uploads_say_why_and_store_nothing(app, case, people, files_dir, name, data, message):
    app.config["CASEFILES_MAX_BYTES"] = 2000
    try:
        content = {None: png_bytes(), "pdf": pdf_bytes(), "big": b"%PDF-1.4\n" + b"0" * 5000}.get(data, data)
        response = post_file(login(app, people["staff"]), case, name, content)
    finally:
        app.config["CASEFILES_MAX_BYTES"] = 5 * 1024 * 1024
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Upload)) == 0
    assert stored(files_dir) == []


def test_who_may_upload(app, case, people, files_dir, make_user):
    assert post_file(login(app, people["client"]), case, "kk.png", png_bytes()).status_code == 303  # the client
    stranger = make_user("client", units=["PUSPAGA"])
    assert post_file(login(app, stranger), case, "kk.png", png_bytes()).status_code == 404
    assert post_file(login(app, people["other"]), case, "kk.png", png_bytes()).status_code in (403, 404)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Upload)) == 1


def _ready(case, people):
    ids = requirement_ids(case)
    store_upload(case, people["staff"], "ktp.pdf", pdf_bytes(), ids["KTP orang tua"])
    store_upload(case, people["staff"], "kk.pdf", pdf_bytes(), ids["Kartu keluarga"])
    to_consent(case, people["counselor"])
    db.session.commit()


def test_counseling_cannot_proceed_without_consent(app, case, people, files_dir):
    _ready(case, people)
    # The generic step form cannot stand in for the consent.
    with pytest.raises(DomainError, match="informed consent"):
        complete_step(case, "informed_consent", people["counselor"], {
            "consent": "setuju", "consent_name": "X", "consent_explained_by": "Y", "consent_signature": "X"})
    db.session.rollback()
    response = login(app, people["counselor"]).submit(f"/cases/{case.id}/steps/informed_consent", {
        "consent": "setuju", "consent_name": "X", "consent_explained_by": "Y", "consent_signature": "X"})
    assert response.status_code == 422 and "halamannya sendiri" in response.get_data(as_text=True)
    # A typed signature that is not the name is refused; nothing is recorded.
    page = login(app, people["counselor"]).submit(f"/cases/{case.id}/consent", {
        "agreed": "ya", "name": "Ibu Siti", "relation": "orang tua", "signature_kind": "typed", "typed": "Siapa"})
    assert page.status_code == 422 and "harus sama" in page.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Consent)) == 0
    ok = login(app, people["counselor"]).submit(f"/cases/{case.id}/consent", {
        "agreed": "ya", "name": "Ibu Siti", "relation": "orang tua", "signature_kind": "typed", "typed": "Ibu Siti"})
    assert ok.status_code == 303
    db.session.expire_all()
    record = db.session.scalar(sa.select(Consent))
    assert (record.agreed, record.name, record.explained_by_id) == (True, "Ibu Siti", people["counselor"].id)
    assert case.step_row("asesmen").state == StepState.ACTIVE
    # The printable form: the informed consent letter, numbered, with the name and who explained.
    from app.documents.models import Letter
    letter = db.session.scalar(sa.select(Letter).where(Letter.case_id == case.id, Letter.doc_type == "informed_consent"))
    from pypdf import PdfReader
    text = PdfReader(io.BytesIO(letter.pdf)).pages[0].extract_text()
    assert "Ibu Siti" in text and people["counselor"].name in text


def test_a_refusal_closes_the_case(app, case, people, files_dir):
    _ready(case, people)
    consent(case, people["counselor"], agreed=False)
    assert case.state == CaseState.CLOSED
    assert case.step_row("asesmen").state == StepState.SKIPPED


def test_a_withdrawal_is_recorded_and_stops_the_case(app, case, people, files_dir):
    _ready(case, people)
    consent(case, people["counselor"])
    db.session.commit()
    client = login(app, people["client"])
    assert client.submit(f"/cases/{case.id}/consent/withdraw", {"reason": ""}).status_code == 422
    assert client.submit(f"/cases/{case.id}/consent/withdraw", {"reason": "Kami pindah kota"}).status_code == 303
    db.session.expire_all()
    record = db.session.scalar(sa.select(Consent))
    assert record.withdrawn_by_id == people["client"].id and record.withdrawal_reason == "Kami pindah kota"
    assert case.state == CaseState.CANCELLED  # "dihentikan", not "selesai"
    assert all(r.state in (StepState.DONE, StepState.SKIPPED) for r in case.current_steps())
    with pytest.raises(DomainError):
        assess(case, people["counselor"])
    # Withdrawn once: nobody withdraws again (the case is closed).
    assert client.submit(f"/cases/{case.id}/consent/withdraw", {"reason": "lagi"}).status_code == 403


def test_the_assessment_keeps_its_sheet_version_and_is_sealed(app, case, people, files_dir, database_url):
    _ready(case, people)
    consent(case, people["counselor"])
    first = current_sheet(case.unit_id)
    filled = assess(case, people["counselor"], "IBU-MERASA-KEWALAHAN-42")
    save_sheet(case.unit, "Lembar Asesmen PUSPAGA", SHEET + "\nPertanyaan baru", None)
    db.session.commit()
    assert current_sheet(case.unit_id).version == first.version + 1
    assert db.session.get(Assessment, filled.id).sheet_id == first.id  # the case keeps its version
    assert case.step_row("prioritas").state == StepState.ACTIVE
    # The team reads it (logged); the head without a review, the client and another counselor do not.
    page = login(app, people["counselor"]).get(f"/cases/{case.id}/assessment").get_data(as_text=True)
    assert "IBU-MERASA-KEWALAHAN-42" in page
    for who in ("head", "client"):
        assert "IBU-MERASA-KEWALAHAN-42" not in login(app, people[who]).get(
            f"/cases/{case.id}/assessment").get_data(as_text=True)
    assert login(app, people["other"]).get(f"/cases/{case.id}/assessment").status_code == 404
    # Nothing readable in the database: every column of every row, as stored.
    for table in db.metadata.sorted_tables:
        for row in db.session.execute(sa.select(table)).all():
            assert "IBU-MERASA-KEWALAHAN-42" not in repr(tuple(row)), table.name


@pytest.mark.real_commits
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # a database file is SQLite's
def test_the_raw_sqlite_file_holds_no_assessment_phrase(app, case, people, files_dir):
    _ready(case, people)
    consent(case, people["counselor"])
    assess(case, people["counselor"], "ANAK-TAKUT-PULANG-77")
    db.session.commit()
    path = Path(db.engine.url.database)

    def found(phrase: str) -> int:
        """Occurrences in the database file and its WAL, read by another process: closing a
        descriptor of the file in this one would drop SQLite's POSIX locks on it."""
        import subprocess
        import sys

        script = ("import os, sys; print(sum(open(f, 'rb').read().count(sys.argv[1].encode()) "
                  "for f in sys.argv[2:] if os.path.exists(f)))")
        result = subprocess.run([sys.executable, "-c", script, phrase, str(path), f"{path}-wal"],
                                capture_output=True, text=True, timeout=60, check=True)
        return int(result.stdout)

    assert found("ANAK-TAKUT-PULANG-77") == 0
    assert found("Ibu Siti") > 0  # the search itself works: plain values are there


def test_id_changing_attempts_are_refused(app, case, people, files_dir, make_user):
    """A file of another case, by this case's address, answers 404; as does a case not one's own."""
    _ready(case, people)
    other_case = open_puspaga(people["staff"], make_user("client", units=["PUSPAGA"]))
    upload = store_upload(other_case, people["staff"], "x.png", png_bytes(), None)
    db.session.commit()
    counselor = login(app, people["counselor"])
    assert counselor.get(f"/cases/{case.id}/file/{upload.id}").status_code == 404
    assert counselor.get(f"/cases/{other_case.id}/file/{upload.id}").status_code == 404
    assert counselor.get(f"/cases/{other_case.id}/assessment").status_code in (200, 404)


def test_key_rotation_re_encrypts_the_stored_documents(app, case, people, files_dir):
    from cryptography.fernet import Fernet

    from app.crypto import generate_key, rotate_sealed

    old = app.config["DATA_ENCRYPTION_KEY"]
    upload = store_upload(case, people["staff"], "kk.png", png_bytes(), None)
    db.session.commit()
    new = generate_key()
    app.config["DATA_ENCRYPTION_KEY"] = f"{new},{old}"
    try:
        assert rotate_sealed(db.session) >= 1
        db.session.commit()
        assert Fernet(new.encode()).decrypt((files_dir / upload.storage_name).read_bytes()) == png_bytes()
    finally:
        app.config["DATA_ENCRYPTION_KEY"] = old


def test_a_drawn_signature_is_kept_and_a_broken_one_refused(app, case, people, files_dir):
    import base64

    _ready(case, people)
    with pytest.raises(DomainError, match="tidak dapat dibaca"):
        record = __import__("app.casefiles.consent", fromlist=["record_consent"]).record_consent
        record(case, people["counselor"], True, "Ibu Siti", "", "drawn", drawn="data:image/png;base64,bm90LWEtcG5n")
    db.session.rollback()
    drawn = "data:image/png;base64," + base64.b64encode(png_bytes()).decode()
    consent_row = record(case, people["counselor"], True, "Ibu Siti", "", "drawn", drawn=drawn)
    db.session.commit()
    assert consent_row.signature == drawn and consent_row.signature_kind == "drawn"
    page = login(app, people["counselor"]).get(f"/cases/{case.id}/consent").get_data(as_text=True)
    assert 'class="signature"' in page


def test_a_requirement_of_another_unit_or_a_settings_page_of_another_unit_is_refused(app, case, people, files_dir,
                                                                                    make_user):
    from app.casefiles.models import RequiredDocument
    from app.org.models import Unit

    other_unit = db.session.scalar(sa.select(Unit).where(Unit.code != "PUSPAGA"))
    foreign = RequiredDocument(unit_id=other_unit.id, label="Dokumen unit lain")
    db.session.add(foreign)
    db.session.commit()
    response = post_file(login(app, people["staff"]), case, "ktp.pdf", pdf_bytes(), foreign.id)
    assert response.status_code == 422 and "Pilihan tidak tersedia" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Upload)) == 0
    head_elsewhere = make_user("head", units=[other_unit.code])
    assert login(app, head_elsewhere).get(f"/units/{case.unit_id}/casefiles").status_code == 404
    assert login(app, people["head"]).get(f"/units/{case.unit_id}/casefiles").status_code == 200
    refused = login(app, people["head"]).submit(f"/units/{case.unit_id}/casefiles/categories",
                                                {"service": "A\na", "channel": "", "problem": ""})
    assert refused.status_code == 422 and "dua kali" in refused.get_data(as_text=True)


def test_a_transaction_that_fails_after_storing_leaves_no_file(app, case, people, files_dir):
    store_upload(case, people["staff"], "kk.png", png_bytes(), None)
    assert len(stored(files_dir)) == 1
    db.session.rollback()
    assert stored(files_dir) == []
    kept = store_upload(case, people["staff"], "kk.png", png_bytes(), None)
    db.session.commit()
    db.session.rollback()
    assert [p.name for p in stored(files_dir)] == [kept.storage_name]


def test_other_service_needs_lead_to_the_heads_letter_and_the_end_to_a_numbered_berita_acara(app, case, people,
                                                                                          files_dir):
    from app.documents.models import Letter

    _ready(case, people)
    consent(case, people["counselor"])
    assess(case, people["counselor"])
    for key, values in [("prioritas", {"priorities": "P"}), ("simpulan", {"advice": "S"}),
                        ("intervensi", {"intervention": "I"}),
                        ("kebutuhan_lain", {"needs_other_service": "ya", "other_services": "Layanan psikiater"})]:
        complete_step(case, key, people["counselor"], values)
    assert case.step_row("rekomendasi_lanjutan").state == StepState.ACTIVE
    with pytest.raises(DomainError):
        complete_step(case, "rekomendasi_lanjutan", people["counselor"], {})  # the Ketua PUSPAGA's letter
    complete_step(case, "rekomendasi_lanjutan", people["head"], {})
    complete_step(case, "pengakhiran", people["counselor"], {"outcome": "dirujuk ke layanan lain",
                                                             "termination_agreed": True})
    letters = {l.doc_type: l for l in db.session.scalars(sa.select(Letter).where(Letter.case_id == case.id))}
    assert {"informed_consent", "surat_rekomendasi_lanjutan", "berita_acara_pengakhiran"} <= set(letters)
    assert "/BA-AKHIR/" in letters["berita_acara_pengakhiran"].number
    from pypdf import PdfReader
    text = PdfReader(io.BytesIO(letters["berita_acara_pengakhiran"].pdf)).pages[0].extract_text()
    assert "dirujuk ke layanan lain" in " ".join(text.split())
    complete_step(case, "laporan", people["counselor"], {"report": "R"})
    complete_step(case, "arsip", people["staff"], {"reported_to_agency": True})
    assert case.state == CaseState.CLOSED


def test_a_body_larger_than_any_accepted_is_not_read_and_stores_nothing(app, case, people, files_dir):
    """MAX_CONTENT_LENGTH: a request far past what any form accepts is a 413 in Indonesian,
    answered before the upload is parsed or the case touched."""
    client = login(app, people["staff"])
    huge = b"0" * (app.config["MAX_CONTENT_LENGTH"] + 1)
    response = client.post(f"/cases/{case.id}/file/upload", data=huge,
                           content_type="multipart/form-data; boundary=batas")
    assert response.status_code == 413 and "terlalu besar" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Upload)) == 0
    assert stored(files_dir) == []


def test_wtforms_length_messages_come_out_in_indonesian(app):
    """A Length() with no message of its own still speaks Indonesian."""
    from wtforms import StringField
    from wtforms.validators import Length

    from app.forms import BaseForm

    class Short(BaseForm):
        text = StringField(validators=[Length(max=3)])

    with app.test_request_context("/", method="POST", data={"text": "panjang"}):
        form = Short(meta={"csrf": False})
        assert not form.validate() and form.text.errors == ["Paling panjang 3 karakter."]


def test_the_head_finds_the_units_settings_and_report_from_the_navigation(app, case, people, make_user):
    """Kelola → "Berkas dan laporan klien": the units whose procedures keep case files, for their
    head; a head of another unit is shown none of them."""
    page = login(app, people["head"]).get("/").get_data(as_text=True)
    assert 'href="/casefiles"' in page
    units = login(app, people["head"]).get("/casefiles").get_data(as_text=True)
    assert "Laporan bulanan klien" in units and "Pengaturan berkas kasus" in units and "/client-report" in units
    other = login(app, make_user("head", units=["P2KLLK"])).get("/casefiles").get_data(as_text=True)
    assert "/client-report" not in other and "Tidak ada unit Anda" in other


def test_the_number_previewed_is_the_number_the_letter_gets(app, case, people, files_dir):
    """The issue page's preview numbers a letter for the case's unit, as issuing it does."""
    from app.documents.models import Letter
    from app.documents.services import next_number, template_for
    from tests.puspaga_flow import consent

    _ready(case, people)
    preview = next_number("informed_consent", template_for("informed_consent").number_format, case=case)
    consent(case, people["counselor"])
    db.session.commit()
    letter = db.session.scalar(sa.select(Letter).where(Letter.case_id == case.id,
                                                       Letter.doc_type == "informed_consent"))
    assert letter is not None and letter.number == preview and f"/{case.unit.code}/" in preview
