"""On a phone-sized screen (360x740): a student registers without an account and sees the ticket;
at the door staff check the ticket in by typing its code, and a second scan says "sudah hadir"."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest

from app.extensions import db
from tests.e2e.conftest import DEMO_PASSWORD, assert_accessible, assert_fits, serve_demo

PHONE = {"width": 360, "height": 740}


@pytest.fixture(scope="module")
def door_server(tmp_path_factory):
    """The app with demo data and a workshop edition open for registration."""
    from app.auth.models import find_user_by_email
    from app.sop.registry import get_procedure
    from app.sop.services import open_case
    from app.workshops.models import RosterStudent, StudyProgram, Workshop

    with serve_demo(tmp_path_factory.mktemp("e2e-door") / "door.db") as (app, live, _mailbox):
        with app.app_context():
            pmat = StudyProgram(code="PMAT-E2E", name="Pendidikan Matematika E2E")
            ti = StudyProgram(code="TI-E2E", name="Teknik Informatika E2E")
            db.session.add_all([pmat, ti])
            db.session.flush()
            db.session.add(RosterStudent(nim="23019001", name="Sari Wulandari", program_id=ti.id, semester=5,
                                         email="sari@kampus.test"))  # the demo has a roster: it decides
            case = open_case(get_procedure("pgri-minat-bakat"), find_user_by_email("head@demo.test"),
                             {"panitia_ditetapkan": "2030-12-01T09:00", "committee": "Panitia"})
            workshop = Workshop(case=case, title="Workshop Minat Bakat E2E", capacity=100, venue="Aula",
                                registration_open=True, starts_at=datetime.now(timezone.utc) + timedelta(days=10))
            db.session.add(workshop)
            db.session.commit()
            workshop_id = workshop.id
        yield live, workshop_id


def test_register_on_a_phone_see_the_ticket_and_check_in_twice(page, door_server):
    base, workshop_id = door_server
    page.set_viewport_size(PHONE)
    page.goto(f"{base}/workshops/{workshop_id}/register?prodi=TI-E2E")
    assert_fits(page)
    assert_accessible(page)
    page.get_by_label("NIM").fill("23019001")
    page.get_by_label("Nama lengkap").fill("Sari Wulandari")
    assert page.get_by_label("Program studi").input_value() == "TI-E2E"
    page.get_by_label("Semester").select_option("5")
    page.get_by_label("E-mail").fill("sari@lain.test")  # not the address the campus holds for this NIM
    page.get_by_label("Nomor WhatsApp").fill("0812 3456 7890")
    page.get_by_role("button", name="Daftar").click()
    assert page.get_by_text("tidak cocok dengan daftar mahasiswa semester 3 dan 5").is_visible()
    assert page.get_by_label("Nama lengkap").input_value() == "Sari Wulandari"  # kept
    page.get_by_label("E-mail").fill("sari@kampus.test")
    page.get_by_role("button", name="Daftar").click()
    page.wait_for_url(re.compile(r"/workshops/tickets/"))
    assert page.get_by_text("Pendaftaran terkonfirmasi").is_visible()
    assert page.get_by_role("img", name="Kode QR tiket").is_visible()
    assert_fits(page)
    ticket = page.locator(".ticket-code").inner_text().strip()

    page.goto(f"{base}/login")
    page.get_by_label("E-mail").fill("staff@demo.test")
    page.get_by_label("Kata sandi").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Masuk").click()
    page.wait_for_url(f"{base}/")
    page.goto(f"{base}/workshops/{workshop_id}/checkin")
    assert_fits(page)
    assert page.get_by_text("Hadir 0 dari 1").is_visible()
    page.get_by_label("Kode tiket atau NIM").fill(ticket)
    page.get_by_role("button", name="Catat hadir").click()
    result = page.locator(".scan-result")
    result.wait_for()
    assert re.fullmatch(r"Sari Wulandari hadir, \d\d\.\d\d\.", result.inner_text().strip())
    assert page.get_by_text("Hadir 1 dari 1").is_visible()
    page.get_by_label("Kode tiket atau NIM").fill(ticket)
    page.get_by_role("button", name="Catat hadir").click()
    page.get_by_text(re.compile(r"Sari Wulandari sudah hadir, \d\d\.\d\d")).wait_for()
    assert_accessible(page)
