"""Journey (phone-sized): a student registers, confirms the address, goes through the e-konseling
wizard and submits the problem at 22.00 on a Sunday; the scheduler (run with the clock set)
sends the acknowledgement, which reaches a real SMTP server and a fake WhatsApp gateway on
loopback within two minutes, and tells the counselor on duty; the counselor answers in the private
conversation (taking the case) and proposes a video session; the student accepts it and the
calendar invite (METHOD:REQUEST) arrives. The case, open after its 6 steps, is closed by the
counselor's short report; the conversation is then read-only."""
from __future__ import annotations

import re
import sqlite3
import threading
from datetime import datetime, time, timedelta
from http.server import HTTPServer
from zoneinfo import ZoneInfo

import time_machine
from playwright.sync_api import expect

from tests.e2e.conftest import assert_accessible, assert_fits, deliver, serve_demo, sign_in
from tests.test_online_web import Gateway

WIB = ZoneInfo("Asia/Jakarta")
SUNDAY_2145 = datetime(2026, 11, 29, 21, 45, tzinfo=WIB)
SUNDAY_22 = datetime(2026, 11, 29, 22, 0, tzinfo=WIB)
PASSWORD = "sandi-mahasiswa-1"
EMAIL = "sinta.online@demo.test"


def _confirmation_path(db_file) -> str:
    with sqlite3.connect(db_file) as conn:
        [(body,)] = conn.execute("SELECT body FROM outbox_messages WHERE recipient = ? AND subject = ?",
                                 (EMAIL, "Konfirmasi pendaftaran Ruang Konseling")).fetchall()
    return re.search(r"https?://[^/\s]+(/register/confirm/\S+)", body).group(1)


def _sent_at(db_file, key_like: str) -> list[datetime]:
    with sqlite3.connect(db_file) as conn:
        rows = conn.execute("SELECT sent_at FROM outbox_messages WHERE key LIKE ? AND status = 'sent'",
                            (key_like,)).fetchall()
    return [datetime.fromisoformat(str(r[0])).replace(tzinfo=ZoneInfo("UTC")) for r in rows]


