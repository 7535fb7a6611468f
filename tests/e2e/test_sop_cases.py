"""Journey: TU keeps "Tugas saya" open; an alumnus files a career-counseling request; the task
appears in TU's list by itself (htmx polling); TU acknowledges it; the timeline shows who did
what and when, and TU never sees the confidential question."""
from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.e2e.conftest import assert_accessible, assert_fits, sign_in


def test_request_appears_in_my_tasks_and_staff_acknowledges_it(browser, live_server):
    staff = browser.new_context(bypass_csp=True, locale="id-ID")
    tasks = staff.new_page()
    sign_in(tasks, live_server, "staff")
    tasks.clock.install()
    tasks.goto(f"{live_server}/tasks")
    assert_accessible(tasks)
    tasks.evaluate("window.__same_page = true")
    before = tasks.locator("#tasks .task").count()

    alumni = browser.new_context(bypass_csp=True, locale="id-ID")
    page = alumni.new_page()
    sign_in(page, live_server, "alumni")
    page.get_by_role("navigation").get_by_role("link", name="Layanan").click()
    assert_accessible(page)
    page.get_by_role("link", name="Layanan Konseling Karier").click()
    assert_accessible(page)
    page.get_by_role("link", name="Ajukan layanan").click()
    page.get_by_label("Program studi").fill("")  # the profile filled it in; the request needs it
    page.get_by_role("button", name="Kirim permohonan").click()
    expect(page.get_by_text("Program studi wajib diisi.")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("NIM / tahun lulus").fill("19010001 / 2023")
    page.get_by_label("Program studi").fill("Pendidikan Matematika")
    page.get_by_label("Nomor WhatsApp").fill("+62 812 3456 7890")
    page.get_by_label("Pertanyaan atau permasalahan karier").fill("Guru atau analis data?")
    page.get_by_label("Bentuk layanan").select_option("online")
    page.get_by_role("button", name="Kirim permohonan").click()
    expect(page.get_by_text(re.compile(r"Layanan dibuka: kasus #\d+"))).to_be_visible()
    case_id = page.url.rsplit("/", 1)[1]
    expect(page.get_by_text("Guru atau analis data?")).to_be_visible()
    assert_accessible(page)
    assert_fits(page)
    alumni.close()

    tasks.clock.fast_forward("00:31")  # the list polls every 30 s
    expect(tasks.locator("#tasks .task")).to_have_count(before + 1)
    task = tasks.locator(".task", has_text=f"Kasus #{case_id}")
    expect(task).to_contain_text("tenggat")
    assert tasks.evaluate("window.__same_page") is True  # refreshed in place, no reload

    task.get_by_role("link").click()
    assert_accessible(tasks)
    tasks.get_by_role("button", name="Selesaikan langkah").click()
    expect(tasks.get_by_text("selesai.", exact=False).first).to_be_visible()
    expect(tasks.locator(".step-done").first).to_contain_text("Sri Wahyuni")
    expect(tasks.get_by_text("Guru atau analis data?")).to_have_count(0)  # TU may not read the question
    assert_accessible(tasks)
    staff.close()

