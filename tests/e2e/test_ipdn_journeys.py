"""Journeys at IPDN, as the people of the Unit BK and its leaders would take them in a browser:
the counselor reports a praja who has no account yet (registered with name and NPP on the
request form), the kasubbag, the kepala unit (its nota dinas assigns the staff who accompanies
the praja), that staff member and the psychiatrist (who joins the team) each act from "Tugas saya";
then the case goes through the whole disposisi chain — the kepala unit, the Kepala Biro III and the
rector each open the disposition waiting for them from "Tugas saya", read the report and pass it
on; the kepala unit reports it carried out, the kasubbag archives — and a BK praja case through
the three days of supervision, the related unit reporting each day from "Tugas saya"."""
from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
from playwright.sync_api import expect

from app.extensions import db
from tests.e2e.conftest import assert_accessible, assert_fits, serve_demo, sign_in

PHONE = {"width": 360, "height": 740}


@pytest.fixture
def served(tmp_path):
    with serve_demo(tmp_path / "e2e.db") as served_app:
        yield served_app


def _users(*roles):
    from app.auth.models import find_user_by_email

    return {role: find_user_by_email(f"{role}@demo.test") for role in roles}


def _page(browser, live, role, phone=False):
    context = browser.new_context(bypass_csp=True, locale="id-ID", timezone_id="Asia/Jakarta",
                                  **({"viewport": PHONE} if phone else {}))
    page = context.new_page()
    sign_in(page, live, role)
    return page


def _from_tasks(page, live, href_part: str):
    page.goto(f"{live}/tasks")
    link = page.locator(f"a[href$='{href_part}']")
    expect(link).to_have_count(1)
    link.click()


def _step(page, live, case_id: int, key: str):
    """Open the step waiting for this person from "Tugas saya"."""
    _from_tasks(page, live, f"/cases/{case_id}/steps/{key}")


def _finish(page):
    page.get_by_role("button", name="Selesaikan langkah").click()
    expect(page.get_by_text("selesai.")).to_be_visible()


