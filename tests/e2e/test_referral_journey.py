"""Journey: the demo advisor refers one of their advisees (a roster student without an account);
staff receive the referral, name the counselor and inform the student, whose e-mails arrive at a
real SMTP server on loopback; the student chooses their own password from the e-mailed link and
books a time; the counselor gives the service, writes it in the log book, issues a numbered surat
rujukan to a party of the directory and enters the external result; the report closes the case
and the advisor follows it to "Selesai" — never reading the log book or the counseling content;
another advisor's referral is a 404."""
from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.e2e.conftest import DEMO_PASSWORD, assert_accessible, assert_fits, deliver, serve_demo, sign_in

REASON = "Ayu tidak hadir lima pertemuan berturut-turut dan nilainya menurun; mohon konseling akademik."


def _other_advisor(app) -> None:
    from app.auth.services import create_user
    from app.extensions import db

    with app.app_context():
        create_user(email="advisor2@demo.test", name="Dosen PA Lain", roles=["advisor"], password=DEMO_PASSWORD)
        db.session.commit()


def _link(mailbox, address: str, pattern: str) -> str:
    for message in mailbox.to(address):
        text = message.get_body(preferencelist=("plain",)).get_content()
        found = re.search(pattern, text)
        if found:
            return found.group(0)
    raise AssertionError(f"no {pattern} in the mail to {address}")


