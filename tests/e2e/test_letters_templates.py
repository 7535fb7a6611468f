"""Journey: the admin rewrites the lembar disposisi in the simple editor (placeholders from a
list, the number from parts) and watches the preview follow; the head issues that letter on a
therapy case after a confirmation, a second tab's issue is refused with the reason, and a new
version with a reason supersedes the first, which the public verify page then says."""
from __future__ import annotations

import io
import re

from playwright.sync_api import expect
from pypdf import PdfReader

from tests.e2e.conftest import assert_accessible, assert_fits, sign_in


def test_admin_writes_a_letter_and_the_head_issues_it_once(browser, live_server):
    admin = browser.new_context(bypass_csp=True, locale="id-ID")
    page = admin.new_page()
    sign_in(page, live_server, "admin")
    page.get_by_role("navigation").get_by_text("Kelola", exact=True).click()  # the admin pages' menu
    page.get_by_role("navigation").get_by_role("link", name="Templat surat").click()
    page.get_by_role("link", name="Lembar Disposisi", exact=True).click()
    expect(page.get_by_role("heading", name="Lembar Disposisi")).to_be_visible()
    assert_accessible(page)
    body = page.get_by_label("Isi surat")
    body.fill("Mohon ditindaklanjuti: ")
    page.get_by_role("button", name="Isi disposisi").click()  # inserted at the cursor
    body.press("End")
    body.type(" <b>segera</b> {{ config.SECRET_KEY }}")
    expect(body).to_have_value("Mohon ditindaklanjuti: {{isi_disposisi}} <b>segera</b> {{ config.SECRET_KEY }}")
    preview = page.locator("#preview")
    expect(preview).to_contain_text("Mohon ditindaklanjuti: Tindak lanjuti sesuai prosedur. <b>segera</b> {{ config.SECRET_KEY }}")
    page.get_by_label("Jumlah digit nomor urut").select_option("4")
    expect(preview.locator(".next-number")).to_have_text(re.compile(r"^DISP-\d{4}/P2KLLK/\d{4}$"))
    page.get_by_label("Kode bagian 1").fill("DSP")
    expect(preview.locator(".next-number")).to_have_text(re.compile(r"^DSP-\d{4}/P2KLLK/\d{4}$"))
    assert_accessible(page)
    assert_fits(page)
    page.get_by_role("button", name="Simpan").click()
    expect(page.get_by_text("Templat Lembar Disposisi tersimpan.")).to_be_visible()
    admin.close()

    head = browser.new_context(bypass_csp=True, locale="id-ID")
    page = head.new_page()
    sign_in(page, live_server, "head")
    page.get_by_role("navigation").get_by_role("link", name="Kasus").click()
    page.locator("#case-results").get_by_role("link", name="Administrasi Pelaksanaan Terapi").first.click()
    case_url = page.url
    page.get_by_role("link", name="Terbitkan Lembar Disposisi…").click()
    expect(page.get_by_text("Terbitkan surat bernomor? Nomor tidak dapat dibatalkan.")).to_be_visible()
    assert_accessible(page)
    confirm_url = page.url
    second_tab = head.new_page()  # the same confirmation, opened twice
    second_tab.goto(confirm_url)

    page.get_by_label("Kepada (bila perlu)").fill("Kepala Biro")
    page.get_by_role("button", name="Ya, terbitkan nomor").click()
    expect(page).to_have_url(case_url)
    letter_link = page.get_by_role("link", name=re.compile(r"^Lembar Disposisi DSP-\d{4}.[A-Z0-9-]+.\d{4}$"))
    expect(letter_link).to_be_visible()
    number = re.search(r"DSP-\d{4}/[A-Z0-9-]+/\d{4}", letter_link.inner_text()).group(0)
    expect(page.get_by_role("link", name="Terbitkan Lembar Disposisi…")).to_have_count(0)
    pdf = page.request.get(live_server + letter_link.get_attribute("href")).body()
    text = " ".join("\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages).split())
    assert "Mohon ditindaklanjuti:" in text and "<b>segera</b> {{ config.SECRET_KEY }}" in text
    verify_url = re.search(r"(http\S+/verify/\S+)", text).group(1)

    second_tab.get_by_label("Kepada (bila perlu)").fill("Rektor")
    second_tab.get_by_role("button", name="Ya, terbitkan nomor").click()
    expect(second_tab.get_by_text("Surat belum diterbitkan.")).to_be_visible()
    expect(second_tab.get_by_text(f"sudah diterbitkan dengan nomor {number}")).to_be_visible()
    expect(second_tab.get_by_label("Kepada (bila perlu)")).to_have_value("Rektor")
    assert_accessible(second_tab)
    second_tab.get_by_role("link", name="Buat versi baru").click()
    expect(second_tab.get_by_text("Buat versi 2 dengan nomor yang sama?")).to_be_visible()
    second_tab.get_by_role("button", name="Buat versi baru").click()
    expect(second_tab.get_by_text("Tuliskan alasan versi baru.")).to_be_visible()
    second_tab.get_by_label("Alasan versi baru").fill("Penerima diganti")
    second_tab.get_by_role("button", name="Buat versi baru").click()
    expect(second_tab).to_have_url(case_url)
    expect(second_tab.get_by_text(f"Versi 2 surat {number} diterbitkan.")).to_be_visible()
    expect(second_tab.get_by_text("alasan: Penerima diganti")).to_be_visible()
    assert_accessible(second_tab)
    head.close()

    public = browser.new_context(bypass_csp=True).new_page()
    public.goto(re.sub(r"^https?://[^/]+", live_server, verify_url))
    expect(public.get_by_text(number)).to_be_visible()
    expect(public.get_by_text("digantikan oleh versi 2")).to_be_visible()
