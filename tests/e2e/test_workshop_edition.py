"""Journey (desktop): P2KLLK creates a workshop edition and its committee, proposes the surat
tugas; the rectorate returns it once, then approves (a numbered letter); the committee schedules
the coordination meeting, records speakers and the theme, and works through the checklist."""
from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.e2e.conftest import assert_accessible, sign_in


def _as(browser, live_server, role):
    page = browser.new_context(bypass_csp=True, locale="id-ID", timezone_id="Asia/Jakarta").new_page()
    sign_in(page, live_server, role)
    return page


def test_edition_from_committee_to_checklist(browser, live_server):
    staff = _as(browser, live_server, "staff")
    staff.get_by_role("navigation").get_by_role("link", name="Workshop").click()
    staff.get_by_role("link", name="Buat workshop baru").click()
    staff.get_by_label("Judul workshop").fill("Workshop Jalur Karier 2031")
    staff.get_by_label("Tanggal dan jam workshop").fill("2031-03-01T09:00")
    staff.get_by_label("Kapasitas (kursi)").fill("250")
    staff.get_by_role("button", name="Buat workshop").click()
    expect(staff.get_by_role("heading", name="Workshop Jalur Karier 2031")).to_be_visible()
    edition_url = staff.url
    staff.get_by_label("Anggota").select_option(label="Agus Prasetyo (Panitia)")
    staff.get_by_label("Peran dalam panitia").select_option("ketua")
    staff.get_by_label("Unsur").select_option("Koordinator alumni")
    staff.get_by_role("button", name="Tambah panitia").click()
    expect(staff.locator("#panitia").get_by_role("cell", name="Agus Prasetyo (Panitia)", exact=True)).to_be_visible()
    assert_accessible(staff)
    staff.get_by_role("button", name="Ajukan usulan surat tugas ke rektorat").click()
    expect(staff.get_by_text("Menunggu persetujuan rektorat.")).to_be_visible()

    rector = _as(browser, live_server, "rectorate")
    rector.goto(edition_url)
    rector.get_by_label("Keputusan").select_option("dikembalikan untuk perbaikan")
    rector.get_by_role("button", name="Simpan keputusan").click()
    expect(rector.get_by_text("Tuliskan apa yang perlu diperbaiki.", exact=True)).to_be_visible()  # by its field
    expect(rector.get_by_text("Belum tersimpan: Tuliskan apa yang perlu diperbaiki.")).to_be_visible()  # and on top
    rector.get_by_label("Keputusan").select_option("dikembalikan untuk perbaikan")
    rector.get_by_label("Catatan untuk P2KLLK").fill("Tambahkan unsur divisi tracer study.")
    rector.get_by_role("button", name="Simpan keputusan").click()
    expect(rector.get_by_role("button", name="Simpan keputusan")).to_have_count(0)

    staff.goto(edition_url)
    expect(staff.get_by_text("Tambahkan unsur divisi tracer study.")).to_be_visible()
    expect(staff.locator("#surat-tugas").get_by_role("link")).to_have_count(0)  # no letter for a return
    staff.get_by_role("button", name="Ajukan usulan surat tugas ke rektorat").click()

    rector.goto(edition_url)
    rector.get_by_label("Keputusan").select_option("disetujui")
    rector.get_by_role("button", name="Simpan keputusan").click()
    expect(rector.locator("#surat-tugas").get_by_role("link", name=re.compile(r"Surat Tugas \d{3}.ST."))).to_be_visible()

    committee = _as(browser, live_server, "committee")
    committee.goto(edition_url)
    committee.get_by_label("Waktu rapat").fill("2031-01-10T10:00")
    committee.get_by_label("Tempat atau tautan rapat").fill("Ruang Rapat P2KLLK")
    committee.get_by_role("button", name="Jadwalkan rapat (1 jam)").click()
    expect(committee.locator("#rapat").get_by_text("Ruang Rapat P2KLLK")).to_be_visible()
    committee.get_by_role("button", name="Catat hasil rapat").click()  # no theme yet
    expect(committee.get_by_text("Tema wajib diisi.", exact=True)).to_be_visible()
    committee.get_by_label("Nama narasumber").fill("Dra. Endang Lestari, M.Psi.")
    committee.get_by_label("Instansi").fill("Universitas PGRI Madiun")
    committee.get_by_label("Topik").fill("Mengenali diri")
    committee.get_by_label("Sudah terkonfirmasi").check()
    committee.get_by_role("button", name="Tambah narasumber").click()
    expect(committee.locator("#narasumber .task", has_text="Dra. Endang Lestari")).to_contain_text("· terkonfirmasi")
    committee.get_by_label("Tema yang disepakati").fill("Mengenal Diri, Merancang Karier")
    committee.get_by_role("button", name="Catat hasil rapat").click()
    expect(committee.get_by_text("Hasil rapat koordinasi dicatat.")).to_be_visible()

    committee.get_by_label("Butir persiapan").fill("Konsumsi peserta")
    committee.get_by_role("button", name="Tambah butir").click()
    item = committee.locator(".task", has_text="Konsumsi peserta")
    item.get_by_label(re.compile("Penanggung jawab")).select_option(label="Agus Prasetyo (Panitia)")
    item.get_by_role("button", name=re.compile("Tugaskan")).click()
    committee.get_by_label("Tempat pelaksanaan").fill("Aula Utama")
    committee.get_by_role("button", name="Persiapan selesai").click()  # items still open: refused
    expect(committee.get_by_text(re.compile("^Belum tersimpan: Persiapan belum selesai"))).to_be_visible()
    open_items = committee.get_by_role("button", name=re.compile("^Tandai selesai"))
    for left in range(open_items.count() - 1, -1, -1):  # one at a time: each tick's answer swaps the list
        open_items.first.click()
        expect(open_items).to_have_count(left)
    expect(committee.locator(".task", has_text="Konsumsi peserta").get_by_text(re.compile("selesai oleh Agus"))).to_be_visible()
    assert_accessible(committee)
    committee.get_by_label("Tempat pelaksanaan").fill("Aula Utama")
    committee.get_by_role("button", name="Persiapan selesai").click()
    expect(committee.get_by_text("Persiapan selesai.")).to_be_visible()
