"""Journey: a PUSPAGA case from the appointment to the archive, as new users would. The client
asks and uploads the requirement documents (one refused: a picture named .pdf); the staff take
the request and the appointment; the counselor checks completeness, explains the service and
records the client's consent (a numbered, printable form), fills the unit's assessment sheet,
counsels, ends the service with a numbered berita acara and reports; the staff archive it. In
another case the client withdraws consent and the case stops."""
from __future__ import annotations

import io
import re
from datetime import datetime, timedelta

import pytest
from PIL import Image
from playwright.sync_api import expect
from pypdf import PdfWriter

from app.extensions import db
from tests.e2e.conftest import assert_fits, serve_demo, sign_in

pytestmark = pytest.mark.real_commits


@pytest.fixture
def served(tmp_path):
    with serve_demo(tmp_path / "e2e.db") as served_app:
        yield served_app


def _files(folder):
    pdf, jpg = folder / "ktp-ibu.pdf", folder / "kartu-keluarga.jpg"
    writer, out = PdfWriter(), io.BytesIO()
    writer.add_blank_page(width=200, height=200)
    writer.write(out)
    pdf.write_bytes(out.getvalue())
    Image.new("RGB", (40, 30), "white").save(jpg, "JPEG")
    fake = folder / "akta.pdf"
    Image.new("RGB", (40, 30), "white").save(fake, "PNG")  # a picture with a PDF's name
    return pdf, jpg, fake


def _as(browser, live, role):
    page = browser.new_context(bypass_csp=False, locale="id-ID", timezone_id="Asia/Jakarta",
                               viewport={"width": 360, "height": 740}).new_page()
    sign_in(page, live, role)
    return page


def _done(page, button="Selesaikan langkah"):
    page.get_by_role("button", name=button).click()
    expect(page.locator(".flash-success").first).to_be_visible()


