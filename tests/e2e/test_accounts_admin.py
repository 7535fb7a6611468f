"""Journey: an admin signs in, searches users as they type (htmx), switches language."""
from __future__ import annotations

from playwright.sync_api import expect

from tests.e2e.conftest import assert_accessible, assert_fits


def test_admin_searches_users_and_switches_language(page, live_server, login):
    page.goto(f"{live_server}/login")
    assert_accessible(page)
    assert_fits(page)
    page.set_viewport_size({"width": 1280, "height": 800})
    login("admin")
    assert_accessible(page)

    page.get_by_role("navigation").get_by_text("Kelola", exact=True).click()  # the admin pages' menu
    page.get_by_role("link", name="Pengguna").first.click()
    expect(page.get_by_role("heading", name="Pengguna")).to_be_visible()
    assert_accessible(page)
    page.evaluate("window.__same_page = true")  # lost if the page reloads
    page.get_by_label("Cari nama, e-mail, atau NIP").press_sequentially("budi", delay=30)
    rows = page.locator("#user-results tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Budi Santoso")
    assert page.evaluate("window.__same_page") is True
    assert "q=budi" in page.url  # the search is in the address bar, so it can be shared

    page.get_by_label("Peran", exact=True).select_option("counselor")
    expect(page.locator("#user-results")).to_contain_text("Tidak ada pengguna yang cocok.")
    assert page.evaluate("window.__same_page") is True

    page.get_by_role("button", name="EN", exact=True).click()
    expect(page.get_by_role("heading", name="Users")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.get_by_role("button", name="ID", exact=True).click()
    expect(page.get_by_role("heading", name="Pengguna")).to_be_visible()
    assert_fits(page)


def test_admin_creates_user_and_sees_errors_in_place(page, live_server, login):
    login("admin")
    page.goto(f"{live_server}/admin/users/new")
    assert_accessible(page)
    page.get_by_label("Nama lengkap").fill("Konselor Baru")
    page.get_by_label("E-mail").fill("bukan-email")
    page.get_by_role("button", name="Simpan").click()
    expect(page.get_by_text("Alamat e-mail tidak valid.")).to_be_visible()
    expect(page.get_by_text("Pilih minimal satu peran.")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("E-mail").fill("konselor.baru@demo.test")
    page.get_by_label("Konselor / psikolog").check()
    page.get_by_label("Kata sandi").fill("rahasiakuat1")
    page.get_by_role("button", name="Simpan").click()
    expect(page.get_by_text("Pengguna Konselor Baru tersimpan.")).to_be_visible()
