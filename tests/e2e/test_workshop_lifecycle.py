"""Journey: ONE workshop edition carried from the surat tugas to the report, as new users would.
P2KLLK creates it and its committee, proposes the surat tugas; the rectorate returns it once,
then approves (a numbered letter, the members e-mailed); the committee holds the meeting,
records the theme and a speaker and works through the checklist; the head sends the
announcement, the kaprodi's e-mail arrives at a real SMTP server on loopback with its PDF; a
student registers on a phone and is checked in at the door; after the workshop they evaluate
and download the certificate; the committee's report shows what was entered and is submitted;
the head turns the follow-up list into a career-counseling request."""
from __future__ import annotations

import re
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from app.extensions import db
from tests.e2e.conftest import assert_accessible, assert_fits, deliver, serve_demo, sign_in

PHONE = {"width": 360, "height": 740}
JAKARTA = ZoneInfo("Asia/Jakarta")
# a roster student of the demo (app/demo.py DEMO_STUDENTS) who has registered for nothing yet here
STUDENT = {"nim": "2501011003", "name": "Citra Maharani", "prodi": "PMAT", "semester": "3",
           "email": "citra.1003@student.demo.test"}


@pytest.fixture
def served(tmp_path):
    """The demo app on a fresh SQLite file, served on loopback, its mail to an SMTP sink."""
    with serve_demo(tmp_path / "e2e.db", mail=True) as served_app:
        yield served_app


def _change_workshop(app, workshop_id: int, **values) -> None:
    """What the clock or the command line does between the steps the browser takes."""
    from app.workshops.models import Workshop

    with app.app_context():
        workshop = db.session.get(Workshop, workshop_id)
        for name, value in values.items():
            setattr(workshop, name, value)
        db.session.commit()


def _as(browser, live, role, **context):
    page = browser.new_context(bypass_csp=True, locale="id-ID", timezone_id="Asia/Jakarta", **context).new_page()
    sign_in(page, live, role)
    return page