def test_a_puspaga_case_from_appointment_to_archive(browser, served, tmp_path):
    app, live, _mailbox = served
    pdf, jpg, fake = _files(tmp_path)

    # 1. The client asks for counseling and uploads the requirement documents.
    client = _as(browser, live, "client")
    client.goto(f"{live}/cases/new/puspaga-konseling")
    client.get_by_label("Pemohon", exact=True).select_option("orang tua")
    client.get_by_label("Nomor WhatsApp", exact=True).fill("0812 3456 7890")
    client.get_by_role("button", name=re.compile("Ajukan|Kirim|Buka")).click()
    client.wait_for_url(re.compile(r"/cases/\d+$"))
    case_id = int(client.url.rsplit("/", 1)[1])
    client.get_by_role("link", name="Dokumen persyaratan").click()
    client.get_by_label("Jenis dokumen", exact=True).select_option(label="KTP orang tua/wali")
    client.get_by_label("Berkas (PDF, JPEG atau PNG)", exact=True).set_input_files(str(fake))
    client.get_by_role("button", name="Unggah").click()
    expect(client.get_by_text("tidak sesuai namanya")).to_be_visible()  # refused, nothing kept
    client.get_by_label("Berkas (PDF, JPEG atau PNG)", exact=True).set_input_files(str(pdf))
    client.get_by_role("button", name="Unggah").click()
    client.get_by_label("Jenis dokumen", exact=True).select_option(label="Kartu keluarga")
    client.get_by_label("Berkas (PDF, JPEG atau PNG)", exact=True).set_input_files(str(jpg))
    client.get_by_role("button", name="Unggah").click()
    expect(client.locator("#completeness")).to_have_text("Dokumen persyaratan lengkap.")
    expect(client.locator("#uploads li")).to_have_count(2)
    assert_fits(client)

    # 2. The staff take the request and agree the appointment (the report's categories).
    staff = _as(browser, live, "staff")
    staff.goto(f"{live}/cases/{case_id}/file")
    appointment = (datetime.now() + timedelta(days=1)).replace(hour=9, minute=0).strftime("%Y-%m-%dT%H:%M")
    staff.get_by_label("Waktu janji", exact=True).fill(appointment)
    staff.get_by_label("Jenis layanan", exact=True).select_option("Konseling keluarga")
    staff.get_by_label("Cara datang / saluran", exact=True).select_option("Datang langsung")
    staff.get_by_label("Jenis kelamin klien", exact=True).select_option("perempuan")
    staff.get_by_label("Usia klien (tahun)", exact=True).fill("36")
    _done(staff)

    # 3. The counselor: completeness and problem identification, then the informed consent.
    counselor = _as(browser, live, "counselor")
    counselor.goto(f"{live}/cases/{case_id}/file")
    expect(counselor.get_by_role("link", name="ktp-ibu.pdf")).to_have_count(0)  # not on the team yet
    counselor.get_by_label("Kategori masalah", exact=True).select_option("Perilaku anak")
    counselor.get_by_label("Identifikasi masalah", exact=True).fill("Anak menolak sekolah sejak dua minggu.")
    _done(counselor)
    counselor.goto(f"{live}/cases/{case_id}/file")
    expect(counselor.get_by_role("link", name="ktp-ibu.pdf")).to_be_visible()  # the team opens the files
    counselor.goto(f"{live}/cases/{case_id}/consent")
    expect(counselor.get_by_text("Isi konseling bersifat rahasia")).to_be_visible()
    counselor.get_by_label("Klien menyetujui layanan konseling", exact=True).check()
    counselor.get_by_label("Nama yang menyatakan persetujuan", exact=True).fill("Siti Aminah")
    counselor.get_by_label("Gambar tanda tangan", exact=True).check()  # drawn on the phone, under the CSP
    pad = counselor.locator("#signature-canvas")
    expect(pad).to_be_visible()
    box = pad.bounding_box()
    counselor.mouse.move(box["x"] + 20, box["y"] + 60)
    counselor.mouse.down()
    for step in range(1, 12):
        counselor.mouse.move(box["x"] + 20 + step * 20, box["y"] + 60 + (15 if step % 2 else -15))
    counselor.mouse.up()
    expect(counselor.locator("#signature-data")).to_have_value(re.compile(r"^data:image/png;base64,"))
    counselor.get_by_role("button", name="Catat jawaban klien").click()
    expect(counselor.get_by_role("link", name=re.compile("Persetujuan Layanan Konseling"))).to_be_visible()
    counselor.goto(f"{live}/cases/{case_id}/consent")
    expect(counselor.get_by_role("img", name="Tanda tangan Siti Aminah")).to_be_visible()

    # 4. The assessment sheet, then counseling.
    counselor.goto(f"{live}/cases/{case_id}/assessment")
    counselor.get_by_label("Keluhan utama yang disampaikan", exact=True).fill("ANAK-MENOLAK-SEKOLAH")
    counselor.get_by_label("Sejak kapan masalah dirasakan", exact=True).fill("Dua minggu")
    counselor.get_by_role("button", name="Simpan asesmen dan selesaikan langkah").click()
    expect(counselor.locator(".flash-success").first).to_be_visible()
    counselor.goto(f"{live}/cases/{case_id}/assessment")
    expect(counselor.locator("#assessment-answers")).to_contain_text("ANAK-MENOLAK-SEKOLAH")
    for key, label, value in [("prioritas", "Prioritas masalah", "Komunikasi ibu dan anak"),
                              ("simpulan", "Simpulan dan saran", "Dampingi anak kembali ke sekolah")]:
        counselor.goto(f"{live}/cases/{case_id}/steps/{key}")
        counselor.get_by_label(label, exact=True).fill(value)
        _done(counselor)
    counselor.goto(f"{live}/cases/{case_id}/file")
    counselor.get_by_label("Hasil intervensi", exact=True).fill("Dua sesi; anak kembali bersekolah.")
    _done(counselor)
    counselor.goto(f"{live}/cases/{case_id}/steps/kebutuhan_lain")
    counselor.get_by_label("Klien membutuhkan layanan lain?", exact=True).select_option("tidak")
    _done(counselor)
    # 5. The end of the service: a numbered berita acara; the report.
    counselor.goto(f"{live}/cases/{case_id}/file")
    counselor.get_by_label("Hasil layanan", exact=True).select_option("masalah teratasi")
    counselor.get_by_label("Klien menyepakati pengakhiran layanan", exact=True).check()
    _done(counselor)
    berita = counselor.get_by_role("link", name=re.compile(r"Berita Acara Pengakhiran Layanan \d+.BA-AKHIR."))
    expect(berita).to_be_visible()
    counselor.goto(f"{live}/cases/{case_id}/steps/laporan")
    counselor.get_by_label("Laporan hasil pelayanan", exact=True).fill("Layanan selesai, masalah teratasi.")
    _done(counselor)

    # 6. The staff archive it and report to DP3AP2KB: the case is closed.
    staff.goto(f"{live}/cases/{case_id}/steps/arsip")
    staff.get_by_label("Laporan telah disampaikan ke DP3AP2KB", exact=True).check()
    _done(staff)
    staff.goto(f"{live}/cases/{case_id}")
    expect(staff.locator(".page-head .badge")).not_to_have_text(re.compile("terbuka|berjalan", re.I))
    expect(staff.get_by_text("ANAK-MENOLAK-SEKOLAH")).to_have_count(0)  # staff read no assessment
    with app.app_context():
        from app.sop.models import Case, CaseState

        assert db.session.get(Case, case_id).state == CaseState.CLOSED


def test_the_client_withdraws_consent_and_the_case_stops(browser, served):
    app, live, _mailbox = served
    with app.app_context():
        from app.casefiles.models import Consent
        from app.sop.models import Case, CaseState

        case_id = db.session.scalar(db.select(Consent.case_id).join(Case, Case.id == Consent.case_id).where(
            Consent.withdrawn_at.is_(None), Case.state == CaseState.OPEN))
    client = _as(browser, live, "client")
    client.goto(f"{live}/cases/{case_id}")
    client.get_by_role("link", name="Tarik persetujuan…").click()
    client.get_by_role("button", name="Tarik persetujuan dan hentikan layanan").click()
    expect(client.get_by_text("Tuliskan alasan penarikan persetujuan.").first).to_be_visible()
    client.get_by_label("Alasan penarikan persetujuan", exact=True).fill("Kami memilih layanan lain.")
    client.get_by_role("button", name="Tarik persetujuan dan hentikan layanan").click()
    expect(client.locator(".flash-success").first).to_contain_text("Persetujuan ditarik")
    expect(client.locator("#case-file")).to_contain_text("ditarik")
    with app.app_context():
        assert db.session.get(Case, case_id).state == CaseState.CANCELLED
