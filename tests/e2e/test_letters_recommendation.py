"""Journey: the head assigns a counselor on a demo request; the surat rekomendasi comes out
numbered with the letterhead; anyone can verify it; the quality office reads compliance."""
from __future__ import annotations

import io
import re

from playwright.sync_api import expect
from pypdf import PdfReader

from tests.e2e.conftest import assert_accessible, assert_fits, sign_in


def test_head_issues_recommendation_and_public_verifies(browser, live_server):
    context = browser.new_context(bypass_csp=True, locale="id-ID")
    page = context.new_page()
    sign_in(page, live_server, "head")
    page.get_by_role("navigation").get_by_role("link", name="Tugas saya").click()
    page.locator(".task", has_text="surat rekomendasi konseling").first.get_by_role("link").click()
    assert_accessible(page)
    page.get_by_label("Konselor yang ditugaskan").select_option(label="Dra. Endang Lestari, M.Psi.")
    page.get_by_role("button", name="Selesaikan langkah").click()
    letter_link = page.get_by_role("link", name=re.compile(r"Surat Rekomendasi Konseling \d{3}.P2KLLK.REK"))
    expect(letter_link).to_be_visible()
    assert_accessible(page)
    number = re.search(r"\d{3}/P2KLLK/REK/[IVX]+/\d{4}", letter_link.inner_text()).group(0)
    response = page.request.get(live_server + letter_link.get_attribute("href"))
    assert response.headers["content-type"] == "application/pdf"
    text = "\n".join(sheet.extract_text() for sheet in PdfReader(io.BytesIO(response.body())).pages)
    assert "UNIVERSITAS PGRI MADIUN" in text and number in text
    verify_url = re.search(r"(http\S+/verify/\S+)", text).group(1)
    context.close()

    public = browser.new_context(bypass_csp=True).new_page()
    public.goto(verify_url.replace("http://127.0.0.1:5000", live_server).replace("http://localhost", live_server))
    expect(public.get_by_role("heading", name="Surat terdaftar")).to_be_visible()
    expect(public.get_by_text(number)).to_be_visible()
    assert_accessible(public)
    assert_fits(public)

    quality = browser.new_context(bypass_csp=True, locale="id-ID").new_page()
    sign_in(quality, live_server, "admin")
    quality.get_by_role("navigation").get_by_text("Kelola", exact=True).click()
    quality.get_by_role("navigation").get_by_role("link", name="Kepatuhan SOP").click()
    expect(quality.get_by_role("heading", name="Layanan Konseling Karier")).to_be_visible()
    assert_accessible(quality)
    quality.get_by_label("Layanan").select_option(label="Layanan Konseling PUSPAGA")
    expect(quality.get_by_role("heading", name="Layanan Konseling Karier")).to_have_count(0)
    expect(quality.get_by_role("heading", name="Layanan Konseling PUSPAGA")).to_be_visible()

