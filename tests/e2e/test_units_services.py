"""Journey: a PGRI alumnus sees only P2KLLK's career service, described in plain words and
without internal codes; the admin switches it off on "Unit layanan" and it disappears from the
alumnus's home and services; switched on again, it is back."""
from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.e2e.conftest import assert_accessible, assert_fits, sign_in

CODE = re.compile(r"\b(pgri|unpam|ipdn|ik|puspaga)-[a-z-]+\b")


def test_alumnus_sees_only_career_services_and_admin_switches_one_off(browser, live_server):
    alumni = browser.new_context(bypass_csp=True, locale="id-ID")
    page = alumni.new_page()
    sign_in(page, live_server, "alumni")
    services = page.locator("#home-services + .grid .service")
    expect(services).to_have_count(1)
    expect(services.first).to_contain_text("Layanan Konseling Karier")
    expect(services.first).to_contain_text("Untuk alumni dan calon alumni")
    expect(services.first).to_contain_text("Ditanggapi dalam 1 jam kerja")
    assert not CODE.search(page.locator("main").inner_text())
    assert_accessible(page)
    assert_fits(page)

    page.get_by_role("navigation").get_by_role("link", name="Layanan").click()
    main = page.locator("main")
    expect(main).to_contain_text("Layanan Konseling Karier")
    for other in ("Praja", "PUSPAGA", "Konseling Online", "Minat Bakat", "Rujukan"):
        expect(main).not_to_contain_text(other)
    assert not CODE.search(main.inner_text())
    assert_accessible(page)

    admin = browser.new_context(bypass_csp=True, locale="id-ID")
    desk = admin.new_page()
    sign_in(desk, live_server, "admin")
    desk.get_by_role("navigation").get_by_text("Kelola", exact=True).click()  # the admin pages' menu
    desk.get_by_role("navigation").get_by_role("link", name="Unit layanan").click()
    assert_accessible(desk)
    desk.get_by_role("link", name=re.compile("Pusat Pengembangan Karier")).click()
    offer = desk.locator(".offers li", has_text="Layanan Konseling Karier")
    expect(offer).to_contain_text("aktif")
    assert_accessible(desk)
    try:
        offer.get_by_role("button", name=re.compile("Matikan")).click()
        expect(desk.get_by_text("Layanan Konseling Karier sekarang nonaktif")).to_be_visible()

        page.reload()
        expect(page.locator("main")).not_to_contain_text("Layanan Konseling Karier")
        page.goto(f"{live_server}/")
        expect(page.locator("main")).not_to_contain_text("Ajukan layanan")
    finally:  # the live server is shared with the other journeys
        desk.locator(".offers li", has_text="Layanan Konseling Karier").get_by_role(
            "button", name=re.compile("Nyalakan")).click()
        expect(desk.get_by_text("Layanan Konseling Karier sekarang aktif")).to_be_visible()
    page.reload()
    expect(page.locator("#home-services + .grid .service")).to_have_count(1)
    alumni.close()
    admin.close()