def test_registration_to_acknowledgement_thread_and_video_invite(browser, tmp_path):
    from jobs.scheduler import tick

    db_file = tmp_path / "online.db"
    handler = type("Handler", (Gateway,), {"received": []})
    gateway = HTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=gateway.serve_forever, daemon=True).start()
    with time_machine.travel(SUNDAY_2145, tick=True) as clock, serve_demo(db_file, mail=True) as (app, url, mailbox):
        app.config["WHATSAPP_GATEWAY_URL"] = f"http://127.0.0.1:{gateway.server_address[1]}/send"
        context = browser.new_context(bypass_csp=True, locale="id-ID", viewport={"width": 360, "height": 740})
        page = context.new_page()
        page.goto(f"{url}/register")
        page.get_by_label("Nama lengkap").fill("Sinta Mahasiswi")
        page.get_by_label("E-mail").fill(EMAIL)
        page.get_by_label("Saya mendaftar sebagai").select_option("student")
        page.get_by_label("Kata sandi", exact=True).fill(PASSWORD)
        page.get_by_label("Ulangi kata sandi").fill(PASSWORD)
        page.get_by_role("button", name="Daftar").click()
        expect(page.get_by_text("Kami sudah mengirim e-mail ke alamat itu.")).to_be_visible()
        page.goto(url + _confirmation_path(db_file))
        page.get_by_label("Kata sandi").fill(PASSWORD)
        page.get_by_role("button", name="Aktifkan akun").click()
        expect(page.get_by_role("heading", name="Profil saya")).to_be_visible()

        # The wizard: one short form per stage.
        page.goto(f"{url}/online/unpam-konseling-online/start")
        assert_accessible(page)
        page.get_by_role("button", name="Mulai").click()
        expect(page.get_by_text("Tahap 1 dari 3")).to_be_visible()
        assert_accessible(page)
        assert_fits(page, 360)
        page.get_by_label("NIM").fill("221011045")
        page.get_by_label("Program studi").fill("Psikologi")
        page.get_by_label("Nomor WhatsApp").fill("0812 3456 7890")
        page.get_by_label("Bentuk konseling").select_option("online")
        page.get_by_role("button", name="Lanjut").click()
        expect(page.get_by_text("Tahap 2 dari 3")).to_be_visible()
        page.get_by_text("Kembali…").click()  # a second look at the identity, once told what is lost
        page.get_by_role("button", name="Ya, kembali ke tahap sebelumnya").click()
        expect(page.get_by_text("Tahap 1 dari 3")).to_be_visible()
        expect(page.get_by_label("Program studi")).to_have_value("Psikologi")
        page.get_by_role("button", name="Lanjut").click()
        expect(page.get_by_text("Tahap 2 dari 3")).to_be_visible()
        page.get_by_role("button", name="Lanjut").click()  # online: straight on ("Lanjut")
        expect(page.get_by_text("Tahap 3 dari 3")).to_be_visible()
        page.get_by_label("Bidang", exact=True).select_option("personal")
        page.get_by_label("Permasalahan", exact=True).fill("RAHASIA: saya sulit tidur dan cemas menjelang ujian.")
        clock.move_to(SUNDAY_22)
        page.get_by_role("button", name="Kirim permohonan").click()
        expect(page.get_by_role("heading", name="Percakapan pribadi")).to_be_visible()
        expect(page.get_by_text("Permohonan terkirim; tanggapan otomatis akan dikirim dalam 2 menit")).to_be_visible()
        assert_accessible(page)
        assert_fits(page, 360)
        case_path = page.url.removeprefix(url)

        # The scheduler, with its clock set one minute after the submission: nobody is awake.
        result = tick(app, SUNDAY_22 + timedelta(minutes=1))
        assert result["online_acknowledgements"] == {"acknowledged": 1}
        [ack] = [m for m in mailbox.to(EMAIL) if m["Subject"] == "Permohonan konseling Anda sudah kami terima"]
        assert case_path in ack.get_content() and "RAHASIA" not in ack.get_content()
        [whatsapp] = [m for m in handler.received if m["to"] == "+6281234567890"]
        assert case_path in whatsapp["message"] and "RAHASIA" not in whatsapp["message"]
        assert all(at <= SUNDAY_22 + timedelta(minutes=2) for at in _sent_at(db_file, "ack:%"))
        [duty] = [m for m in mailbox.to("counselor@demo.test") if m["Subject"].startswith("Permohonan e-konseling baru")
                  and case_path in m.get_content()]  # the counselor on duty on Sunday evenings
        assert "RAHASIA" not in duty.get_content()

        # The counselor on duty answers, and so takes the case.
        counselor = browser.new_context(bypass_csp=True, locale="id-ID").new_page()
        sign_in(counselor, url, "counselor")
        counselor.goto(url + case_path)
        counselor.get_by_label("Pesan").fill("Halo Sinta, saya Bu Endang. Mari bicara lewat video.")
        counselor.get_by_role("button", name="Jawab dan tangani").click()
        expect(counselor.get_by_text("Halo Sinta, saya Bu Endang.")).to_be_visible()
        expect(counselor.get_by_text("RAHASIA: saya sulit tidur")).to_be_visible()  # theirs now: the problem too
        tuesday = (SUNDAY_22 + timedelta(days=2)).date().isoformat()
        counselor.get_by_label("Waktu (slot kosong Anda)").select_option(f"{tuesday}T10:15")  # a free slot
        counselor.get_by_label("Bentuk").select_option("online")
        counselor.get_by_label("Tautan pertemuan").fill("https://meet.google.com/unp-amdk-tko")
        counselor.get_by_label("Kode rapat / kata sandi").fill("sandi 2911")
        counselor.get_by_role("button", name="Kirim usulan").click()
        expect(counselor.get_by_text("Usulan sesi dikirim")).to_be_visible()
        assert_accessible(counselor)

        # The student reads the answer and accepts the video session.
        page.reload()
        expect(page.get_by_text("Halo Sinta, saya Bu Endang.")).to_be_visible()
        expect(page.get_by_text("Saya mengusulkan sesi video")).to_be_visible()
        page.get_by_role("textbox", name="Pesan").fill("Baik, Bu. Saya siap.")
        page.get_by_role("button", name="Kirim").click()  # shown at once (the poll runs every 10 s), once
        expect(page.locator(".message.mine", has_text="Baik, Bu. Saya siap.")).to_have_count(1, timeout=3000)
        expect(page.get_by_role("textbox", name="Pesan")).to_have_value("")  # the box is empty for the next one
        page.get_by_role("link", name="Jadwal sesi").click()
        page.get_by_role("button", name="Terima waktu ini").click()
        expect(page.get_by_text("Jadwal disepakati")).to_be_visible()
        expect(page.get_by_text("sandi 2911")).to_be_visible()
        assert_fits(page, 360)
        deliver(app)
        [invite] = [m for m in mailbox.to(EMAIL) if m["Subject"].startswith("Jadwal konseling:")]
        calendar = next(part for part in invite.walk() if part.get_content_type() == "text/calendar")
        assert calendar.get_param("method") == "REQUEST"
        assert "https://meet.google.com/unp-amdk-tko" in calendar.get_content()
        messages = [m for m in mailbox.to(EMAIL) if m["Subject"].startswith("Pesan baru")]
        assert messages and all("Bu Endang" not in m.get_content() for m in messages)  # never the text

        # The case stayed open after its 6 steps; the counselor closes it with the short report.
        counselor.goto(url + case_path)
        counselor.get_by_label("Laporan", exact=True).fill("RAHASIA: satu sesi video, tidur membaik.")
        counselor.get_by_text("Tutup layanan…").click()  # one tap only opens the question
        expect(counselor.get_by_text("Tutup layanan ini?")).to_be_visible()
        expect(counselor.get_by_text("Masih ada sesi yang disepakati")).to_be_visible()  # Tuesday's video session
        expect(counselor.get_by_role("button", name="Ya, tutup layanan")).to_have_count(0)  # not before it
        clock.move_to(datetime.combine(SUNDAY_22.date() + timedelta(days=2), time(11, 30), WIB))  # it took place
        sign_in(counselor, url, "counselor")  # two days idle: signed out meanwhile
        counselor.goto(url + case_path)
        counselor.set_viewport_size({"width": 360, "height": 740})  # on a phone, the opened question
        counselor.get_by_label("Laporan", exact=True).fill("RAHASIA: satu sesi video, tidur membaik.")
        summary = counselor.get_by_text("Tutup layanan…")
        summary.evaluate("e => e.scrollIntoView({block: 'end'})")  # the last line on the screen
        summary.click()
        expect(counselor.get_by_role("button", name="Ya, tutup layanan")).to_be_in_viewport()  # comes into view
        counselor.get_by_role("button", name="Ya, tutup layanan").click()
        expect(counselor.get_by_text("Layanan ditutup")).to_be_visible()
        page.goto(url + "/login")  # signed out meanwhile too
        page.get_by_label("E-mail").fill(EMAIL)
        page.get_by_label("Kata sandi").fill(PASSWORD)
        page.get_by_role("button", name="Masuk").click()
        page.goto(url + case_path)
        expect(page.get_by_text("Layanan ini sudah selesai; percakapan ditutup.")).to_be_visible()
        expect(page.get_by_role("button", name="Kirim")).to_have_count(0)  # read-only now
        expect(page.get_by_text("Halo Sinta, saya Bu Endang.")).to_be_visible()
    gateway.shutdown()
    gateway.server_close()
