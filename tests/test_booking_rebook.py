"""The career case follows its appointment: a cancel (by either side) or a move reopens the agreement
step, a new pass the client is asked to fill by choosing a time; the counselor records after the
start that the session took place (the berita acara follows) or that the client did not come (a new
time, or the service closed); only slots of the requested mode are offered unless the client
switches; booking a slot, deleting a window and a new feed address are confirmed in the page; a
refusal comes back by its form with what was typed."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest
import sqlalchemy as sa
import time_machine

from app.booking.models import Appointment, Availability, CounselorProfile, Mode
from app.booking.services import accept, book, cancel, free_slots, mark_no_show, propose, record_session, reschedule
from app.documents.models import Letter
from app.errors import DomainError
from app.extensions import db
from app.notifications.models import OutboxMessage
from app.sop.definitions import DefinitionError, parse
from app.sop.access import assign
from app.sop.models import CaseState
from app.sop.registry import get_procedure
from app.sop.services import complete_step, open_case
from tests.test_booking import KARIER, NOW, local, setup  # noqa: F401 - the shared booking fixture


def passes(case, key):
    return [(r.attempt, r.state.value) for r in case.steps if r.key == key]


def signed_in(app, user):
    client = app.test_client()
    assert client.submit("/login", {"email": user.email, "password": "rahasia123"}).status_code == 302
    return client


def prepared(case, make_user, start="2026-11-24T09:00"):
    """Booked, and the room recorded ready: the session step waits for the counselor."""
    appointment = book(case, case.subject, local(start), now=NOW)
    complete_step(case, "fasilitas", make_user("staff"), {"room_ready": True}, now=NOW)
    db.session.commit()
    return appointment


# -- cancel and reschedule: the agreement step runs again ------------------------------------
def test_a_cancel_by_the_counselor_reopens_the_agreement_for_the_client_to_rebook(app, setup, smtp_server):  # noqa: F811
    case, counselor, alumnus = setup
    appointment = book(case, alumnus, local("2026-11-25T09:00"), now=NOW)
    db.session.commit()
    assert case.step_row("fasilitas").state == "active"
    cancel(appointment, counselor, "Konselor sakit", now=NOW + timedelta(hours=1))
    db.session.commit()
    # Nobody is asked to prepare a room for a session that will not happen; the agreement runs again.
    assert passes(case, "kesepakatan") == [(1, "done"), (2, "active")]
    assert passes(case, "fasilitas") == [(1, "skipped"), (2, "pending")]
    assert case.step_row("fasilitas").attempt == 2 and case.step_row("fasilitas").next_notice_at is None
    # The client has the task, leading to the booking page, and is told by e-mail.
    client = signed_in(app, alumnus)
    assert f'href="/cases/{case.id}/booking"' in client.get("/tasks").get_data(as_text=True)
    asked = db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.key.like("rebook:%"))).all()
    assert [m.recipient for m in asked if m.channel == "email"] == [alumnus.email]
    page = client.get(f"/cases/{case.id}/booking?week=2026-11-23").get_data(as_text=True)
    assert "Pilih waktu baru" in page and "dibatalkan" in page and "Konselor sakit" in page
    # A new booking agrees the new pass; the room is asked for the new time.
    again = book(case, alumnus, local("2026-11-26T10:15"), now=NOW + timedelta(hours=2))
    db.session.commit()
    assert passes(case, "kesepakatan") == [(1, "done"), (2, "done")]
    assert case.step_row("kesepakatan").data["agreed_at"] == "2026-11-26T10:15:00"
    assert passes(case, "fasilitas") == [(1, "skipped"), (2, "active")]
    assert again.status == "agreed"


def test_a_cancel_by_the_client_reopens_the_agreement_too_without_asking_them(setup):  # noqa: F811
    case, counselor, alumnus = setup
    appointment = book(case, alumnus, local("2026-11-25T09:00"), now=NOW)
    cancel(appointment, alumnus, "Ada wawancara kerja", now=NOW)
    db.session.commit()
    assert case.step_row("kesepakatan").state == "active" and case.step_row("kesepakatan").attempt == 2
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)
                             .where(OutboxMessage.key.like("rebook:%"))) == 0


def test_a_move_is_agreed_again_at_the_new_time(setup, make_user):  # noqa: F811
    case, counselor, alumnus = setup
    appointment = prepared(case, make_user, "2026-11-25T09:00")
    assert case.step_row("pelaksanaan").state == "active"
    reschedule(appointment, alumnus, local("2026-11-26T10:15"), "Bentrok kuliah", now=NOW)
    db.session.commit()
    assert passes(case, "kesepakatan") == [(1, "done"), (2, "done")]
    assert case.step_row("kesepakatan").data["agreed_at"] == "2026-11-26T10:15:00"
    assert passes(case, "fasilitas") == [(1, "done"), (2, "active")]  # the room again, for the new time
    assert passes(case, "pelaksanaan") == [(1, "skipped"), (2, "pending")]


# -- the session: held, or the client did not come ---------------------------------------------
def test_the_session_step_is_done_when_the_counselor_records_the_session_after_its_start(app, setup, make_user):  # noqa: F811
    case, counselor, alumnus = setup
    appointment = prepared(case, make_user)
    with pytest.raises(DomainError, match="setelah sesi dimulai"):
        record_session(appointment, counselor, now=local("2026-11-24T08:59"))
    with pytest.raises(DomainError, match="Hanya konselor"):
        record_session(appointment, alumnus, now=local("2026-11-24T09:30"))
    with time_machine.travel(local("2026-11-24T09:40"), tick=False):
        client = signed_in(app, counselor)
        page = client.get(f"/appointments/{appointment.id}").get_data(as_text=True)
        assert "Sesi terlaksana" in page and "Konseli tidak hadir" in page
        response = client.submit(f"/appointments/{appointment.id}/held")
    assert response.status_code == 302 and response.headers["Location"] == f"/cases/{case.id}"
    db.session.expire_all()
    assert db.session.get(Appointment, appointment.id).status == "done"
    row = case.step_row("pelaksanaan")
    assert row.state == "done" and row.data == {"attendance": "hadir"} and row.done_by_id == counselor.id
    assert case.step_row("laporan").state == "active"
    letters = db.session.scalars(sa.select(Letter.doc_type).where(Letter.case_id == case.id)).all()
    assert "berita_acara_pelaksanaan" in letters  # the berita acara follows the session, not the room


def test_the_berita_acara_is_not_issued_before_the_session(setup, make_user):  # noqa: F811
    case, counselor, alumnus = setup
    prepared(case, make_user)
    letters = db.session.scalars(sa.select(Letter.doc_type).where(Letter.case_id == case.id)).all()
    assert "berita_acara_pelaksanaan" not in letters


def test_a_no_show_is_recorded_on_the_case_and_the_counselor_offers_a_new_time(app, setup, make_user):  # noqa: F811
    case, counselor, alumnus = setup
    appointment = prepared(case, make_user)
    with time_machine.travel(local("2026-11-24T09:20"), tick=False):
        client = signed_in(app, counselor)
        response = client.submit(f"/appointments/{appointment.id}/no-show", {"then": "rebook"})
    assert response.status_code == 302 and response.headers["Location"] == f"/cases/{case.id}/booking"
    db.session.expire_all()
    assert db.session.get(Appointment, appointment.id).status == "no_show"
    assert case.step_row("pelaksanaan").attempt == 2
    first = next(r for r in case.steps if r.key == "pelaksanaan" and r.attempt == 1)
    assert first.state == "done" and first.data == {"attendance": "tidak hadir, dijadwalkan ulang"}
    assert passes(case, "kesepakatan") == [(1, "done"), (2, "active")]
    with time_machine.travel(local("2026-11-24T09:30"), tick=False):
        page = signed_in(app, counselor).get(f"/cases/{case.id}/booking").get_data(as_text=True)
        assert "Usulkan waktu" in page and "tidak hadir" in page
        proposals = propose(case, counselor, [local("2026-11-26T13:00")], now=local("2026-11-24T09:30"))
    assert proposals[0].status == "proposed"


def test_a_no_show_can_close_the_service(setup, make_user):  # noqa: F811
    case, counselor, alumnus = setup
    appointment = prepared(case, make_user)
    mark_no_show(appointment, counselor, rebook=False, now=local("2026-11-24T09:20"))
    db.session.commit()
    assert case.state == CaseState.CLOSED
    assert case.step_row("pelaksanaan").data == {"attendance": "tidak hadir, layanan ditutup"}
    assert case.step_row("laporan").state == "skipped"


def test_closing_after_a_no_show_waits_for_the_step_before_the_session(setup):  # noqa: F811
    case, counselor, alumnus = setup
    appointment = book(case, alumnus, local("2026-11-24T09:00"), now=NOW)  # the room not yet recorded
    with pytest.raises(DomainError, match="mempersiapkan fasilitas"):
        mark_no_show(appointment, counselor, rebook=False, now=local("2026-11-24T09:20"))


# -- the requested mode ---------------------------------------------------------------------------
@pytest.fixture
def online_case(setup, make_user):  # noqa: F811
    """The counselor also takes online sessions on Wednesday afternoons; an alumnus asks for online."""
    case, counselor, alumnus = setup
    db.session.add(Availability(counselor_id=counselor.id, weekday=2, start_time=time(13), end_time=time(15),
                                session_minutes=60, buffer_minutes=15, mode=Mode.ONLINE,
                                meeting_url="https://meet.example.id/karier"))
    other = make_user("alumni", name="Citra Online")
    online = open_case(get_procedure("pgri-konseling-karier"), other, {**KARIER, "mode": "online"}, now=NOW)
    for key, who, values in (("izin_tu", "staff", {}), ("form_permohonan", "staff", {"complete": "lengkap"}),
                             ("rekomendasi", "head", {"counselor": str(counselor.id)})):
        complete_step(online, key, make_user(who), values, now=NOW)
    db.session.commit()
    return online, counselor, other


def test_only_slots_of_the_requested_mode_are_offered_unless_the_client_switches(app, online_case):
    case, counselor, alumnus = online_case
    assert {s.mode for s in free_slots(counselor, date(2026, 11, 23), 7, now=NOW, mode=Mode.ONLINE)} == {Mode.ONLINE}
    db.session.commit()  # the counselor's booking profile, made on first use
    with time_machine.travel(NOW, tick=False):
        client = signed_in(app, alumnus)
        page = client.get(f"/cases/{case.id}/booking?week=2026-11-23").get_data(as_text=True)
        assert "13.00" in page and "online" in page and "10.15" not in page  # no tatap muka slot
        switched = client.get(f"/cases/{case.id}/booking?week=2026-11-23&mode=semua").get_data(as_text=True)
        assert "13.00" in switched and "10.15" in switched
        assert "Anda meminta layanan online" in switched
        # a week with none of the form asked for shows the others, and says so (not a week of "tidak ada")
        db.session.execute(db.delete(Availability).where(Availability.mode == Mode.ONLINE))
        db.session.commit()
        widened = client.get(f"/cases/{case.id}/booking?week=2026-11-23").get_data(as_text=True)
        assert "10.15" in widened and "Anda meminta layanan online" in widened


def test_the_booking_page_opens_on_the_first_week_holding_the_form_asked_for(app, online_case):
    """On a Thursday, with this week's online slots gone, the page opens on next week's (and says
    so) rather than on a week of tatap muka slots; a week chosen is shown as it is."""
    case, counselor, alumnus = online_case
    db.session.commit()
    with time_machine.travel(local("2026-11-26T08:00"), tick=False):
        client = signed_in(app, alumnus)
        page = client.get(f"/cases/{case.id}/booking").get_data(as_text=True)
        assert "ini minggu terdekat yang ada" in page and "30 Nov – 6 Des 2026" in page
        assert "13.00" in page and "10.15" not in page
        chosen = client.get(f"/cases/{case.id}/booking?week=2026-11-23").get_data(as_text=True)
        assert "ini minggu terdekat" not in chosen and "23 Nov – 29 Nov 2026" in chosen


def test_moving_a_session_is_asked_for_and_offers_slots_of_its_own_form_none_chosen(app, online_case):
    """"Pindahkan jadwal" opens only when asked for, with no slot chosen unawares, among the slots
    of the session's own form (a tatap muka session of an online request: tatap muka slots);
    sent without a slot it is refused and changes nothing."""
    from tests.conftest import db_fingerprint

    case, counselor, alumnus = online_case
    appointment = book(case, alumnus, local("2026-11-25T10:15"), now=NOW)  # tatap muka, though online was asked
    db.session.commit()
    with time_machine.travel(NOW, tick=False):
        client = signed_in(app, alumnus)
        page = client.get(f"/appointments/{appointment.id}").get_data(as_text=True)
        ask = page.index("<summary>Pindahkan jadwal…</summary>")
        assert page.rindex('<details class="confirm change">', 0, ask) > page.index('id="change-title"')  # closed
        assert '<select id="new-start" name="start"><option value="">— pilih slot baru —</option>' in page
        offered = page[page.index('<select id="new-start"'):page.index("</select>", ask)]
        assert "09.00–10.00" in offered and "13.00–14.00" not in offered  # not Wednesday's online window
        before = db_fingerprint()
        refused = client.submit(f"/appointments/{appointment.id}/reschedule", {"start": "", "reason": "Bentrok kuliah"})
        assert refused.status_code == 422 and "Pilih slot barunya." in refused.get_data(as_text=True)
        assert '<details class="confirm change" open><summary>Pindahkan jadwal…' in refused.get_data(as_text=True)
        assert db_fingerprint() == before


def test_a_video_session_moves_to_any_free_slot_and_keeps_its_link(app, online_case):
    """The counselor may hold a video session in any free slot (as they may propose it): moving
    offers every slot, and the session stays video with the link the two agreed on, not the
    slot's default one."""
    case, counselor, alumnus = online_case
    [proposal] = propose(case, counselor, [local("2026-11-25T13:00")], now=NOW, mode=Mode.ONLINE,
                         place="https://meet.example.id/khusus-citra")
    session = accept(proposal, alumnus, now=NOW)
    db.session.commit()
    with time_machine.travel(NOW, tick=False):
        client = signed_in(app, alumnus)
        page = client.get(f"/appointments/{session.id}").get_data(as_text=True)
        offered = page[page.index('<select id="new-start"'):page.index("</select>", page.index('<select id="new-start"'))]
        assert "09.00–10.00" in offered and "13.00–14.00" in offered  # both windows; no form named
        assert "tatap muka" not in offered and "online" not in offered  # it stays video, wherever it moves
    reschedule(session, alumnus, local("2026-11-26T10:15"), "Bentrok kuliah", now=NOW)  # a tatap muka window
    assert (session.mode, session.meeting_url, session.location) == (Mode.ONLINE, "https://meet.example.id/khusus-citra",
                                                                     None)