def test_a_therapy_case_through_the_whole_disposisi_chain(browser, served):
    app, live, _mailbox = served

    # 0. The counselor reports a praja who is not registered yet: registered on the request form
    counselor = _page(browser, live, "counselor")
    counselor.goto(f"{live}/cases/new/ipdn-terapi")
    counselor.get_by_label("Nama").fill("Yoga Pratama")
    counselor.get_by_label("NPP").fill("32.1045")
    counselor.get_by_role("button", name="Kirim permohonan").click()
    counselor.wait_for_url(re.compile(r".*/cases/\d+$"))
    case_id = int(counselor.url.rsplit("/", 1)[1])
    expect(counselor.get_by_text("Yoga Pratama").first).to_be_visible()
    _step(counselor, live, case_id, "lapor_kasus")
    counselor.get_by_label("Ringkasan kasus").fill("Praja menarik diri dari kegiatan asrama sejak sebulan.")
    _finish(counselor)

    kasubbag = _page(browser, live, "kasubbag")
    _step(kasubbag, live, case_id, "terima_laporan")
    _finish(kasubbag)

    # The kepala unit's nota dinas assigns the staff member who accompanies the praja
    head = _page(browser, live, "head")
    _step(head, live, case_id, "nota_dinas")
    head.get_by_label("Staf yang ditugaskan mendampingi").select_option(index=1)
    head.get_by_label("Psikolog / psikiater yang dituju").fill("dr. Arif Wibowo, Sp.KJ")
    appointment = (datetime.now() + timedelta(days=2)).replace(hour=9, minute=0)
    head.get_by_label("Jadwal pemeriksaan").fill(appointment.strftime("%Y-%m-%dT%H:%M"))
    head.get_by_label("Tempat pemeriksaan").fill("Klinik Psikiatri RS Universitas")
    _finish(head)

    staff = _page(browser, live, "staff")
    _step(staff, live, case_id, "pendampingan")
    staff.get_by_label("Pendampingan dilaksanakan sesuai jadwal").check()
    _finish(staff)

    psychiatrist = _page(browser, live, "psychiatrist")
    _step(psychiatrist, live, case_id, "terapi")
    psychiatrist.get_by_label("Hasil pemeriksaan dan laporan terapi").fill("LAPORAN-TERAPI-E2E: kecemasan, lima sesi.")
    _finish(psychiatrist)

    _step(kasubbag, live, case_id, "laporan_hasil")
    kasubbag.get_by_label("Laporan tertulis hasil terapi").fill("Hasil terapi baik; disarankan pemantauan.")
    _finish(kasubbag)
    with app.app_context():
        from app.sop.models import Case

        case = db.session.get(Case, case_id)
        assert case.subject.employee_number == "32.1045" and case.assignee.email == "staff@demo.test"
        assert {m.user.email for m in case.team()} >= {"counselor@demo.test", "staff@demo.test",
                                                        "psychiatrist@demo.test"}

    # 1. The kepala unit: the report, then the disposition to the Kepala Biro III
    head = _page(browser, live, "head")
    _from_tasks(head, live, f"/cases/{case_id}/disposisi")
    expect(head.get_by_role("heading", name="Lembar disposisi")).to_be_visible()
    expect(head.get_by_text("Hasil terapi baik; disarankan pemantauan.")).to_be_visible()
    head.get_by_label("Diteruskan kepada").select_option(label="Kepala Biro III")
    head.get_by_label("Untuk diketahui").check()
    head.get_by_label("Untuk dipertimbangkan").check()
    head.get_by_label("Catatan disposisi").fill("Mohon arahan atas hasil pemeriksaan psikiater.")
    head.get_by_role("button", name="Berikan disposisi").click()
    expect(head.get_by_text("Disposisi diberikan dan diteruskan.")).to_be_visible()

    # 2. The Kepala Biro III, on a phone: from "Tugas saya", with its deadline, to the rector
    bureau = _page(browser, live, "bureau_head", phone=True)
    bureau.goto(f"{live}/tasks")
    task = bureau.locator("li.task", has=bureau.locator(f"a[href$='/cases/{case_id}/disposisi']"))
    expect(task).to_contain_text("Disposisi dari Dr. Ratih Christiana")
    expect(task).to_contain_text("tenggat")
    task.locator("a").click()
    expect(bureau.get_by_text("LAPORAN-TERAPI-E2E")).to_be_visible()  # the report the procedure grants
    expect(bureau.get_by_text("Mohon arahan atas hasil pemeriksaan psikiater.")).to_be_visible()
    assert_fits(bureau)
    assert_accessible(bureau)
    bureau.get_by_label("Diteruskan kepada").select_option(index=1)
    bureau.get_by_label("Mohon petunjuk").check()
    bureau.get_by_role("button", name="Berikan disposisi").click()
    expect(bureau.get_by_text("Disposisi diberikan dan diteruskan.")).to_be_visible()

    # 3. The rector: back to the kepala unit, to be carried out
    rector = _page(browser, live, "rectorate")
    _from_tasks(rector, live, f"/cases/{case_id}/disposisi")
    rector.get_by_label("Diteruskan kepada").select_option(index=1)
    rector.get_by_label("Untuk ditindaklanjuti").check()
    rector.get_by_label("Catatan disposisi").fill("Lanjutkan pendampingan dan laporkan bulan depan.")
    rector.get_by_role("button", name="Berikan disposisi").click()
    expect(rector.get_by_text("Disposisi diberikan dan diteruskan.")).to_be_visible()

    # 4. The kepala unit carries it out; the kasubbag archives
    _from_tasks(head, live, f"/cases/{case_id}/disposisi/laksana")
    expect(head.get_by_text("Lanjutkan pendampingan dan laporkan bulan depan.")).to_be_visible()
    head.get_by_label("Yang telah dilaksanakan").fill("Pendampingan dilanjutkan oleh pengasuh; jadwal kontrol dibuat.")
    head.get_by_role("button", name="Catat pelaksanaan").click()
    expect(head.get_by_text("Pelaksanaan disposisi dicatat.")).to_be_visible()
    panel = head.locator("#case-dispositions")
    expect(panel.locator("li")).to_have_count(3)
    expect(panel).not_to_contain_text("belum ditindaklanjuti")
    expect(head.locator("#case-letters")).to_contain_text("Lembar Disposisi")

    kasubbag = _page(browser, live, "kasubbag")
    _from_tasks(kasubbag, live, f"/cases/{case_id}/steps/arsip")
    kasubbag.get_by_role("button", name="Selesaikan langkah").click()
    expect(kasubbag.get_by_text("selesai.")).to_be_visible()
    with app.app_context():
        from app.sop.models import Case

        assert db.session.get(Case, case_id).state == "closed"


