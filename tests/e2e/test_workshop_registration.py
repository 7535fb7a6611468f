"""On a phone-sized screen (360x740): a student registers without an account and sees the ticket;
at the door staff check the ticket in by typing its code, and a second scan says "sudah hadir"."""
from __future__ import annotations

import re
import threading
from datetime import datetime, timedelta, timezone

import pytest
from werkzeug.serving import make_server

from app import create_app
from app.config import TestConfig
from app.extensions import db
from tests.e2e.conftest import DEMO_PASSWORD, assert_accessible, assert_fits

PHONE = {"width": 360, "height": 740}


@pytest.fixture(scope="module")
def door_server(tmp_path_factory):
    """The app with demo data and a workshop edition open for registration."""
    from flask_migrate import upgrade

    from app.auth.models import User
    from app.demo import seed_demo
    from app.sop.registry import get_procedure
    from app.sop.services import open_case
    from app.workshops.models import RosterStudent, StudyProgram, Workshop

    config = TestConfig(f"sqlite:///{tmp_path_factory.mktemp('e2e-door') / 'door.db'}")
    config.TESTING = False
    app = create_app(config)
    with app.app_context():
        upgrade()
        seed_demo(DEMO_PASSWORD)
        head = db.session.scalar(db.select(User).where(User.email == "head@demo.test"))
        for code, name in (("PMAT-E2E", "Pendidikan Matematika E2E"), ("TI-E2E", "Teknik Informatika E2E")):
            if db.session.scalar(db.select(StudyProgram).where(StudyProgram.code == code)) is None:
                db.session.add(StudyProgram(code=code, name=name))
        db.session.flush()
        ti = db.session.scalar(db.select(StudyProgram).where(StudyProgram.code == "TI-E2E"))
        db.session.add(RosterStudent(nim="23019001", name="Sari Wulandari", program_id=ti.id, semester=5,
                                     email="sari@kampus.test"))  # the demo has a roster: it decides
        case = open_case(get_procedure("pgri-minat-bakat"), head,
                         {"panitia_ditetapkan": "2030-12-01T09:00", "committee": "Panitia"})
        workshop = Workshop(case=case, title="Workshop Minat Bakat E2E", capacity=100, venue="Aula",
                            registration_open=True, starts_at=datetime.now(timezone.utc) + timedelta(days=10))
        db.session.add(workshop)
        db.session.commit()
        workshop_id = workshop.id
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}", workshop_id
    server.shutdown()
    with app.app_context():
        db.engine.dispose()


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
