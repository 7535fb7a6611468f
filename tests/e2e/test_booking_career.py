"""Journey (phone-sized): an alumnus books one of the counselor's free slots week by week (the
slot confirmed in the page first), downloads the invite, reschedules and cancels; the counselor's
subscribed feed follows; the cancelled agreement is a task again and the alumnus books anew."""
from __future__ import annotations

import vobject
from playwright.sync_api import expect

from tests.e2e.conftest import assert_accessible, assert_fits, sign_in


def test_alumnus_books_reschedules_and_cancels(browser, live_server):
    counselor = browser.new_context(bypass_csp=True, locale="id-ID").new_page()
    sign_in(counselor, live_server, "counselor")
    counselor.get_by_role("navigation").get_by_role("link", name="Ketersediaan").click()
    feed = counselor.locator("#feed-https").input_value()
    feed_path = "/calendar/" + feed.rsplit("/calendar/", 1)[1]
    assert_accessible(counselor)

    context = browser.new_context(bypass_csp=True, locale="id-ID", viewport={"width": 360, "height": 740})
    page = context.new_page()
    sign_in(page, live_server, "alumni")
    page.get_by_text("Menu", exact=True).click()  # a phone's header keeps the links under its menu
    page.get_by_role("navigation").get_by_role("link", name="Kasus").click()
    page.locator("#case-results").get_by_role("link", name="#2", exact=True).click()  # the demo case with a counselor
    page.get_by_role("link", name="Jadwal konseling").click()
    assert_accessible(page)
    assert_fits(page, 360)
    page.evaluate("window.__same_page = true")
    heading = page.locator("#slots-title").inner_text()
    page.get_by_role("link", name="Minggu depan →").click()
    expect(page.locator("#slots-title")).not_to_have_text(heading)
    assert page.evaluate("window.__same_page") is True and "week=" in page.url
    def confirmed() -> int:
        return page.request.get(live_server + feed_path).text().count("STATUS:CONFIRMED")

    before = confirmed()
    page.locator("a.slot").first.click()
    expect(page.get_by_role("heading", name="Pesan jadwal ini?")).to_be_visible()
    assert page.evaluate("window.__same_page") is True  # htmx showed the confirmation in place
    assert confirmed() == before  # nothing booked yet
    assert_accessible(page)
    page.get_by_role("button", name="Ya, pesan jadwal ini").click()
    expect(page.get_by_text("Jadwal disepakati")).to_be_visible()
    expect(page.get_by_text("WIB").first).to_be_visible()
    assert_accessible(page)
    assert_fits(page, 360)
    when = page.locator(".pairs dd").first.inner_text()

    ics = page.request.get(live_server + page.get_by_role("link", name="Unduh berkas kalender (.ics)").get_attribute("href"))
    event = vobject.readOne(ics.text()).vevent
    assert event.summary.value.startswith("Konseling karier") and int(event.sequence.value) == 0
    uid = event.uid.value
    assert "calendar.google.com" in page.get_by_role("link", name="Tambah ke Google Calendar").get_attribute("href")

    feed_text = page.request.get(live_server + feed_path).text()
    assert uid in feed_text and "STATUS:CONFIRMED" in feed_text

    page.get_by_text("Pindahkan jadwal…").click()  # closed until asked for: no move by a stray tap
    page.get_by_label("Slot baru").select_option(index=1)  # the first slot: none is chosen at first
    page.get_by_label("Alasan (wajib)", exact=True).fill("Bentrok dengan ujian")
    page.get_by_role("button", name="Pindahkan").click()
    expect(page.get_by_text("Jadwal dipindahkan")).to_be_visible()
    assert page.locator(".pairs dd").first.inner_text() != when
    moved = vobject.readOne(page.request.get(live_server + feed_path).text())
    same = [e for e in moved.vevent_list if e.uid.value == uid]
    assert len(same) == 1 and int(same[0].sequence.value) == 1

    page.get_by_text("Batalkan jadwal…").click()  # the confirmation opens first
    page.get_by_label("Alasan pembatalan").fill("Sudah mendapat pekerjaan")
    page.get_by_role("button", name="Ya, batalkan jadwal").click()
    expect(page.get_by_text("Jadwal dibatalkan")).to_be_visible()
    expect(page.get_by_role("link", name="Pilih jadwal baru")).to_be_visible()
    cancelled = [e for e in vobject.readOne(page.request.get(live_server + feed_path).text()).vevent_list
                 if e.uid.value == uid]
    assert cancelled[0].status.value == "CANCELLED" and int(cancelled[0].sequence.value) == 2
    expect(page.locator(".badge").first).to_have_text("dibatalkan")

    # The agreement is open again: a task leading to the booking page, where a new time is booked.
    page.get_by_text("Menu", exact=True).click()  # a phone: the header's menu
    page.get_by_role("navigation").get_by_role("link", name="Tugas saya").click()
    page.locator("#tasks a[href$=\"/cases/2/booking\"]").click()  # the agreement step of case #2
    expect(page.get_by_text("Jadwal sebelumnya dibatalkan atau tidak terlaksana")).to_be_visible()
    expect(page.get_by_text("Sudah mendapat pekerjaan")).to_be_visible()
    page.locator("a.slot").first.click()
    page.get_by_role("button", name="Ya, pesan jadwal ini").click()
    expect(page.get_by_text("Jadwal disepakati")).to_be_visible()
    assert confirmed() == before + 1
    context.close()