def _bk_case(app) -> int:
    from app.sop.registry import get_procedure
    from app.sop.services import complete_step, open_case

    with app.app_context():
        u = _users("staff", "counselor", "kasubbag", "head", "student")
        case = open_case(get_procedure("ipdn-bk-praja"), u["staff"], {
            "source": "laporan bagian/unit", "reporting_unit": "Bagian Pengasuhan", "level": "Madya Praja",
            "reason": "Sering tidak mengikuti apel pagi."}, subject=u["student"])
        for key, who, values in [
                ("pendataan", "staff", {"registration": "Formulir lengkap."}),
                ("kedatangan", "staff", {"arrived_at": datetime.now().replace(second=0, microsecond=0)}),
                ("intake", "counselor", {"biodata": "Praja tingkat II.", "prognosis": "Baik."}),
                ("rencana_kasubbag", "counselor", {"plan": "Konseling mingguan."}),
                ("rencana_kepala", "kasubbag", {}),
                ("rencana_pengawasan", "head", {"related_unit_name": "Bagian Pengasuhan",
                                                "supervision_plan": "Amati kehadiran apel dan kelas."})]:
            complete_step(case, key, u[who], values)
        db.session.commit()
        return case.id


def test_a_bk_praja_case_through_three_days_of_supervision(browser, served):
    app, live, _mailbox = served
    case_id = _bk_case(app)
    unit = _page(browser, live, "related_unit", phone=True)
    for day in (1, 2, 3):
        unit.goto(f"{live}/tasks")
        link = unit.locator(f"a[href$='/cases/{case_id}/steps/pengawasan']")
        expect(link).to_contain_text(f"hari ke-{day} dari 3")
        link.click()
        expect(unit.get_by_text("Amati kehadiran apel dan kelas.")).to_be_visible()  # the guideline
        unit.get_by_label("Laporan perkembangan hari ini").fill(f"Hari {day}: hadir apel dan kelas.")
        if day == 1:
            assert_fits(unit)
            assert_accessible(unit)
        unit.get_by_role("button", name="Selesaikan langkah").click()
        expect(unit.get_by_text("selesai.")).to_be_visible()
    unit.goto(f"{live}/tasks")
    expect(unit.locator(f"a[href$='/cases/{case_id}/steps/pengawasan']")).to_have_count(0)

    head = _page(browser, live, "head")
    head.goto(f"{live}/cases/{case_id}")
    for day in (1, 2, 3):
        expect(head.get_by_text(f"Hari {day}: hadir apel dan kelas.")).to_be_visible()  # granted to the head
    kasubbag = _page(browser, live, "kasubbag")
    _from_tasks(kasubbag, live, f"/cases/{case_id}/steps/teruskan_hasil")
    expect(kasubbag.get_by_text("Hari 1: hadir apel dan kelas.")).to_have_count(0)  # not granted to the kasubbag
