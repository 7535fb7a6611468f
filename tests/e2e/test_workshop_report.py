"""Journey: after the workshop an attendee answers the evaluation on a phone and downloads the
numbered certificate; the committee sees the report's figures and submits it; the head turns
the follow-up list into career-counseling requests, which appear among the cases."""
from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect

from app.extensions import db
from tests.e2e.conftest import assert_accessible, assert_fits, serve_demo, sign_in

PHONE = {"width": 360, "height": 740}


@pytest.fixture(scope="module")
def edition_server(tmp_path_factory):
    """The demo app with an edition that took place: two attendees from two prodi, one on the
    waiting list; the demo committee member sits on its committee."""
    from app.auth.models import find_user_by_email
    from app.database import utcnow
    from app.workshops.models import CommitteeMember, CommitteeRole
    from tests.test_workshop_report import make_workshop, program, register

    with serve_demo(tmp_path_factory.mktemp("e2e-report") / "e2e.db") as (app, live, _mailbox):
        with app.app_context():
            head = find_user_by_email("head@demo.test")
            workshop, _head = make_workshop(None, head=head, title="Workshop Minat Bakat Uji")
            workshop.starts_at = utcnow() - timedelta(days=1)
            db.session.add(CommitteeMember(workshop_id=workshop.id,
                                           user_id=find_user_by_email("committee@demo.test").id,
                                           role=CommitteeRole.SECRETARY))
            pmat = program("UJI-PMAT", "Pendidikan Matematika Uji")
            pbi = program("UJI-PBI", "Pendidikan B. Inggris Uji")
            ayu = register(workshop, "UJI2301", pmat, 3, attended=True, name="Ayu Wulandari",
                           email="ayu.uji@kampus.test")
            register(workshop, "UJI2101", pbi, 5, attended=True, name="Bima Saputra")
            register(workshop, "UJI2102", pbi, 5, status="waiting")
            db.session.commit()
            ids = {"workshop": workshop.id, "ticket": ayu.ticket}
        yield live, ids


def test_evaluation_certificate_report_and_follow_up(browser, edition_server):
    base, ids = edition_server
    context = browser.new_context(bypass_csp=True, locale="id-ID", timezone_id="Asia/Jakarta", viewport=PHONE,
                                  accept_downloads=True)
    phone = context.new_page()
    phone.goto(f"{base}/workshops/evaluate/{ids['ticket']}")
    expect(phone.get_by_role("heading", name="Evaluasi workshop")).to_be_visible()
    assert_fits(phone, 360)
    assert_accessible(phone)
    for question, rating in (("Materi", "5"), ("Narasumber", "4"), ("Penyelenggaraan", "5")):
        phone.locator("fieldset", has=phone.get_by_text(question, exact=True)).get_by_label(rating, exact=True).check()
    phone.get_by_label("Minat dan bakat yang ingin Anda kembangkan").fill("Desain grafis")
    phone.get_by_label("Saya ingin konseling karier").check()
    phone.get_by_role("button", name="Kirim evaluasi").click()
    expect(phone.get_by_text("evaluasi Anda tersimpan")).to_be_visible()
    with phone.expect_download() as download:
        phone.get_by_role("link", name="Unduh sertifikat (PDF)").click()
    pdf = Path(download.value.path()).read_bytes()
    assert pdf.startswith(b"%PDF") and download.value.suggested_filename.startswith("sertifikat-")
    assert_fits(phone, 360)
    context.close()

    committee = browser.new_context(bypass_csp=True, locale="id-ID", timezone_id="Asia/Jakarta").new_page()
    sign_in(committee, base, "committee")
    committee.goto(f"{base}/workshops/{ids['workshop']}/report")
    totals = committee.locator("#totals")
    expect(totals.locator('[data-figure="confirmed"]')).to_have_text("2")
    expect(totals.locator('[data-figure="waiting"]')).to_have_text("1")
    expect(totals.locator('[data-figure="attended"]')).to_have_text("2")
    expect(totals.locator('[data-figure="evaluated"]')).to_have_text("1")
    expect(committee.locator('[data-average="materi"]')).to_have_text("5")
    expect(committee.locator("#non-responders")).to_contain_text("Bima Saputra")
    assert committee.locator("ul.chart").count() >= 3  # the charts, bars drawn to scale
    assert_accessible(committee)
    committee.get_by_role("button", name="Ajukan laporan (PDF)").click()
    expect(committee.get_by_text("Laporan diajukan dengan nomor")).to_be_visible()
    # the committee does not create the follow-up requests: P2KLLK does
    expect(committee.get_by_role("button", name="Buat 1 permohonan konseling karier")).to_have_count(0)

    head = browser.new_context(bypass_csp=True, locale="id-ID", timezone_id="Asia/Jakarta").new_page()
    sign_in(head, base, "head")
    head.goto(f"{base}/workshops/{ids['workshop']}/report")
    head.get_by_role("button", name="Buat 1 permohonan konseling karier").click()
    expect(head.get_by_text("1 permohonan konseling karier dibuat; 1 mahasiswa diundang")).to_be_visible()
    head.locator("#follow-up").get_by_role("link").first.click()
    expect(head.get_by_role("heading", level=1)).to_contain_text("Layanan Konseling Karier")
    expect(head.get_by_text("Penerima layanan: Ayu Wulandari")).to_be_visible()
    staff = browser.new_context(bypass_csp=True, locale="id-ID", timezone_id="Asia/Jakarta").new_page()
    sign_in(staff, base, "staff")  # TU P2KLLK takes the request's first step
    staff.goto(f"{base}/tasks")
    case_id = head.url.rstrip("/").rsplit("/", 1)[1]
    expect(staff.locator(f'a[href="/cases/{case_id}/steps/izin_tu"]')).to_be_visible()
