"""Journey: the counselor takes the next step of a PUSPAGA case from "Tugas saya"; the step's page
shows whom it is for (name and contact), the earlier steps' outputs in words (times as "Senin,
30 November 2026, 09.00 WIB", the consent recorded, the assessment the counselor may read) and a
deadline that says it counts working time and when it falls; after acting, the timeline reads in
words. A filter whose request fails says so above the list, which stays usable."""
from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.e2e.conftest import assert_accessible, assert_fits

LONG_MOMENT = r"(Senin|Selasa|Rabu|Kamis|Jumat|Sabtu|Minggu), \d{1,2} \w+ \d{4}, \d{2}\.\d{2} WIB"
RAW = re.compile(r"\b(pending|active|done|skipped|True|False|None)\b|\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")


def test_counselor_acts_on_a_step_seeing_the_client_and_due_time(page, live_server, login):
    login("counselor")
    page.goto(f"{live_server}/tasks")
    page.get_by_role("link", name="Menentukan prioritas masalah yang dialami klien").first.click()
    expect(page.get_by_role("heading", name=re.compile("Menentukan prioritas masalah"))).to_be_visible()

    context = page.locator("section", has=page.get_by_role("heading", name="Yang perlu Anda ketahui"))
    expect(context).to_contain_text("Penerima layanan")
    expect(context.get_by_role("link", name="client@demo.test")).to_be_visible()
    expect(context).to_contain_text(re.compile(r"Waktu janji\s*" + LONG_MOMENT))
    expect(context).to_contain_text(re.compile(r"Persetujuan klien\s*setuju"))
    expect(context.locator("dt", has_text="Ringkasan asesmen")).to_be_visible()  # the team reads the assessment
    expect(page.locator("main p.muted").first).to_contain_text(
        re.compile(r"Baku mutu 30 menit kerja · tenggat " + LONG_MOMENT + r" \((.+ lagi|lewat .+)\)"))
    assert RAW.search(page.locator("main").inner_text()) is None
    assert_accessible(page)
    assert_fits(page)
    page.set_viewport_size({"width": 1280, "height": 800})

    page.get_by_role("button", name="Selesaikan langkah").click()  # nothing typed: refused in place
    expect(page.get_by_text("Prioritas masalah wajib diisi.")).to_be_visible()
    expect(context.get_by_role("link", name="client@demo.test")).to_be_visible()
    page.get_by_role("textbox", name="Prioritas masalah").fill("Komunikasi orang tua dan anak")
    page.get_by_role("button", name="Selesaikan langkah").click()

    expect(page.get_by_text("selesai.", exact=False).first).to_be_visible()
    done = page.locator(".timeline li", has_text="Menentukan prioritas masalah")
    expect(done).to_contain_text("selesai")
    expect(done).to_contain_text(re.compile(r"Diselesaikan Dra\. Endang Lestari, M\.Psi\., " + LONG_MOMENT))
    expect(done).to_contain_text("Komunikasi orang tua dan anak")
    consent = page.locator(".timeline li", has_text="Menjelaskan layanan konseling")
    expect(consent).to_contain_text(re.compile(r"Persetujuan klien\s*setuju"))
    expect(page.locator(".timeline li", has_text="Menyimpulkan proses konseling")).to_contain_text(
        re.compile(r"aktif.*Baku mutu 30 menit kerja · tenggat " + LONG_MOMENT, re.S))
    assert RAW.search(page.locator(".timeline").inner_text()) is None
    assert_accessible(page)


def test_a_failed_filter_request_says_so_and_the_list_stays(page, live_server, login):
    login("head")
    page.goto(f"{live_server}/cases")
    rows = page.locator("#case-results tbody tr").count()
    page.route(re.compile(r".*/cases\?.*state=closed.*"), lambda route: route.fulfill(
        status=500, content_type="text/html",
        body='<section class="card error-page"><p class="error">Maaf, terjadi kesalahan di server.</p></section>'))
    page.get_by_label("Status").select_option("closed")
    alert = page.locator("#htmx-failure")
    expect(alert).to_have_text("Maaf, terjadi kesalahan di server.")
    expect(alert).to_have_attribute("role", "alert")
    expect(page.locator("#case-results tbody tr")).to_have_count(rows)  # nothing swapped away

    page.unroute(re.compile(r".*/cases\?.*state=closed.*"))
    page.route(re.compile(r".*/cases\?.*state=all.*"), lambda route: route.abort())
    page.get_by_label("Status").select_option("all")
    expect(alert).to_contain_text("Server tidak dapat dihubungi")

    page.unroute(re.compile(r".*/cases\?.*state=all.*"))
    page.get_by_label("Status").select_option("closed")  # the list still answers, and the alert goes
    expect(page.locator("#htmx-failure")).to_have_count(0)
    expect(page.locator("#case-results")).to_be_visible()
