"""Journey: the admin adds a prodi with its kaprodi, the head imports the roster (a CSV as Excel
saves it in Indonesia, with a rejected row reported), sends the announcement; the kaprodi's
e-mail arrives at a real SMTP server on loopback with its numbered PDF; the kaprodi logs in,
sees the announcement and forwards it to the semester 3 and 5 students in one action."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest
from playwright.sync_api import expect

from app.extensions import db
from tests.e2e.conftest import assert_accessible, assert_fits, deliver, serve_demo, sign_in


@pytest.fixture
def served(tmp_path):
    """The demo app with one workshop edition, served on loopback, its mail to an SMTP sink."""
    from app.auth.models import find_user_by_email
    from app.sop.registry import get_procedure
    from app.sop.services import open_case
    from app.workshops.models import Registration, RosterStudent, StudyProgram, Workshop

    with serve_demo(tmp_path / "e2e.db", mail=True) as (app, live, mailbox):
        with app.app_context():
            # this journey enters the programmes and the roster itself: start from a campus without them
            db.session.execute(db.delete(Registration))
            db.session.execute(db.delete(RosterStudent))
            db.session.execute(db.delete(StudyProgram))
            head = find_user_by_email("head@demo.test")
            case = open_case(get_procedure("pgri-minat-bakat"), head, {"panitia_ditetapkan": "2026-11-20T09:00",
                                                                       "committee": "Tim"})
            workshop = Workshop(case=case, title="Workshop Minat Bakat Uji", capacity=200, venue="Aula Utama",
                                starts_at=datetime.now(timezone.utc) + timedelta(days=14))
            db.session.add(workshop)
            db.session.commit()
            workshop_id = workshop.id
        yield app, live, mailbox, workshop_id


def test_announcement_from_prodi_to_forward(browser, served, tmp_path):
    app, live, mailbox, workshop_id = served
    admin = browser.new_context(bypass_csp=True, locale="id-ID").new_page()
    sign_in(admin, live, "admin")
    admin.goto(f"{live}/admin/prodi")
    admin.get_by_label("Kode prodi").fill("PMAT")
    admin.get_by_label("Nama program studi").fill("Pendidikan Matematika")
    admin.get_by_label("Fakultas").fill("FKIP")
    admin.get_by_label("Kaprodi").select_option(label="Dr. Bambang Sutrisno (Kaprodi) (kaprodi@demo.test)")
    admin.get_by_role("button", name="Simpan prodi").click()
    expect(admin.get_by_role("cell", name="Dr. Bambang Sutrisno (Kaprodi)")).to_be_visible()
    assert_accessible(admin)

    head = browser.new_context(bypass_csp=True, locale="id-ID").new_page()
    sign_in(head, live, "head")
    head.goto(f"{live}/workshops/roster")
    roster = tmp_path / "roster.csv"
    roster.write_bytes(("\ufeffNIM;Nama;Prodi;Semester;E-mail;No. HP\r\n"
                        "2101010001;Ani Lestari;PMAT;3;ani@test.id;0812 3456 7890\r\n"
                        "2101010002;Budi Santoso;Pendidikan Matematika;5;budi@test.id;\r\n"
                        "2101010003;Cici;PMAT;1;cici@test.id;\r\n"
                        "2101010004;Dedi;PMAT;3;bukan-email;\r\n").encode())
    head.get_by_label("Berkas roster (CSV atau XLSX)").set_input_files(str(roster))
    head.get_by_role("button", name="Impor").click()
    expect(head.get_by_text("Diterima: 3 (baru 3, diperbarui 0). Ditolak: 1.")).to_be_visible()
    expect(head.get_by_text("E-mail \"bukan-email\" tidak valid.")).to_be_visible()
    assert_accessible(head)

    head.goto(f"{live}/workshops/{workshop_id}/announcements")
    head.get_by_text("Kirim pengumuman ke semua kaprodi…").click()  # a confirmation first
    head.get_by_role("button", name="Ya, kirim pengumuman").click()
    expect(head.get_by_text("Surat baru: 1")).to_be_visible()
    number = re.search(r"\d{3}/P2KLLK/PEM/[IVX]+/\d{4}", head.locator("#announce-progress").inner_text()).group(0)
    assert_accessible(head)
    assert_fits(head)
    deliver(app)
    [mail] = mailbox.to("kaprodi@demo.test")
    assert number in mail["Subject"]
    [pdf] = list(mail.iter_attachments())
    assert pdf.get_content_type() == "application/pdf" and pdf.get_content().startswith(b"%PDF")
    head.reload()
    expect(head.locator("#announce-progress").get_by_text(re.compile("terkirim"))).to_be_visible()

    kaprodi = browser.new_context(bypass_csp=True, locale="id-ID").new_page()
    sign_in(kaprodi, live, "kaprodi")
    kaprodi.goto(re.search(r"(http\S+/kaprodi)\b", mail.get_body(("plain",)).get_content()).group(1)
                 .replace("http://127.0.0.1:5000", live).replace("http://localhost", live))
    expect(kaprodi.get_by_text(f"Surat pemberitahuan nomor {number}")).to_be_visible()
    assert_accessible(kaprodi)
    assert_fits(kaprodi)
    kaprodi.get_by_text(re.compile("Teruskan ke mahasiswa semester 3 dan 5")).click()  # a confirmation first
    kaprodi.get_by_role("button", name="Ya, teruskan").click()
    expect(kaprodi.get_by_text("Pengumuman diteruskan kepada 2 mahasiswa.")).to_be_visible()
    kaprodi.get_by_text("Teruskan kepada mahasiswa yang baru masuk roster…").click()  # once forwarded, says so
    kaprodi.get_by_role("button", name="Ya, teruskan").click()
    expect(kaprodi.get_by_text("sudah menerima pengumuman ini")).to_be_visible()
    deliver(app)
    invited = sorted(str(m["To"]) for m in mailbox.messages if "Undangan" in str(m["Subject"]))
    assert invited == ["ani@test.id", "budi@test.id"]  # semester 3 and 5 only, once each
