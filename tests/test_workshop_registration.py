"""Public registration for a workshop edition: eligibility and the roster, duplicates, closing,
capacity with a waiting list that moves up on a cancellation, the e-mails (calendar invite and QR
ticket) at a real SMTP server, and the door: check-in twice, the list, walk-ins."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from app.errors import DomainError
from app.extensions import db
from app.notifications.models import OutboxMessage
from app.notifications.services import deliver_due
from app.sop.registry import get_procedure
from app.sop.services import open_case
from app.workshops.models import (CommitteeMember, CommitteeRole, Registration, RegistrationStatus, RosterStudent,
                                  StudyProgram, Workshop)
from app.workshops.registrations import Applicant, cancel, check_in, counts, register, walk_in

NOW = datetime(2026, 11, 20, 2, 0, tzinfo=timezone.utc)
STARTS = datetime(2026, 12, 3, 1, 0, tzinfo=timezone.utc)  # Kamis 3 Desember 2026, 08.00 WIB


def make_edition(head, capacity=3, **fields) -> Workshop:
    """A workshop edition with registration open, on its own minat-bakat case."""
    case = open_case(get_procedure("pgri-minat-bakat"), head,
                     {"panitia_ditetapkan": "2026-11-16T09:00", "committee": "Panitia workshop"})
    workshop = Workshop(case=case, title="Workshop Minat Bakat 2026", starts_at=STARTS, capacity=capacity,
                        venue="Aula Utama", registration_open=True, **fields)
    db.session.add(workshop)
    db.session.flush()
    return workshop


@pytest.fixture
def edition(app, make_user):
    head = make_user("head", name="Kepala P2KLLK")
    db.session.add_all([StudyProgram(code="PMAT", name="Pendidikan Matematika", faculty="FKIP"),
                        StudyProgram(code="TI", name="Teknik Informatika", faculty="FT")])
    workshop = make_edition(head)
    db.session.commit()
    return workshop


def student(n: int, semester: int = 3, prodi: str = "PMAT", **fields) -> Applicant:
    values = dict(nim=f"2301{n:04d}", name=f"Mahasiswa {n}", program_code=prodi, semester=semester,
                  email=f"mhs{n}@kampus.test", whatsapp="+6281234567890") | fields
    return Applicant(**values)


def statuses(workshop) -> dict[str, str]:
    rows = db.session.execute(sa.select(Registration.nim, Registration.status).where(
        Registration.workshop_id == workshop.id)).all()
    return {nim: status.value for nim, status in rows}


# -- eligibility -------------------------------------------------------------------------------
@pytest.mark.parametrize("semester", [1, 2, 4, 6, 7, 8])
def test_only_semester_three_and_five_may_register(edition, semester):
    with pytest.raises(DomainError, match="semester 3 dan 5"):
        register(edition, student(1, semester=semester), now=NOW)


def test_semester_three_and_five_get_a_seat(edition):
    assert register(edition, student(1, semester=3), now=NOW).status == RegistrationStatus.CONFIRMED
    assert register(edition, student(2, semester=5, prodi="TI"), now=NOW).status == RegistrationStatus.CONFIRMED


def test_with_a_roster_the_roster_decides(edition):
    programs = {p.code: p for p in db.session.scalars(sa.select(StudyProgram))}
    db.session.add_all([
        RosterStudent(nim="23010001", name="Ada Di Roster", program_id=programs["TI"].id, semester=5,
                      email="MHS1@kampus.test"),
        RosterStudent(nim="23010002", name="Semester Tujuh", program_id=programs["PMAT"].id, semester=7,
                      email="mhs2@kampus.test"),
        RosterStudent(nim="23010004", name="Tanpa E-mail", program_id=programs["PMAT"].id, semester=3)])
    db.session.commit()
    # typed semester 1 and prodi PMAT, but the roster says TI semester 5: the roster wins
    registration = register(edition, student(1, semester=1, prodi="PMAT"), now=NOW)
    assert (registration.semester, registration.program.code) == (5, "TI")
    assert register(edition, student(4), now=NOW).semester == 3  # no address on the roster: the NIM decides
    # semester 7, not on the roster, someone else's address: one answer, which names nobody's semester
    refusals = []
    for applicant in (student(2, semester=3), student(3), student(1, nim="23010001", email="penyusup@lain.test")):
        with pytest.raises(DomainError) as caught:
            register(edition, applicant, now=NOW)
        refusals.append(caught.value.message)
    assert len(set(refusals)) == 1 and "tidak cocok" in refusals[0] and "7" not in refusals[0]


def test_someone_who_knows_a_classmates_nim_cannot_take_their_seat(app, edition):
    programs = {p.code: p for p in db.session.scalars(sa.select(StudyProgram))}
    db.session.add(RosterStudent(nim="23010009", name="Dimas Saputra", program_id=programs["PMAT"].id, semester=3,
                                 email="dimas@kampus.test"))
    db.session.commit()
    client = app.test_client()
    taken = client.submit(f"/workshops/{edition.id}/register",
                          form_data(9, name="Penyusup", email="penyusup@lain.test"))
    assert taken.status_code == 422
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Registration)) == 0
    own = client.submit(f"/workshops/{edition.id}/register", form_data(9, name="Dimas Saputra",
                                                                         email="dimas@kampus.test"))
    assert own.status_code == 303


def test_the_same_nim_twice_is_told_not_stored_twice(edition):
    register(edition, student(1), now=NOW)
    db.session.commit()
    with pytest.raises(DomainError, match="sudah terdaftar"):
        register(edition, student(1, email="lain@kampus.test"), now=NOW)
    db.session.rollback()
    assert len(statuses(edition)) == 1


def test_registration_is_closed_when_not_open_or_after_its_deadline(edition):
    edition.register_until = NOW + timedelta(days=1)
    db.session.commit()
    with pytest.raises(DomainError, match="sudah ditutup"):
        register(edition, student(1), now=NOW + timedelta(days=2))
    db.session.rollback()
    edition.registration_open = False
    db.session.commit()
    with pytest.raises(DomainError, match="belum dibuka atau sudah ditutup"):
        register(edition, student(1), now=NOW)


# -- capacity and the waiting list -------------------------------------------------------------
def test_beyond_capacity_is_the_waiting_list_and_a_cancellation_promotes_the_first(edition):
    regs = [register(edition, student(n), now=NOW + timedelta(minutes=n)) for n in range(1, 6)]
    db.session.commit()
    assert [r.status.value for r in regs] == ["confirmed"] * 3 + ["waiting"] * 2
    cancel(regs[1], now=NOW + timedelta(hours=1))
    db.session.commit()
    assert statuses(edition) == {"23010001": "confirmed", "23010002": "cancelled", "23010003": "confirmed",
                                 "23010004": "confirmed", "23010005": "waiting"}
    with pytest.raises(DomainError, match="sudah dibatalkan"):
        cancel(regs[1], now=NOW + timedelta(hours=1))
    db.session.rollback()
    # the cancelled NIM may register again: at the end of the line, with a new ticket
    old_ticket = regs[1].ticket
    again = register(edition, student(2), now=NOW + timedelta(hours=2))
    db.session.commit()
    assert again.id == regs[1].id and again.ticket != old_ticket and again.status == RegistrationStatus.WAITING
    assert counts(edition.id) == counts(edition.id).__class__(confirmed=3, waiting=2, attended=0, walk_ins=0)


def test_e_mails_carry_the_invite_and_the_qr_ticket_and_the_waiting_position(app, edition, smtp_server):
    import vobject

    regs = [register(edition, student(n), now=NOW) for n in range(1, 5)]
    db.session.commit()
    deliver_due(now=NOW)
    first = smtp_server.to("mhs1@kampus.test")
    assert len(first) == 1 and "terkonfirmasi" in first[0]["Subject"].lower()
    parts = {part.get_filename(): part for part in first[0].iter_attachments()}
    assert set(parts) == {"undangan.ics", "tiket-23010001.png"}
    assert parts["tiket-23010001.png"].get_content()[:8] == b"\x89PNG\r\n\x1a\n"
    ics = parts["undangan.ics"].get_content()
    assert "BEGIN:VTIMEZONE" in ics and "TZID:Asia/Jakarta" in ics and "METHOD:REQUEST" in ics
    event = vobject.readOne(ics).vevent
    assert event.dtstart.value == STARTS and event.summary.value == "Workshop Minat Bakat 2026"
    body = first[0].get_body(("plain",)).get_content()
    ticket_link = f"http://localhost/workshops/tickets/{regs[0].ticket}"
    assert ticket_link in body and f"{ticket_link}#batal" in body
    waiting = smtp_server.to("mhs4@kampus.test")
    assert len(waiting) == 1 and "daftar tunggu nomor 1" in waiting[0].get_body(("plain",)).get_content()
    # a cancellation: the CANCEL to the one who left, the ticket to the one who moved up
    cancel(regs[0], now=NOW + timedelta(hours=1))
    db.session.commit()
    deliver_due(now=NOW + timedelta(hours=1))
    assert "METHOD:CANCEL" in str(smtp_server.to("mhs1@kampus.test")[-1])
    promoted = smtp_server.to("mhs4@kampus.test")
    assert len(promoted) == 2 and "kursi" in promoted[-1]["Subject"].lower()
    assert "tiket-23010004.png" in {p.get_filename() for p in promoted[-1].iter_attachments()}
    keys = db.session.scalars(sa.select(OutboxMessage.key)).all()
    assert len(keys) == len(set(keys)) == 6


# -- the public pages ------------------------------------------------------------------------
def form_data(n: int, **fields) -> dict:
    return {"nim": f"2301{n:04d}", "name": f"Mahasiswa {n}", "prodi": "PMAT", "semester": "3",
            "email": f"mhs{n}@kampus.test", "whatsapp": "0812 3456 7890"} | fields


def test_the_public_page_registers_without_an_account_and_shows_the_ticket(app, edition):
    client = app.test_client()
    page = client.get(f"/workshops/{edition.id}/register?prodi=TI").get_data(as_text=True)
    assert re.search(r"<option[^>]*selected[^>]*value=\"TI\"|<option[^>]*value=\"TI\"[^>]*selected", page) and 'name="whatsapp"' in page
    response = client.submit(f"/workshops/{edition.id}/register", form_data(1))
    assert response.status_code == 303
    ticket = client.get(response.headers["Location"])
    text = ticket.get_data(as_text=True)
    assert ticket.status_code == 200 and "Terkonfirmasi" in text and "data:image/svg+xml" in text
    assert ticket.headers["Cache-Control"] == "private, no-store"


def test_a_refused_registration_answers_422_with_the_reason_and_keeps_the_values(app, edition):
    client = app.test_client()
    response = client.submit(f"/workshops/{edition.id}/register", form_data(1, semester="7", name="Budi Santoso"))
    text = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "hanya untuk mahasiswa semester 3 dan 5" in text and 'value="Budi Santoso"' in text
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Registration)) == 0


def test_the_ticket_page_cancels_after_confirmation_and_the_waiting_list_moves(app, edition):
    regs = [register(edition, student(n), now=NOW) for n in range(1, 5)]
    db.session.commit()
    client = app.test_client()
    page = client.get(f"/workshops/tickets/{regs[3].ticket}").get_data(as_text=True)
    assert "daftar tunggu nomor 1" in page
    response = client.submit(f"/workshops/tickets/{regs[0].ticket}/cancel")
    assert response.status_code == 303
    assert "Dibatalkan" in client.get(f"/workshops/tickets/{regs[0].ticket}").get_data(as_text=True)
    assert "Terkonfirmasi" in client.get(f"/workshops/tickets/{regs[3].ticket}").get_data(as_text=True)
    again = client.submit(f"/workshops/tickets/{regs[0].ticket}/cancel")
    assert again.status_code == 422 and "sudah dibatalkan" in again.get_data(as_text=True)
    assert client.get("/workshops/tickets/tidak-ada").status_code == 404


# -- at the door -----------------------------------------------------------------------------
def test_check_in_twice_says_already_present_with_the_local_time(app, edition, make_user):
    staff = make_user("staff")
    registration = register(edition, student(1), now=NOW)
    db.session.commit()
    first = check_in(edition, registration.ticket, staff, now=datetime(2026, 12, 3, 1, 12, tzinfo=timezone.utc))
    db.session.commit()
    assert first.first and first.message == "Mahasiswa 1 hadir, 08.12."
    second = check_in(edition, f"http://localhost/workshops/tickets/{registration.ticket}", staff,
                      now=datetime(2026, 12, 3, 1, 30, tzinfo=timezone.utc))
    assert not second.first and second.message == "Mahasiswa 1 sudah hadir, 08.12."
    assert check_in(edition, "23010001", staff).message.endswith("sudah hadir, 08.12.")  # by NIM


def test_check_in_refuses_unknown_waiting_and_other_editions_tickets(app, edition, make_user):
    staff, head = make_user("staff"), make_user("head")
    other = make_edition(head)
    db.session.commit()
    outsider = register(other, student(9), now=NOW)
    regs = [register(edition, student(n), now=NOW) for n in range(1, 5)]
    db.session.commit()
    for code, message in [("tidak-ada", "tidak terdaftar"), (outsider.ticket, "tidak terdaftar"),
                          (regs[3].ticket, "daftar tunggu"), ("", "Tulis atau pindai")]:
        with pytest.raises(DomainError, match=message):
            check_in(edition, code, staff, now=NOW)


def test_the_door_page_scans_ticks_and_records_walk_ins(app, edition, login_as):
    regs = [register(edition, student(n), now=NOW) for n in range(1, 4)]
    db.session.commit()
    client, _staff = login_as("staff")
    page = client.get(f"/workshops/{edition.id}/checkin")
    assert page.status_code == 200 and "Hadir 0 dari 3" in page.get_data(as_text=True)
    answer = client.submit(f"/workshops/{edition.id}/checkin", {"code": regs[0].ticket},
                           headers={"HX-Request": "true", "HX-Target": "scan"})
    text = answer.get_data(as_text=True)
    assert answer.status_code == 200 and "Mahasiswa 1 hadir" in text and "Hadir 1 dari 3" in text
    assert "<html" not in text
    again = client.submit(f"/workshops/{edition.id}/checkin", {"code": regs[0].ticket},
                          headers={"HX-Request": "true"}).get_data(as_text=True)
    assert re.search(r"Mahasiswa 1 sudah hadir, \d\d\.\d\d", again)
    unknown = client.submit(f"/workshops/{edition.id}/checkin", {"code": "salah"})
    assert unknown.status_code == 422 and 'class="error"' in unknown.get_data(as_text=True)
    # tick the list, untick it
    tick = client.submit(f"/workshops/{edition.id}/attendance/{regs[1].id}", {"present": "1"})
    assert tick.status_code == 303
    db.session.expire_all()
    assert db.session.get(Registration, regs[1].id).checked_in_at is not None
    client.submit(f"/workshops/{edition.id}/attendance/{regs[1].id}", {"present": "0"})
    db.session.expire_all()
    assert db.session.get(Registration, regs[1].id).checked_in_at is None
    # a walk-in past capacity
    walk = client.submit(f"/workshops/{edition.id}/walk-ins", form_data(7, semester="", whatsapp=""))
    assert walk.status_code == 303
    db.session.expire_all()
    row = db.session.scalar(sa.select(Registration).where(Registration.nim == "23010007"))
    assert row.walk_in and row.status == RegistrationStatus.CONFIRMED and row.checked_in_at is not None
    assert counts(edition.id).confirmed == 4 == edition.capacity + 1
    live = client.get(f"/workshops/{edition.id}/checkin", headers={"HX-Request": "true", "HX-Target": "live-count"})
    assert "Hadir 2 dari 4" in live.get_data(as_text=True) and "<li" not in live.get_data(as_text=True)


def test_committee_members_of_the_edition_may_check_in_others_may_not(app, edition, login_as):
    member_client, member = login_as("committee")
    db.session.add(CommitteeMember(workshop_id=edition.id, user_id=member.id, role=CommitteeRole.MEMBER))
    db.session.commit()
    assert member_client.get(f"/workshops/{edition.id}/checkin").status_code == 200
    outsider_client, _outsider = login_as("committee")  # another edition's: this one stays hidden
    assert outsider_client.get(f"/workshops/{edition.id}/checkin").status_code == 404
    other_unit, _head = login_as("head", units=["PUSPAGA"])
    assert other_unit.get(f"/workshops/{edition.id}/checkin").status_code == 404


def test_walk_in_of_a_registered_nim_is_told_to_check_in(edition, make_user):
    staff = make_user("staff")
    register(edition, student(1), now=NOW)
    with pytest.raises(DomainError, match="check-in"):
        walk_in(edition, student(1), staff, now=NOW)


# -- load: the announcement's burst ----------------------------------------------------------
@pytest.mark.real_commits
def test_three_hundred_at_once_for_250_seats_end_250_confirmed_and_50_waiting(_app, app, make_user):
    """300 students register within the same moment for 250 seats: exactly 250 seats given, 50
    on the waiting list in a strict order, no NIM twice, every e-mail queued once."""
    from tests.conftest import at_once

    workshop = make_edition(make_user("head"), capacity=250)
    db.session.add(StudyProgram(code="PMAT", name="Pendidikan Matematika"))
    db.session.commit()
    workshop_id = workshop.id

    def attempt(n):
        register(db.session.get(Workshop, workshop_id), student(n % 300), now=NOW)  # n=300 repeats NIM 0

    outcomes = at_once(_app, attempt, list(range(301)))
    assert outcomes.count("ok") == 300, set(outcomes)
    assert [o for o in outcomes if o != "ok"] == [o for o in outcomes if "sudah terdaftar" in o] != []
    db.session.expire_all()
    figures = counts(workshop_id)
    assert (figures.confirmed, figures.waiting) == (250, 50)
    nims = db.session.scalars(sa.select(Registration.nim).where(Registration.workshop_id == workshop_id)).all()
    assert len(nims) == len(set(nims)) == 300
    keys = db.session.scalars(sa.select(OutboxMessage.key)).all()
    assert len(keys) == len(set(keys)) == 300
    assert sum(k.endswith(":confirmed") for k in keys) == 250 and sum(k.endswith(":waiting") for k in keys) == 50
    # the waiting list's positions are 1..50, each once
    from app.workshops.registrations import waiting_position

    waiting = db.session.scalars(sa.select(Registration).where(Registration.workshop_id == workshop_id,
                                                               Registration.status == RegistrationStatus.WAITING)).all()
    assert sorted(waiting_position(r) for r in waiting) == list(range(1, 51))