# -- nothing irreversible in one tap -------------------------------------------------------------
def test_a_slot_is_confirmed_in_the_page_before_it_is_booked(app, setup):  # noqa: F811
    case, counselor, alumnus = setup
    start = local("2026-11-25T10:15").isoformat()
    with time_machine.travel(NOW, tick=False):
        client = signed_in(app, alumnus)
        page = client.get(f"/cases/{case.id}/booking?week=2026-11-23").get_data(as_text=True)
        assert 'name="start"' not in page  # a slot is a link to its confirmation, not a booking button
        assert f"/cases/{case.id}/booking?week=2026-11-23" in page and "start=2026-11-25T10" in page
        confirm = client.get(f"/cases/{case.id}/booking", query_string={"week": "2026-11-23", "start": start})
        html = confirm.get_data(as_text=True)
        assert confirm.status_code == 200 and "Pesan jadwal ini?" in html
        assert "Rabu, 25 November 2026, 10.15–11.15 WIB" in html and "Ruang Konseling 1" in html
        assert f'value="{start}"' in html and "Ya, pesan jadwal ini" in html
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Appointment)) == 0
        fragment = client.get(f"/cases/{case.id}/booking", query_string={"week": "2026-11-23", "start": start},
                              headers={"HX-Request": "true"}).get_data(as_text=True)
        assert fragment.strip().startswith('<section id="slots"') and "Pesan jadwal ini?" in fragment
        booked = client.submit(f"/cases/{case.id}/booking", {"start": start})
        assert booked.status_code == 302
        page = client.get(booked.headers["Location"]).get_data(as_text=True)
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Appointment)) == 1
    assert "Jadwal disepakati: Rabu, 25 November 2026, 10.15 WIB" in page and "disepakati" in page
    assert "agreed" not in page


