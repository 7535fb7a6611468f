"""Data saya (UU PDP): a person sees and downloads what the app holds about them — their profile,
cases, appointments, letters and who opened their cases — and nothing of anyone else's, nor a
confidential value the access rules do not let them read."""
from __future__ import annotations

import io
import json
import zipfile
from datetime import date, time, timedelta

import pytest

from app.booking.models import Availability, Mode
from app.booking.services import book, free_slots
from app.documents.models import Letter
from app.extensions import db
from app.sop.models import CaseAccess
from app.sop.registry import get_procedure
from app.sop.services import complete_step, open_case


def _career_case(alumnus, staff, head, counselor, question):
    case = open_case(get_procedure("pgri-konseling-karier"), alumnus, {
        "nim": "1901", "prodi": "PMat", "phone": "0812", "question": question, "mode": "tatap muka"})
    complete_step(case, "izin_tu", staff, {})
    complete_step(case, "form_permohonan", staff, {"complete": "lengkap"})
    complete_step(case, "rekomendasi", head, {"counselor": str(counselor.id)})
    return case


@pytest.fixture
def world(app, make_user):
    staff, head, counselor = make_user("staff"), make_user("head"), make_user("counselor", name="Konselor Karier")
    me = make_user("alumni", name="Saya Sendiri", email="saya@test.id", nim="1901020304", prodi="PMat")
    other = make_user("alumni", name="Orang Lain", email="lain@test.id")
    for weekday in range(7):
        db.session.add(Availability(counselor_id=counselor.id, weekday=weekday, start_time=time(0),
                                    end_time=time(23), mode=Mode.IN_PERSON, room="R1"))
    mine = _career_case(me, staff, head, counselor, "PERTANYAAN-SAYA")
    theirs = _career_case(other, staff, head, counselor, "PERTANYAAN-ORANG-LAIN")
    slots = free_slots(counselor, date.today() + timedelta(days=2), 7)
    appointment = book(mine, me, slots[0].start)
    other_appointment = book(theirs, other, slots[1].start)
    complete_step(mine, "fasilitas", staff, {"room_ready": True})
    complete_step(mine, "pelaksanaan", counselor, {"attendance": "hadir"})
    complete_step(mine, "laporan", counselor, {"report": "LAPORAN-RAHASIA-KONSELOR"})
    letters = {case.id: list(db.session.scalars(db.select(Letter).where(Letter.case_id == case.id).order_by(Letter.id)))
               for case in (mine, theirs)}  # the steps issue them
    db.session.add(CaseAccess(case_id=mine.id, user_id=staff.id, action="step:izin_tu"))  # as the step's form logs it
    db.session.add(CaseAccess(case_id=mine.id, user_id=head.id, action="review", reason="Telaah mutu layanan"))
    db.session.add(CaseAccess(case_id=theirs.id, user_id=head.id, action="review", reason="Telaah kasus lain"))
    db.session.commit()
    return {"me": me, "other": other, "mine": mine, "theirs": theirs, "appointment": appointment,
            "other_appointment": other_appointment, "letters": letters[mine.id], "other_letters": letters[theirs.id]}


def _login(app, user):
    client = app.test_client()
    assert client.submit("/login", {"email": user.email, "password": "rahasia123"}).status_code == 302
    return client


def test_the_page_lists_what_is_held_about_me_only(app, world):
    page = _login(app, world["me"]).get("/account/data")
    body = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Saya Sendiri" in body and "1901020304" in body
    assert f'href="/cases/{world["mine"].id}"' in body and f'href="/cases/{world["theirs"].id}"' not in body
    assert f'href="/appointments/{world["appointment"].id}"' in body
    assert f'href="/appointments/{world["other_appointment"].id}"' not in body
    assert world["letters"] and world["other_letters"]
    assert all(f'href="/letters/{lt.id}.pdf"' in body for lt in world["letters"])
    assert not any(f'href="/letters/{lt.id}.pdf"' in body for lt in world["other_letters"])
    # who opened my case for review, but not the head's written reason (theirs, not mine)
    assert "Telaah mutu layanan" not in body and "Telaah kasus lain" not in body
    assert "menyelesaikan langkah (1. " in body and "(izin_tu)" not in body  # the step in words, not its key
    assert 'href="/account/data.zip"' in body and 'href="/account/data.json"' in body


def test_the_download_holds_my_records_and_only_what_i_may_read(app, world):
    client = _login(app, world["me"])
    response = client.get("/account/data.zip")
    assert response.status_code == 200 and response.mimetype == "application/zip"
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert "no-store" in response.headers["Cache-Control"]
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    data = json.loads(archive.read("data-saya.json"))
    raw = archive.read("data-saya.json").decode()

    assert data["profile"]["email"] == "saya@test.id" and data["profile"]["nim"] == "1901020304"
    assert [c["id"] for c in data["cases"]] == [world["mine"].id]
    [case] = data["cases"]
    assert case["values"]["question"] == "PERTANYAAN-SAYA"  # my own words
    assert "report" not in case["values"]  # the counselor's confidential report is not shared back
    assert "LAPORAN-RAHASIA-KONSELOR" not in raw
    assert "PERTANYAAN-ORANG-LAIN" not in raw and "Orang Lain" not in raw and "lain@test.id" not in raw
    assert [a["id"] for a in data["appointments"]] == [world["appointment"].id]
    assert data["appointments"][0]["counselor"] == "Konselor Karier"
    assert [lt["number"] for lt in data["letters"]] == [lt.number for lt in world["letters"]]
    assert {e["reason"] for e in data["access_log"] if e["action"] == "review"} == {None}
    assert {e["case_id"] for e in data["access_log"]} == {world["mine"].id}
    assert any(m["subject"] for m in data["messages"])  # e.g. the appointment's invitation
    assert all("body" not in m for m in data["messages"])

    pdfs = [name for name in archive.namelist() if name.endswith(".pdf")]
    assert pdfs == [lt["file"] for lt in data["letters"]]
    assert [archive.read(name) for name in pdfs] == [lt.pdf for lt in world["letters"]]

    # Reading my confidential values for the download is in my case's access log, with its ground.
    export = db.session.scalar(db.select(CaseAccess).where(CaseAccess.action == "export"))
    assert export.case_id == world["mine"].id and export.fields == "question" and export.reason == "author"  # I wrote it


def test_the_json_download_matches(app, world):
    response = _login(app, world["me"]).get("/account/data.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert response.headers["Content-Disposition"].startswith("attachment")
    data = json.loads(response.data)
    assert [c["id"] for c in data["cases"]] == [world["mine"].id]
    assert "PERTANYAAN-ORANG-LAIN" not in response.get_data(as_text=True)


def test_someone_with_nothing_gets_an_empty_download(app, make_user):
    client = _login(app, make_user("client", email="kosong@test.id"))
    page = client.get("/account/data").get_data(as_text=True)
    assert "Belum ada kasus." in page
    data = json.loads(client.get("/account/data.json").data)
    assert data["cases"] == [] and data["appointments"] == [] and data["letters"] == []
    assert data["profile"]["email"] == "kosong@test.id"


def test_the_page_needs_a_sign_in(client):
    for path in ("/account/data", "/account/data.json", "/account/data.zip"):
        response = client.get(path)
        assert response.status_code == 302 and response.headers["Location"].startswith("/login")