def test_referral_from_advisor_to_external_result(browser, tmp_path):
    with serve_demo(tmp_path / "referral.db", mail=True) as (app, base, mailbox):
        _other_advisor(app)
        context = browser.new_context(bypass_csp=True, locale="id-ID", viewport={"width": 360, "height": 740})

        # The advisor refers one of their own advisees.
        advisor = context.new_page()
        sign_in(advisor, base, "advisor")
        advisor.goto(f"{base}/referrals")
        expect(advisor.get_by_text("Ayu Lestari").first).to_be_visible()
        advisor.get_by_role("link", name="Rujuk mahasiswa").click()
        assert_accessible(advisor)
        assert_fits(advisor, 360)
        options = advisor.get_by_label("Mahasiswa bimbingan").locator("option").all_inner_texts()
        assert any("Ayu Lestari" in o for o in options) and not any("Gita" in o for o in options)
        advisor.get_by_label("Mahasiswa bimbingan").select_option(label=next(o for o in options if "Ayu Lestari" in o))
        advisor.get_by_label(re.compile("Laporan kebutuhan layanan")).fill(REASON)
        advisor.get_by_role("button", name="Kirim rujukan").click()
        expect(advisor.get_by_text("Rujukan untuk Ayu Lestari terkirim")).to_be_visible()
        expect(advisor.get_by_text(REASON)).to_be_visible()  # read back what they wrote
        referral_url = advisor.url
        assert advisor.request.get(f"{base}/logbook").status == 403

        # Another advisor changing the id gets nothing.
        other = browser.new_context(bypass_csp=True, locale="id-ID").new_page()
        other.goto(f"{base}/login")
        other.get_by_label("E-mail").fill("advisor2@demo.test")
        other.get_by_label("Kata sandi").fill(DEMO_PASSWORD)
        other.get_by_role("button", name="Masuk").click()
        other.wait_for_url(f"{base}/")
        assert other.request.get(referral_url).status == 404

        # Staff receive it, name the counselor and inform the student.
        staff = browser.new_context(bypass_csp=True, locale="id-ID").new_page()
        sign_in(staff, base, "staff")
        staff.goto(f"{base}/tasks")
        staff.get_by_role("link", name=re.compile("Staf menerima laporan layanan")).first.click()
        expect(staff.get_by_text("Ayu Lestari").first).to_be_visible()
        case_id = int(re.search(r"/cases/(\d+)", staff.url).group(1))
        case_url = f"{base}/cases/{case_id}"
        staff.get_by_label("Staf konseling yang memberi layanan").select_option(label="Dra. Endang Lestari, M.Psi.")
        staff.get_by_role("button", name="Selesaikan langkah").click()
        staff.goto(case_url)
        staff.get_by_label("Layanan yang akan diberikan").fill("Konseling akademik individual")
        staff.get_by_role("button", name="Informasikan mahasiswa").click()
        expect(staff.get_by_text("Pemberitahuan rujukan dikirim kepada Ayu Lestari")).to_be_visible()
        assert_accessible(staff)

        # The student's e-mails arrive; she chooses her password and books a time.
        deliver(app)
        address = "ayu.1001@student.demo.test"
        informed = [m for m in mailbox.to(address) if "Rujukan layanan konseling" in m["Subject"]]
        assert informed and REASON not in informed[0].get_body(preferencelist=("plain",)).get_content()
        setup = _link(mailbox, address, r"https?://\S+/account/setup/\S+")
        student = browser.new_context(bypass_csp=True, locale="id-ID", viewport={"width": 360, "height": 740}).new_page()
        student.goto(setup.replace(re.match(r"https?://[^/]+", setup).group(0), base))
        student.get_by_label("Kata sandi baru", exact=True).fill("ayu-rahasia-2026")
        student.get_by_label("Ulangi kata sandi baru").fill("ayu-rahasia-2026")
        student.get_by_role("button", name="Simpan kata sandi").click()
        student.goto(f"{base}/login")
        student.get_by_label("E-mail").fill(address)
        student.get_by_label("Kata sandi").fill("ayu-rahasia-2026")
        student.get_by_role("button", name="Masuk").click()
        student.wait_for_url(f"{base}/")
        student.goto(case_url)
        student.get_by_role("link", name="Jadwal konseling").click()
        student.locator("a.slot").first.click()
        student.get_by_role("button", name="Ya, pesan jadwal ini").click()
        expect(student.get_by_text("Jadwal disepakati")).to_be_visible()

        # The counselor gives the service and writes it in the log book.
        counselor = browser.new_context(bypass_csp=True, locale="id-ID").new_page()
        sign_in(counselor, base, "counselor")
        counselor.goto(case_url)
        counselor.get_by_role("link", name="Kerjakan langkah ini").first.click()
        counselor.get_by_role("button", name="Selesaikan langkah").click()
        counselor.goto(case_url)
        counselor.get_by_role("link", name="Kerjakan langkah ini").first.click()
        expect(counselor.get_by_role("heading", name="Baris log book layanan")).to_be_visible()
        assert_accessible(counselor)
        counselor.get_by_label("Tanggal dan jam layanan").fill("2026-11-25T10:00")
        counselor.get_by_label("Jenis layanan").fill("Konseling akademik individual")
        counselor.get_by_label("Durasi (menit)").fill("50")
        counselor.get_by_label(re.compile("Hasil layanan")).fill("Perlu pemeriksaan psikolog klinis")
        counselor.get_by_label(re.compile("pihak eksternal")).select_option("ya")
        counselor.get_by_role("button", name="Catat di log book").click()
        expect(counselor.get_by_text("Log book tercatat")).to_be_visible()

        # The surat rujukan goes to a party of the directory; the external result is entered.
        counselor.get_by_role("link", name="Kerjakan langkah ini").first.click()
        counselor.get_by_label("Pihak eksternal dari daftar").select_option(
            label="Dra. Sari Wulandari, M.Psi., Psikolog — RSUD dr. Soedono Madiun")
        counselor.get_by_role("button", name="Terbitkan surat rujukan").click()
        expect(counselor.get_by_text("Surat rujukan untuk Dra. Sari Wulandari")).to_be_visible()
        expect(counselor.get_by_text(re.compile(r"/RUJ/")).first).to_be_visible()
        counselor.get_by_role("link", name="Kerjakan langkah ini").first.click()
        counselor.get_by_role("textbox", name="Hasil layanan eksternal").fill("Tiga sesi dengan psikolog klinis; kondisi membaik.")
        counselor.get_by_role("button", name="Selesaikan langkah").click()
        counselor.goto(case_url)
        counselor.get_by_role("link", name="Kerjakan langkah ini").first.click()
        counselor.get_by_role("textbox", name="Unit kerja terkait").fill("Prodi Pendidikan Matematika")
        counselor.get_by_role("button", name="Selesaikan langkah").click()

        # The log book has the line; the advisor sees the referral done, never its content.
        counselor.goto(f"{base}/logbook")
        counselor.get_by_label(re.compile("Cari mahasiswa")).fill("Ayu")
        expect(counselor.locator("#logbook-results")).to_contain_text("Perlu pemeriksaan psikolog klinis")
        assert_accessible(counselor)
        advisor.goto(f"{base}/referrals")
        expect(advisor.get_by_text("Selesai").first).to_be_visible()
        advisor.goto(referral_url)
        assert "Perlu pemeriksaan psikolog klinis" not in advisor.content()
        assert "Tiga sesi dengan psikolog klinis" not in advisor.content()
        deliver(app)
        assert any("Laporan Layanan Konseling" in m["Subject"] for m in mailbox.to("advisor@demo.test"))