def test_one_edition_from_surat_tugas_to_report(browser, served):
    from app.database import utcnow

    app, live, mailbox = served
    today = datetime.now(JAKARTA).replace(hour=9, minute=0, second=0, microsecond=0)
    title = "Workshop Minat Bakat Perjalanan Utuh"

    # 1. P2KLLK: the edition, its ketua, the surat tugas proposed; returned once, proposed again, approved
    staff = _as(browser, live, "staff")
    staff.get_by_role("navigation").get_by_role("link", name="Workshop").click()
    staff.get_by_role("link", name="Buat workshop baru").click()
    staff.get_by_label("Judul workshop").fill(title)
    staff.get_by_label("Tanggal dan jam workshop").fill((today + timedelta(days=14)).strftime("%Y-%m-%dT%H:%M"))
    staff.get_by_label("Kapasitas (kursi)").fill("120")
    staff.get_by_role("button", name="Buat workshop").click()
    expect(staff.get_by_role("heading", name=title)).to_be_visible()
    edition_url = staff.url
    workshop_id = int(re.search(r"/workshops/(\d+)", edition_url).group(1))
    staff.get_by_label("Anggota").select_option(label="Agus Prasetyo (Panitia)")
    staff.get_by_label("Peran dalam panitia").select_option("ketua")
    staff.get_by_label("Unsur").select_option("Koordinator alumni")
    staff.get_by_role("button", name="Tambah panitia").click()
    expect(staff.locator("#panitia").get_by_role("cell", name="Agus Prasetyo (Panitia)", exact=True)).to_be_visible()
    staff.get_by_role("button", name="Ajukan usulan surat tugas ke rektorat").click()
    expect(staff.get_by_text("Menunggu persetujuan rektorat.")).to_be_visible()

    rector = _as(browser, live, "rectorate")
    rector.goto(edition_url)
    rector.get_by_label("Keputusan").select_option("dikembalikan untuk perbaikan")
    rector.get_by_label("Catatan untuk P2KLLK").fill("Lengkapi unsur divisi tracer study.")
    rector.get_by_role("button", name="Simpan keputusan").click()
    expect(rector.get_by_role("button", name="Simpan keputusan")).to_have_count(0)

    staff.goto(edition_url)
    expect(staff.get_by_text("Lengkapi unsur divisi tracer study.")).to_be_visible()
    expect(staff.locator("#surat-tugas").get_by_role("link")).to_have_count(0)  # a return issues no letter
    staff.get_by_role("button", name="Ajukan usulan surat tugas ke rektorat").click()
    expect(staff.get_by_text("Menunggu persetujuan rektorat.")).to_be_visible()

    rector.goto(edition_url)
    rector.get_by_label("Keputusan").select_option("disetujui")
    rector.get_by_role("button", name="Simpan keputusan").click()
    letter_link = rector.locator("#surat-tugas").get_by_role("link", name=re.compile(r"Surat Tugas \d{3}.ST."))
    expect(letter_link).to_be_visible()
    assignment_number = re.search(r"\d{3}/ST\S*", letter_link.inner_text()).group(0)
    deliver(app)
    told = [m for m in mailbox.to("committee@demo.test") if title in m.get_body(("plain",)).get_content()
            or title in str(m["Subject"])]
    assert told, "the committee member is told of the approved surat tugas"

    # 2. the committee: the meeting, its outcome, the checklist, preparation done
    committee = _as(browser, live, "committee")
    committee.goto(edition_url)
    committee.get_by_label("Waktu rapat").fill((today + timedelta(days=2, hours=1)).strftime("%Y-%m-%dT%H:%M"))
    committee.get_by_label("Tempat atau tautan rapat").fill("Ruang Rapat P2KLLK")
    committee.get_by_role("button", name="Jadwalkan rapat (1 jam)").click()
    expect(committee.locator("#rapat").get_by_text("Ruang Rapat P2KLLK")).to_be_visible()
    committee.get_by_label("Nama narasumber").fill("Dra. Endang Lestari, M.Psi.")
    committee.get_by_label("Instansi").fill("Universitas PGRI Madiun")
    committee.get_by_label("Topik").fill("Mengenali diri")
    committee.get_by_label("Sudah terkonfirmasi").check()
    committee.get_by_role("button", name="Tambah narasumber").click()
    expect(committee.locator("#narasumber .task", has_text="Dra. Endang Lestari")).to_contain_text("· terkonfirmasi")
    committee.get_by_label("Tema yang disepakati").fill("Mengenal Diri, Merancang Karier")
    committee.get_by_role("button", name="Catat hasil rapat").click()
    expect(committee.get_by_text("Hasil rapat koordinasi dicatat.")).to_be_visible()
    open_items = committee.get_by_role("button", name=re.compile("^Tandai selesai"))
    for left in range(open_items.count() - 1, -1, -1):  # one at a time: each tick's answer swaps the list
        open_items.first.click()
        expect(open_items).to_have_count(left)
    committee.get_by_label("Tempat pelaksanaan").fill("Aula Utama")
    committee.get_by_role("button", name="Persiapan selesai").click()
    expect(committee.get_by_text("Persiapan selesai.")).to_be_visible()

    # 3. the head sends the announcement; the kaprodi's e-mail arrives with its numbered PDF
    head = _as(browser, live, "head")
    head.goto(f"{live}/workshops/{workshop_id}/announcements")
    head.locator("details.confirm").get_by_text("Kirim pengumuman ke semua kaprodi…").click()
    head.get_by_role("button", name="Ya, kirim pengumuman").click()
    expect(head.get_by_text("Surat baru: 1")).to_be_visible()  # PMAT is the demo's one prodi with a kaprodi
    number = re.search(r"\d{3}/P2KLLK/PEM/[IVX]+/\d{4}", head.locator("#announce-progress").inner_text()).group(0)
    deliver(app)
    [mail] = [m for m in mailbox.to("kaprodi@demo.test") if number in str(m["Subject"])]
    assert title in str(mail["Subject"])
    [pdf] = list(mail.iter_attachments())
    assert pdf.get_content_type() == "application/pdf" and pdf.get_content().startswith(b"%PDF")
    register_link = re.search(r"(http\S+/workshops/\d+/register\S*)", mail.get_body(("plain",)).get_content()).group(1)
    assert f"/workshops/{workshop_id}/register" in register_link

    # sending opened registration; the kaprodi forwards to semester 3 and 5 (the SOP's box 5)
    kaprodi = _as(browser, live, "kaprodi")
    kaprodi.goto(f"{live}/kaprodi")
    item = kaprodi.locator("section", has_text=title)
    item.get_by_text(re.compile("Teruskan ke mahasiswa semester 3 dan 5")).click()
    item.get_by_role("button", name="Ya, teruskan").click()
    expect(kaprodi.get_by_text(re.compile(r"Pengumuman diteruskan kepada \d+ mahasiswa"))).to_be_visible()

    # 4. a student registers on a phone, gets the ticket; the committee checks it in at the door
    phone_context = browser.new_context(bypass_csp=True, locale="id-ID", timezone_id="Asia/Jakarta",
                                        viewport=PHONE, accept_downloads=True)
    phone = phone_context.new_page()
    phone.goto(re.sub(r"^https?://[^/]+", live, register_link))
    assert phone.get_by_label("Program studi").input_value() == STUDENT["prodi"]  # the kaprodi's link preselects
    phone.get_by_label("NIM").fill(STUDENT["nim"])
    phone.get_by_label("Nama lengkap").fill(STUDENT["name"])
    phone.get_by_label("Semester").select_option(STUDENT["semester"])
    phone.get_by_label("E-mail").fill(STUDENT["email"])
    phone.get_by_label("Nomor WhatsApp").fill("0812 3456 7890")
    phone.get_by_role("button", name="Daftar").click()
    phone.wait_for_url(re.compile(r"/workshops/tickets/"))
    expect(phone.get_by_text("Pendaftaran terkonfirmasi")).to_be_visible()
    expect(phone.get_by_role("img", name="Kode QR tiket")).to_be_visible()
    assert_fits(phone)
    ticket = phone.locator(".ticket-code").inner_text().strip()

    door = _as(browser, live, "committee", viewport=PHONE)
    door.goto(f"{live}/workshops/{workshop_id}/checkin")
    expect(door.get_by_text("Hadir 0 dari 1")).to_be_visible()
    door.get_by_label("Kode tiket atau NIM").fill(ticket)
    door.get_by_role("button", name="Catat hadir").click()
    expect(door.locator(".scan-result")).to_have_text(re.compile(rf"{STUDENT['name']} hadir, \d\d\.\d\d\."))
    expect(door.get_by_text("Hadir 1 dari 1")).to_be_visible()
    assert_fits(door)

    # 5. the workshop has taken place: evaluation, certificate, report, follow-up
    _change_workshop(app, workshop_id, starts_at=utcnow() - timedelta(hours=3))
    phone.goto(f"{live}/workshops/evaluate/{ticket}")
    expect(phone.get_by_role("heading", name="Evaluasi workshop")).to_be_visible()
    for question, rating in (("Materi", "5"), ("Narasumber", "4"), ("Penyelenggaraan", "5")):
        phone.locator("fieldset", has=phone.get_by_text(question, exact=True)).get_by_label(rating, exact=True).check()
    phone.get_by_label("Minat dan bakat yang ingin Anda kembangkan").fill("Desain grafis")
    phone.get_by_label("Saya ingin konseling karier").check()
    phone.get_by_role("button", name="Kirim evaluasi").click()
    expect(phone.get_by_text("evaluasi Anda tersimpan")).to_be_visible()
    with phone.expect_download() as download:
        phone.get_by_role("link", name="Unduh sertifikat (PDF)").click()
    assert Path(download.value.path()).read_bytes().startswith(b"%PDF")
    assert download.value.suggested_filename.startswith("sertifikat-")
    assert_fits(phone)
    phone_context.close()

    committee.goto(f"{live}/workshops/{workshop_id}/report")
    totals = committee.locator("#totals")
    expect(totals.locator('[data-figure="confirmed"]')).to_have_text("1")
    expect(totals.locator('[data-figure="waiting"]')).to_have_text("0")
    expect(totals.locator('[data-figure="attended"]')).to_have_text("1")
    expect(totals.locator('[data-figure="evaluated"]')).to_have_text("1")
    expect(committee.locator('[data-average="materi"]')).to_have_text("5")
    expect(committee.get_by_text("Mengenal Diri, Merancang Karier").first).to_be_visible()
    assert_accessible(committee)
    committee.get_by_role("button", name="Ajukan laporan (PDF)").click()
    expect(committee.get_by_text("Laporan diajukan dengan nomor")).to_be_visible()
    report_number = re.search(r"Laporan diajukan dengan nomor (\S+?)\.?(\s|$)",
                              committee.get_by_text("Laporan diajukan dengan nomor").inner_text()).group(1)
    assert report_number != assignment_number

    head.goto(f"{live}/workshops/{workshop_id}/report")
    head.get_by_role("button", name="Buat 1 permohonan konseling karier").click()
    expect(head.get_by_text("1 permohonan konseling karier dibuat; 1 mahasiswa diundang")).to_be_visible()
    head.locator("#follow-up").get_by_role("link").first.click()
    expect(head.get_by_role("heading", level=1)).to_contain_text("Layanan Konseling Karier")
    expect(head.get_by_text(f"Penerima layanan: {STUDENT['name']}")).to_be_visible()

    # the edition's case went through every step of the SOP as the screens were used
    with app.app_context():
        from app.sop.models import Case, CaseState, StepState
        from app.workshops.models import Workshop

        case = db.session.get(Case, db.session.get(Workshop, workshop_id).case_id)
        assert {row.key: row.state for row in case.current_steps() if row.state != StepState.DONE} == {}
        assert case.state == CaseState.CLOSED
