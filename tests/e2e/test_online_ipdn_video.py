"""Journey: IPDN's online consultation for praja — after the intake (answered in the private
conversation) and the plan reported to the Kepala Unit, the counselor proposes the video
consultation on the booking page with its link and meeting code, in working hours only; the
praja accepts it; the appointment is in the counselor's subscribed calendar feed."""
from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import vobject
from playwright.sync_api import expect

from tests.e2e.conftest import assert_accessible, assert_fits, serve_demo, sign_in

WIB = ZoneInfo("Asia/Jakarta")


def _ready_for_video(app) -> int:
    """The demo IPDN case, its plan reported to the Kasubbag and the Kepala Unit."""
    from app.auth.models import find_user_by_email
    from app.extensions import db
    from app.sop.models import Case
    from app.sop.services import complete_step

    with app.app_context():
        case = db.session.scalar(db.select(Case).where(Case.code == "ipdn-konseling-online-praja"))
        complete_step(case, "rencana_kasubbag", find_user_by_email("counselor@demo.test"), {})
        complete_step(case, "rencana_kepala", find_user_by_email("head@demo.test"), {})
        db.session.commit()
        return case.id


def test_the_praja_video_consultation_reaches_the_counselors_feed(browser, tmp_path):
    with serve_demo(tmp_path / "ipdn.db") as (app, url, _mailbox):
        case_id = _ready_for_video(app)
        day = datetime.now(WIB).date() + timedelta(days=3)
        day += timedelta(days=(1 - day.weekday()) % 7)  # a Tuesday, in the counselor's week

        counselor = browser.new_context(bypass_csp=True, locale="id-ID").new_page()
        sign_in(counselor, url, "counselor")
        counselor.goto(f"{url}/cases/{case_id}/booking")
        counselor.get_by_label("Pilihan 1").fill(f"{day.isoformat()}T19:00")
        counselor.get_by_label("Tautan pertemuan (opsional)").fill("https://meet.google.com/ipd-nbkp-raj")
        counselor.get_by_label("Kode rapat / kata sandi (opsional)").fill("ipd-nbkp-raj, sandi 0417")
        counselor.get_by_role("button", name="Kirim usulan").click()
        expect(counselor.get_by_text("di luar jam kerja Anda")).to_be_visible()  # "pada jam kerja konselor"
        counselor.get_by_label("Pilihan 1").fill(f"{day.isoformat()}T10:15")
        counselor.get_by_role("button", name="Kirim usulan").click()
        expect(counselor.get_by_text("Usulan waktu dikirim ke pemohon.")).to_be_visible()
        assert_accessible(counselor)

        praja = browser.new_context(bypass_csp=True, locale="id-ID", viewport={"width": 360, "height": 740}).new_page()
        sign_in(praja, url, "student")
        praja.goto(f"{url}/cases/{case_id}/booking")
        praja.get_by_role("button", name="Terima waktu ini").click()
        expect(praja.get_by_text("Jadwal disepakati")).to_be_visible()
        expect(praja.get_by_role("link", name="https://meet.google.com/ipd-nbkp-raj")).to_be_visible()
        expect(praja.get_by_text("ipd-nbkp-raj, sandi 0417")).to_be_visible()
        assert_fits(praja, 360)

        counselor.get_by_role("navigation").get_by_role("link", name="Ketersediaan").click()
        feed = counselor.locator("#feed-https").input_value()
        text = counselor.request.get(url + "/calendar/" + feed.rsplit("/calendar/", 1)[1]).text()
        events = [e for e in vobject.readComponents(text).__next__().vevent_list
                  if e.summary.value.startswith("Konsultasi video konseling")]
        [event] = events
        assert event.url.value == "https://meet.google.com/ipd-nbkp-raj" and "sandi 0417" in event.description.value
        assert event.dtstart.value.astimezone(WIB).replace(tzinfo=None) == datetime.combine(day, datetime.min.time()) \
            + timedelta(hours=10, minutes=15)
        counselor.goto(f"{url}/cases/{case_id}")
        expect(counselor.get_by_text("Menerima laporan dan membuat janji").first).to_be_visible()
