"""Journey: after the session's start the counselor records on the appointment that it took place
(the case goes on to its report) or that the alumnus did not come (the case goes back to agreeing a
time: the counselor proposes one, the alumnus accepts it from their task)."""
from __future__ import annotations

import re
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from app.extensions import db
from tests.e2e.conftest import assert_accessible, serve_demo, sign_in

WIB = ZoneInfo("Asia/Jakarta")


def _past_session(counselor, alumnus, staff, head, taken: set) -> int:
    """A career case whose session (a recent working day, room prepared) has begun; its appointment id."""
    from app.booking.services import book, free_slots
    from app.sop.registry import get_procedure
    from app.sop.services import complete_step, open_case

    today = datetime.now(WIB).date()
    for back in range(1, 20):
        day = today - timedelta(days=back)
        then = datetime.combine(day - timedelta(days=3), time(8), WIB)
        slots = [s for s in free_slots(counselor, day, 1, now=then) if s.start not in taken]
        if slots:
            break
    taken.add(slots[0].start)
    case = open_case(get_procedure("pgri-konseling-karier"), alumnus, {
        "nim": "1901", "prodi": "PMat", "phone": "0812", "question": "Karier", "mode": slots[0].mode.value}, now=then)
    complete_step(case, "izin_tu", staff, {}, now=then)
    complete_step(case, "form_permohonan", staff, {"complete": "lengkap"}, now=then)
    complete_step(case, "rekomendasi", head, {"counselor": str(counselor.id)}, now=then)
    appointment = book(case, alumnus, slots[0].start, now=then)
    complete_step(case, "fasilitas", staff, {"room_ready": True}, now=then)
    return appointment.id, case.id


@pytest.fixture(scope="module")
def sessions(tmp_path_factory):
    """The app with demo data and two career sessions that have begun, served on 127.0.0.1."""
    from app.auth.services import find_user_by_email

    with serve_demo(tmp_path_factory.mktemp("e2e-rebook") / "e2e.db") as (app, live, _mailbox):
        with app.app_context():
            people = [find_user_by_email(f"{r}@demo.test") for r in ("counselor", "alumni", "staff", "head")]
            taken: set = set()
            held, missed = _past_session(*people, taken), _past_session(*people, taken)
            db.session.commit()
        yield live, held, missed


def test_counselor_records_the_session_or_a_no_show_and_the_alumnus_rebooks(browser, sessions):
    live_server, (held, held_case), (missed, missed_case) = sessions
    counselor = browser.new_context(bypass_csp=True, locale="id-ID", timezone_id="Asia/Jakarta").new_page()
    sign_in(counselor, live_server, "counselor")

    counselor.goto(f"{live_server}/appointments/{held}")
    expect(counselor.locator(".badge").first).to_have_text("disepakati")
    assert_accessible(counselor)
    counselor.get_by_role("button", name="Sesi terlaksana").click()
    expect(counselor.get_by_text("Sesi tercatat terlaksana")).to_be_visible()
    assert counselor.url.endswith(f"/cases/{held_case}")
    expect(counselor.locator(".step-active")).to_contain_text("laporan dari konselor")

    counselor.goto(f"{live_server}/appointments/{missed}")
    counselor.get_by_text("Konseli tidak hadir…").click()
    counselor.get_by_label("Tawarkan waktu baru").check()
    counselor.get_by_role("button", name="Catat: konseli tidak hadir").click()
    expect(counselor.get_by_text("Ketidakhadiran dicatat")).to_be_visible()
    assert counselor.url.endswith(f"/cases/{missed_case}/booking")
    expect(counselor.get_by_text("tidak hadir").first).to_be_visible()
    offer = (datetime.now(WIB) + timedelta(days=8)).replace(hour=13, minute=0)
    counselor.get_by_label("Pilihan 1").fill(offer.strftime("%Y-%m-%dT%H:%M"))
    counselor.get_by_role("button", name="Kirim usulan").click()
    expect(counselor.get_by_text("Usulan waktu dikirim")).to_be_visible()

    alumnus = browser.new_context(bypass_csp=True, locale="id-ID", timezone_id="Asia/Jakarta").new_page()
    sign_in(alumnus, live_server, "alumni")
    alumnus.get_by_role("navigation").get_by_role("link", name="Tugas saya").click()
    alumnus.locator(f'#tasks a[href$="/cases/{missed_case}/booking"]').click()
    expect(alumnus.get_by_role("heading", name="Usulan waktu dari konselor")).to_be_visible()
    alumnus.get_by_role("button", name="Terima waktu ini").click()
    expect(alumnus.get_by_text("Jadwal disepakati")).to_be_visible()
    expect(alumnus.get_by_text(re.compile(r"13\.00–\d\d\.\d\d WIB"))).to_be_visible()
