"""Journey (phone-sized): an alumnus registers, confirms the address by the e-mailed link, fills
the profile once, finds it in the career-counseling request form, and sees "Data saya"."""
from __future__ import annotations

import re
import sqlite3

from playwright.sync_api import expect

from tests.e2e.conftest import assert_accessible, assert_fits

PASSWORD = "sandi-alumni-1"


def _confirmation_link(tmp_path_factory, address: str) -> str:
    """The link in the confirmation e-mail, read from the live server's outbox."""
    bodies = []
    for database in {path.resolve() for path in tmp_path_factory.getbasetemp().glob("e2e*/e2e.db")}:
        with sqlite3.connect(database) as conn:
            bodies += conn.execute("SELECT body FROM outbox_messages WHERE recipient = ? AND subject = ?",
                                   (address, "Konfirmasi pendaftaran Ruang Konseling")).fetchall()
    [(body,)] = bodies
    return re.search(r"http://localhost(/register/confirm/\S+)", body).group(1)


def test_alumnus_registers_confirms_and_finds_the_profile_in_the_request_form(browser, live_server,
                                                                               tmp_path_factory):
    context = browser.new_context(bypass_csp=True, locale="id-ID", viewport={"width": 360, "height": 740})
    page = context.new_page()
    page.goto(f"{live_server}/login")
    page.get_by_role("link", name="Daftar").click()
    expect(page.get_by_role("heading", name="Daftar akun")).to_be_visible()
    assert_accessible(page)
    assert_fits(page, 360)

    page.get_by_label("Nama lengkap").fill("Rina Alumni")
    page.get_by_label("E-mail").fill("rina@demo.test")
    page.get_by_label("Saya mendaftar sebagai").select_option("alumni")
    page.get_by_label("Kata sandi", exact=True).fill("pendek")
    page.get_by_label("Ulangi kata sandi").fill("pendek")
    page.get_by_role("button", name="Daftar").click()
    expect(page.get_by_text("Kata sandi 8–256 karakter.")).to_be_visible()
    page.get_by_label("Kata sandi", exact=True).fill(PASSWORD)
    page.get_by_label("Ulangi kata sandi").fill(PASSWORD)
    page.get_by_role("button", name="Daftar").click()
    expect(page.get_by_text("Kami sudah mengirim e-mail ke alamat itu.")).to_be_visible()

    # Signing in before confirming says what to do.
    page.get_by_label("E-mail").fill("rina@demo.test")
    page.get_by_label("Kata sandi").fill(PASSWORD)
    page.get_by_role("button", name="Masuk").click()
    expect(page.get_by_text("belum dikonfirmasi")).to_be_visible()
    expect(page.get_by_role("link", name="Kirim ulang tautan konfirmasi")).to_be_visible()

    link = _confirmation_link(tmp_path_factory, "rina@demo.test")
    page.goto(live_server + link)
    expect(page.get_by_role("heading", name="Aktifkan akun")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Kata sandi").fill(PASSWORD)
    page.get_by_role("button", name="Aktifkan akun").click()
    expect(page.get_by_role("heading", name="Profil saya")).to_be_visible()
    assert_fits(page, 360)

    page.get_by_label("NIM / nomor praja").fill("2001050607")
    page.get_by_label("Program studi").fill("Pendidikan Bahasa Inggris")
    page.get_by_label("Tahun lulus").fill("2024")
    page.get_by_label("Nomor WhatsApp").fill("0812-1234-5678")
    page.get_by_role("button", name="Simpan profil").click()
    expect(page.get_by_text("Profil Anda tersimpan.")).to_be_visible()
    expect(page.get_by_label("Nomor WhatsApp")).to_have_value("+6281212345678")
    assert_accessible(page)

    page.goto(f"{live_server}/cases/new/pgri-konseling-karier")
    expect(page.get_by_label("NIM / tahun lulus")).to_have_value("2001050607")
    expect(page.get_by_label("Program studi")).to_have_value("Pendidikan Bahasa Inggris")
    expect(page.get_by_label("Nomor WhatsApp")).to_have_value("+6281212345678")
    assert_fits(page, 360)

    page.goto(f"{live_server}/account/data")
    expect(page.get_by_role("heading", name="Data saya")).to_be_visible()
    expect(page.get_by_text("2001050607")).to_be_visible()
    assert_accessible(page)
    assert_fits(page, 360)
    download = page.request.get(live_server + page.get_by_role("link", name="Unduh JSON").get_attribute("href"))
    assert download.json()["profile"]["whatsapp"] == "+6281212345678"

    # The link worked once.
    page.goto(live_server + link)
    expect(page.get_by_role("heading", name="Tautan konfirmasi tidak berlaku lagi")).to_be_visible()
    context.close()