def test_a_taken_slot_is_refused_next_to_the_confirmation_not_on_an_error_page(app, setup, make_user):  # noqa: F811
    case, counselor, alumnus = setup
    other = open_case(get_procedure("pgri-konseling-karier"), make_user("alumni"), dict(KARIER), now=NOW)
    assign(other, counselor, "counselor", counselor)  # its counselor, on its team
    book(other, other.subject, local("2026-11-25T10:15"), now=NOW)
    db.session.commit()
    start = local("2026-11-25T10:15").isoformat()
    with time_machine.travel(NOW, tick=False):
        client = signed_in(app, alumnus)
        response = client.submit(f"/cases/{case.id}/booking", {"start": start})
        html = response.get_data(as_text=True)
        assert response.status_code == 422 and "baru saja diambil" in html
        assert 'id="slots"' in html and "Pesan jadwal ini?" in html and f'value="{start}"' in html
        assert "Jadwal belum tersimpan" not in html  # not the old error page
        fragment = client.submit(f"/cases/{case.id}/booking", {"start": start}, headers={"HX-Request": "true"})
        assert fragment.status_code == 422
        assert fragment.get_data(as_text=True).strip().startswith('<section id="slots"')


def test_a_refused_proposal_keeps_what_was_typed(app, setup):  # noqa: F811
    case, counselor, alumnus = setup
    with time_machine.travel(NOW, tick=False):
        client = signed_in(app, counselor)
        response = client.submit(f"/cases/{case.id}/proposals", {"first": "2026-11-20T13:00", "second": "2026-11-26T14:00"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "harus di masa depan" in html
    assert 'value="2026-11-20T13:00"' in html and 'value="2026-11-26T14:00"' in html and 'id="propose-title"' in html


def test_deleting_a_window_and_a_new_feed_address_are_confirmed_first(app, setup):  # noqa: F811
    case, counselor, alumnus = setup
    client = signed_in(app, counselor)
    window = db.session.scalar(sa.select(Availability.id).where(Availability.counselor_id == counselor.id).limit(1))
    page = client.get("/booking/settings").get_data(as_text=True)
    assert f"/booking/availability/{window}/delete" not in page and f"/booking/settings?delete={window}" in page
    confirm = client.get(f"/booking/settings?delete={window}").get_data(as_text=True)
    assert "Hapus ketersediaan Senin 09.00–12.00?" in confirm and f"/booking/availability/{window}/delete" in confirm
    fragment = client.get(f"/booking/settings?delete={window}", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert fragment.strip().startswith('<div id="windows">') and "Ya, hapus" in fragment
    assert db.session.get(Availability, window) is not None
    assert client.submit(f"/booking/availability/{window}/delete").status_code == 302
    db.session.expire_all()
    assert db.session.get(Availability, window) is None

    token = db.session.get(CounselorProfile, counselor.id).feed_token
    assert "/booking/feed/rotate" not in client.get("/booking/settings").get_data(as_text=True)
    confirm = client.get("/booking/settings?rotate=1", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert confirm.strip().startswith('<section id="feed"') and "/booking/feed/rotate" in confirm
    assert "Alamat lama berhenti berlaku" in confirm
    db.session.expire_all()
    assert db.session.get(CounselorProfile, counselor.id).feed_token == token


# -- the engine and the definitions -------------------------------------------------------------
def test_the_booking_screens_are_checked_in_the_definition():
    text = """
code: tes-janji
title: Janji
source: uji
open_roles: [alumni]
fields:
  - {key: mode, label: Bentuk, type: choice, options: [tatap muka, online]}
steps:
  - key: sepakat
    title: Sepakat
    roles: [assignee]
    screen: {name: booking, mode: %s}
    inputs:
      - {key: waktu, label: Waktu, type: datetime}
  - key: sesi
    title: Sesi
    roles: [assignee]
    screen: {name: booking_session, held: %s, no_show_rebook: tidak hadir}
    decision: hadir
    outcomes: {tidak hadir: back:sepakat}
    inputs:
      - {key: hadir, label: Hadir, type: choice, options: [ya, tidak hadir]}
"""
    assert parse(text % ("mode", "ya")).step("sesi").screen["held"] == "ya"
    with pytest.raises(DefinitionError) as wrong:
        parse(text % ("bentuk", "mungkin"))
    errors = "\n".join(wrong.value.errors)
    assert "screen.mode: 'bentuk' bukan data kasus" in errors
    assert "screen.held: 'mungkin' harus pilihan keputusan" in errors


def test_the_counselors_session_task_leads_to_recording_the_session(app, setup, make_user):  # noqa: F811
    case, counselor, alumnus = setup
    appointment = prepared(case, make_user)
    with time_machine.travel(local("2026-11-24T09:10"), tick=False):
        client = signed_in(app, counselor)
        assert f'href="/cases/{case.id}/booking"' in client.get("/tasks").get_data(as_text=True)
        page = client.get(f"/cases/{case.id}/booking").get_data(as_text=True)
    assert "Catat hasil sesi" in page and f"/appointments/{appointment.id}#outcome-title" in page


def test_changing_a_cancelled_appointment_says_why_nothing_changed(app, setup):  # noqa: F811
    """A second cancel (another tab, a long reason) on a cancelled appointment: its forms are gone
    from the page, so the refusal is said at the top, and nothing changes."""
    from tests.conftest import db_fingerprint

    case, counselor, alumnus = setup
    appointment = book(case, alumnus, local("2026-11-24T10:15"), now=NOW)
    cancel(appointment, alumnus, "Sakit", now=NOW)
    db.session.commit()
    client = app.test_client()
    client.submit("/login", {"email": alumnus.email, "password": "rahasia123"})
    before = db_fingerprint()
    response = client.submit(f"/appointments/{appointment.id}/cancel", {"reason": "x" * 20000})
    assert response.status_code == 422 and "tidak dapat diubah lagi" in response.get_data(as_text=True)
    assert db_fingerprint() == before
