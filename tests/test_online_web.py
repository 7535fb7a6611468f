"""Online counseling over HTTP: the wizard (full page and htmx fragment), the conversation and
who may reach it (another student's: 404), the head's rota, and the scheduler's tick sending the
acknowledgement to a real SMTP server and a fake WhatsApp gateway on loopback."""
from __future__ import annotations

import json
import re
import threading
from datetime import datetime, time, timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from app.database import utcnow
from app.extensions import db
from app.online.acknowledge import acknowledge_due
from app.online.intake import start_intake, submit_stage
from app.online.models import DutyShift
from app.sop.models import Case, CaseAccess, StepState
from app.sop.registry import get_procedure
from app.sop.services import open_case
from tests.conftest import db_fingerprint

UNPAM = "unpam-konseling-online"
IDENTITY = {"nim": "221011", "prodi": "Psikologi", "phone": "0812 3456 7890", "mode": "online"}


def in_wizard(student, now=None):
    """A request of `student` waiting at its identity stage."""
    case = start_intake(get_procedure(UNPAM), student, now=now or utcnow())
    db.session.commit()
    return case


def acknowledged(student, now=None):
    """A request of `student` through the wizard and acknowledged, waiting for a counselor."""
    now = now or utcnow()
    case = in_wizard(student, now)
    submit_stage(case, student, IDENTITY, now=now)
    submit_stage(case, student, {}, now=now)
    submit_stage(case, student, {"area": "akademik", "problem": "RAHASIA: nilai turun"}, now=now)
    acknowledge_due(now + timedelta(seconds=30))
    db.session.commit()
    return case


def taken(make_user, answer="Halo."):
    """(student, case, counselor): a request acknowledged and taken by a counselor's answer."""
    from app.online.thread import post_message

    owner = make_user("student", units=["DKT"])
    case = acknowledged(owner)
    counselor = make_user("counselor", units=["DKT"])
    post_message(case, counselor, answer)
    db.session.commit()
    return owner, case, counselor


def window_day(counselor, mode=None):
    """A working day a week or more ahead on which `counselor` has a window 09.00–12.00 (45-minute
    sessions): tatap muka in Ruang DKT, or online with its link. Returns the day (local)."""
    from app.booking.models import Availability, Mode
    from app.sop.workcal import working_calendar

    mode = mode or Mode.IN_PERSON
    day = (utcnow().astimezone(ZoneInfo("Asia/Jakarta")) + timedelta(days=7)).date()
    while not working_calendar().is_working_day(day):
        day += timedelta(days=1)
    place = {"room": "Ruang DKT"} if mode == Mode.IN_PERSON else {"meeting_url": "https://meet.example.id/dkt"}
    db.session.add(Availability(counselor_id=counselor.id, weekday=day.weekday(), start_time=time(9),
                                end_time=time(12), session_minutes=45, buffer_minutes=15, mode=mode, **place))
    return day


def sign_in(app, user):
    client = app.test_client()
    assert client.submit("/login", {"email": user.email, "password": "rahasia123"}).status_code == 302
    return client


class Gateway(BaseHTTPRequestHandler):
    """A WhatsApp gateway on loopback that keeps what it is asked to send."""

    received: list = []

    def do_POST(self):  # noqa: N802 - http.server's name
        length = int(self.headers["Content-Length"])
        self.received.append(json.loads(self.rfile.read(length)))
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b'{"status": "queued"}')

    def log_message(self, *args):
        pass


@pytest.fixture
def whatsapp_gateway(app):
    """A fake WhatsApp gateway on a free loopback port; the app's WHATSAPP_GATEWAY_URL points at it."""
    handler = type("Handler", (Gateway,), {"received": []})
    server = HTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    old = app.config["WHATSAPP_GATEWAY_URL"]
    app.config["WHATSAPP_GATEWAY_URL"] = f"http://127.0.0.1:{server.server_address[1]}/send"
    yield handler.received
    server.shutdown()
    server.server_close()
    app.config["WHATSAPP_GATEWAY_URL"] = old


def test_the_wizard_one_stage_per_form_then_the_conversation(app, make_user):
    student = make_user("student", units=["DKT"])
    client = sign_in(app, student)
    start = client.get(f"/online/{UNPAM}/start")
    assert start.status_code == 200 and "Mulai" in start.get_data(as_text=True)
    response = client.submit(f"/online/{UNPAM}/start", {})
    assert response.status_code == 302 and response.headers["Location"].endswith("/wizard")
    wizard = response.headers["Location"]
    page = client.get(wizard).get_data(as_text=True)
    assert 'name="phone"' in page and 'type="tel"' in page and "Tahap 1 dari" in page
    refused = client.submit(wizard, {**IDENTITY, "phone": "12"}, headers={"HX-Request": "true"})
    assert refused.status_code == 422 and "Nomor WhatsApp tidak valid" in refused.get_data(as_text=True)
    assert "<html" not in refused.get_data(as_text=True)  # the stage only, swapped in place
    assert client.submit(wizard, IDENTITY).status_code == 302
    assert client.submit(wizard, {}).status_code == 302  # online: "Next"
    done = client.submit(wizard, {"area": "personal", "problem": "RAHASIA: cemas"})
    assert done.status_code == 302
    assert client.get(wizard).headers["Location"].endswith(wizard.rsplit("/", 1)[0])  # to the conversation
    thread = client.get(wizard.rsplit("/", 1)[0])
    assert thread.status_code == 200 and "Percakapan pribadi" in thread.get_data(as_text=True)


def test_another_students_conversation_and_wizard_are_404_and_the_head_reads_nothing(app, make_user):
    owner = make_user("student", units=["DKT"])
    case = acknowledged(owner)
    waiting = in_wizard(make_user("student", units=["DKT"]))
    intruder = sign_in(app, make_user("student", units=["DKT"]))
    for path in (f"/online/cases/{case.id}", f"/online/cases/{waiting.id}/wizard"):
        assert intruder.get(path).status_code == 404
    assert intruder.submit(f"/online/cases/{case.id}/messages", {"text": "Hai"}).status_code == 404
    elsewhere = sign_in(app, make_user("counselor", units=["BK-IPDN"]))  # a counselor of another unit
    assert elsewhere.get(f"/online/cases/{case.id}").status_code == 404
    head = sign_in(app, make_user("head", units=["DKT"]))
    assert head.get(f"/online/cases/{case.id}").status_code == 403
    assert sign_in(app, owner).get(f"/online/cases/{waiting.id}").status_code == 404


def test_the_counselor_answers_takes_the_case_and_htmx_fetches_only_new_messages(app, make_user):
    owner = make_user("student", units=["DKT"])
    case = acknowledged(owner)
    counselor = make_user("counselor", units=["DKT"])
    counselor_client, student_client = sign_in(app, counselor), sign_in(app, owner)
    page = counselor_client.get(f"/online/cases/{case.id}").get_data(as_text=True)
    assert "Jawab dan tangani" in page and "nilai turun" not in page  # not yet theirs: no content
    # but what the procedure lets them see first: the area and the form asked for, not who asks
    assert "<dt>Bidang</dt><dd>akademik</dd>" in page and "<dt>Bentuk konseling</dt><dd>online</dd>" in page
    assert IDENTITY["nim"] not in page and owner.name not in page
    assert counselor_client.submit(f"/online/cases/{case.id}/messages", {"text": "  "}).status_code == 422
    assert counselor_client.submit(f"/online/cases/{case.id}/messages", {"text": "Halo, saya Bu Rina."}).status_code == 302
    assert student_client.submit(f"/online/cases/{case.id}/messages", {"text": "Terima kasih, Bu."}).status_code == 302
    full = student_client.get(f"/online/cases/{case.id}").get_data(as_text=True)
    assert "Halo, saya Bu Rina." in full and "Terima kasih, Bu." in full and "RAHASIA: nilai turun" in full
    taken_page = counselor_client.get(f"/online/cases/{case.id}").get_data(as_text=True)
    assert "RAHASIA: nilai turun" in taken_page and "Anda kini menangani kasus ini" in taken_page  # told once
    assert f"Konseli: <strong>{owner.name}</strong>" in taken_page  # whom they serve, now theirs to know
    assert "Anda kini menangani" not in counselor_client.get(f"/online/cases/{case.id}").get_data(as_text=True)
    first = db.session.scalar(sa.text("select min(id) from thread_messages"))
    fragment = student_client.get(f"/online/cases/{case.id}?after={first}", headers={"HX-Request": "true"})
    body = fragment.get_data(as_text=True)
    assert "Terima kasih, Bu." in body and "Halo, saya" not in body and "<html" not in body
    assert fragment.headers["Vary"] == "HX-Request" or "HX-Request" in fragment.headers["Vary"]
    assert "Terima kasih, Bu." in counselor_client.get(f"/online/cases/{case.id}").get_data(as_text=True)
    reads = db.session.scalars(sa.select(CaseAccess.user_id).where(CaseAccess.case_id == case.id,
                                                                   CaseAccess.action == "read")).all()
    assert counselor.id in reads and owner.id in reads
    other = sign_in(app, make_user("counselor", units=["DKT"]))
    taken = other.get(f"/online/cases/{case.id}")  # taken: the team only; a colleague is told so
    assert taken.status_code == 422 and "ditangani konselor lain" in taken.get_data(as_text=True)
    assert "Terima kasih, Bu." not in taken.get_data(as_text=True)


def test_the_head_keeps_the_rota_of_their_own_units(app, make_user):
    head = make_user("head", units=["DKT"])
    counselor = make_user("counselor", name="Konselor Rota", units=["DKT"])
    client = sign_in(app, head)
    page = client.get("/online/rota").get_data(as_text=True)
    assert "Konselor Rota" in page
    unit = db.session.scalar(sa.text("select id from units where code = 'DKT'"))
    response = client.submit("/online/rota", {"unit": str(unit), "counselor": str(counselor.id), "weekday": "6",
                                              "start_time": "20:00", "end_time": "00:00"})
    assert response.status_code == 302
    shift = db.session.scalar(sa.select(DutyShift))
    assert (shift.weekday, shift.counselor_id) == (6, counselor.id)
    page = client.get("/online/rota").get_data(as_text=True)  # taking it off asks first: one tap does not
    ask = page.index('<details class="confirm"><summary>Hapus…<span class="sr-only"> Minggu 20.00–00.00 · Konselor Rota')
    assert ask < page.index(f'action="/online/rota/{shift.id}/delete"') < page.index("Ya, hapus giliran") < page.index("</details>", ask)
    other_head = sign_in(app, make_user("head", units=["BK-IPDN"]))
    assert other_head.submit(f"/online/rota/{shift.id}/delete", {}).status_code == 404
    assert client.submit(f"/online/rota/{shift.id}/delete", {}).status_code == 302
    assert db.session.scalar(sa.select(sa.func.count()).select_from(DutyShift)) == 0


def test_a_head_of_two_units_sees_each_units_shifts_and_counselors_apart(app, make_user):
    """Which unit a shift and a counselor belong to is on the page: the unit with online
    counseling comes first (the form's default), each unit's shifts under its name."""
    from markupsafe import escape

    head = make_user("head", units=["P2KLLK", "DKT"])
    dkt = make_user("counselor", name="Konselor Daring", units=["DKT"])
    make_user("counselor", name="Konselor Karier", units=["P2KLLK"])
    unit = db.session.scalar(sa.text("select id from units where code = 'DKT'"))
    client = sign_in(app, head)
    assert client.submit("/online/rota", {"unit": str(unit), "counselor": str(dkt.id), "weekday": "0",
                                          "start_time": "08:00", "end_time": "12:00"}).status_code == 302
    page = client.get("/online/rota").get_data(as_text=True)
    names = {code: str(escape(db.session.scalar(sa.text("select name from units where code = :c"), {"c": code})))
             for code in ("DKT", "P2KLLK")}
    assert page.index(f"<h3>{names['DKT']}</h3>") < page.index("Senin 08.00") < page.index(f"<h3>{names['P2KLLK']}</h3>")
    assert f"Konselor Daring ({names['DKT']})" in page and f"Konselor Karier ({names['P2KLLK']})" in page
    assert page.index(f'value="{unit}"') < page.index(f">{names['P2KLLK']}</option>")  # the default


@pytest.mark.real_commits
def test_the_tick_at_22_on_a_sunday_delivers_the_acknowledgement_by_mail_and_whatsapp(app, make_user, smtp_server,
                                                                                    whatsapp_gateway):
    from jobs.scheduler import tick

    sunday_22 = datetime(2026, 11, 29, 22, 0, tzinfo=ZoneInfo("Asia/Jakarta"))
    student = make_user("student", units=["DKT"], email="sinta@test.id")
    case = in_wizard(student, sunday_22)
    submit_stage(case, student, IDENTITY, now=sunday_22)
    submit_stage(case, student, {}, now=sunday_22)
    submit_stage(case, student, {"area": "personal", "problem": "RAHASIA"}, now=sunday_22 + timedelta(minutes=5))
    db.session.commit()
    result = tick(app, sunday_22 + timedelta(minutes=6))
    assert result["online_acknowledgements"] == {"acknowledged": 1} and result["outbox"]["sent"] >= 2
    [mail] = smtp_server.to("sinta@test.id")
    assert mail["Subject"] == "Permohonan konseling Anda sudah kami terima" and "RAHASIA" not in mail.get_content()
    assert [m["to"] for m in whatsapp_gateway] == ["+6281234567890"]
    assert f"/online/cases/{case.id}" in whatsapp_gateway[0]["message"]
    db.session.expire_all()
    assert case.current_steps()[5].state == StepState.DONE


def test_the_counselor_closes_the_open_case_with_a_report_and_the_conversation_becomes_read_only(app, make_user):
    from app.sop.models import CaseState

    owner = make_user("student", units=["DKT"])
    case = acknowledged(owner)
    counselor = make_user("counselor", units=["DKT"])
    counselor_client, student_client = sign_in(app, counselor), sign_in(app, owner)
    assert case.state == CaseState.OPEN and all(r.state == StepState.DONE for r in case.current_steps())
    assert counselor_client.submit(f"/online/cases/{case.id}/finish", {"text": "Laporan"}).status_code == 422  # not yet theirs
    assert counselor_client.submit(f"/online/cases/{case.id}/messages", {"text": "Halo."}).status_code == 302
    page = counselor_client.get(f"/online/cases/{case.id}").get_data(as_text=True)
    assert "Laporan singkat" in page and "Tutup layanan" in page
    assert "tetap terbuka untuk tindak lanjut" in counselor_client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "Tutup layanan" not in student_client.get(f"/online/cases/{case.id}").get_data(as_text=True)
    assert student_client.submit(f"/online/cases/{case.id}/finish", {"text": "Selesai"}).status_code == 422
    assert counselor_client.submit(f"/online/cases/{case.id}/finish", {"text": " "}).status_code == 422
    assert counselor_client.submit(f"/online/cases/{case.id}/finish",
                                   {"text": "RAHASIA: cukup lewat pesan."}).status_code == 302
    db.session.expire_all()
    assert db.session.get(type(case), case.id).state == CaseState.CLOSED
    closed = student_client.get(f"/online/cases/{case.id}").get_data(as_text=True)
    assert "Halo." in closed and "Layanan ini sudah selesai" in closed and "Kirim</button>" not in closed
    assert "RAHASIA: cukup" not in closed  # the report is the team's
    assert student_client.submit(f"/online/cases/{case.id}/messages", {"text": "Lagi"}).status_code == 422
    log = counselor_client.get(f"/cases/{case.id}/access").get_data(as_text=True)
    assert "menutup kasus" in log
    assert "RAHASIA: cukup lewat pesan." in counselor_client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "RAHASIA: cukup" not in student_client.get(f"/cases/{case.id}").get_data(as_text=True)


def test_a_refused_message_comes_back_in_place_for_htmx(app, make_user):
    owner = make_user("student", units=["DKT"])
    case = acknowledged(owner)
    client = sign_in(app, owner)
    refused = client.submit(f"/online/cases/{case.id}/messages", {"text": "x" * 4001}, headers={"HX-Request": "true"})
    body = refused.get_data(as_text=True)
    assert refused.status_code == 422 and body.lstrip().startswith('<div id="compose">') and 'class="error"' in body
    sent = client.submit(f"/online/cases/{case.id}/messages", {"text": "Halo"}, headers={"HX-Request": "true"})
    body = sent.get_data(as_text=True)  # an empty box; the page's poll fetches the message at once
    assert sent.status_code == 200 and body.lstrip().startswith('<div id="compose">') and "Halo" not in body
    assert sent.headers["HX-Trigger"] == "message-sent" and "HX-Redirect" not in sent.headers
    poll = client.get(f"/online/cases/{case.id}?after=0", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "Halo" in poll and 'hx-trigger="every 10s, message-sent from:body"' in poll


def test_asking_for_the_service_leads_to_the_wizard_and_the_running_request_is_continued(app, make_user):
    student = make_user("student", units=["DKT"])
    student.nim, student.prodi = "221099", "Psikologi"
    db.session.commit()
    client = sign_in(app, student)
    home = client.get("/").get_data(as_text=True)
    assert f'href="/online/{UNPAM}/start"' in home and "Ajukan layanan" in home  # straight to the wizard
    for asked in (client.get(f"/cases/new/{UNPAM}"), client.submit(f"/cases/new/{UNPAM}", {})):
        assert asked.status_code == 302 and asked.headers["Location"] == f"/online/{UNPAM}/start"
    assert db.session.scalar(db.select(db.func.count(Case.id))) == 0  # the generic form opened nothing
    started = client.submit(f"/online/{UNPAM}/start", {})
    wizard = started.headers["Location"]
    stage = client.get(wizard).get_data(as_text=True)
    assert 'value="221099"' in stage and 'value="Psikologi"' in stage  # NIM and prodi from the profile
    [case] = db.session.scalars(db.select(Case))
    home = client.get("/").get_data(as_text=True)
    assert f"kasus #{case.id}" in home and "Lanjutkan permohonan" in home  # the running request on the card
    assert client.get(f"/online/{UNPAM}/start").headers["Location"] == wizard  # continued, not asked again


def test_a_request_opened_elsewhere_continues_in_the_wizard(app, make_user):
    student = make_user("student", units=["DKT"])
    case = open_case(get_procedure(UNPAM), student, {})
    db.session.commit()
    client = sign_in(app, student)
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    wizard = f"/online/cases/{case.id}/wizard"
    assert wizard in page and f"/online/cases/{case.id}" in page  # the step leads to the wizard; the thread panel
    stage = client.get(wizard).get_data(as_text=True)
    assert "Tahap 1 dari 3" in stage and 'name="phone"' in stage


def test_the_students_own_data_export_holds_their_conversation(app, make_user):
    from app.account.services import my_data

    owner = make_user("student", units=["DKT"])
    case = acknowledged(owner)
    from app.online.thread import post_message

    post_message(case, owner, "Pesan saya sendiri")
    db.session.commit()
    [conversation] = my_data(owner)["conversations"]
    assert conversation["case_id"] == case.id and [m["text"] for m in conversation["messages"]] == ["Pesan saya sendiri"]


def test_an_invalid_whatsapp_number_is_said_under_its_own_field(app, make_user):
    student = make_user("student", units=["DKT"])
    case = in_wizard(student)
    refused = sign_in(app, student).submit(f"/online/cases/{case.id}/wizard", {**IDENTITY, "phone": "12"})
    page = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert '<p class="error" id="phone-error">Nomor WhatsApp tidak valid' in page  # under its field, not atop


def test_the_counselor_proposes_a_session_at_one_of_their_free_slots_offered_by_day(app, make_user):
    import babel.dates

    from app.booking.models import Appointment, Mode

    owner, case, counselor = taken(make_user)
    client, thread = sign_in(app, counselor), f"/online/cases/{case.id}"
    page = client.get(thread).get_data(as_text=True)
    assert "Anda tidak punya slot kosong dalam dua minggu" in page and 'name="start"' not in page
    wib = ZoneInfo("Asia/Jakarta")
    day = window_day(counselor)
    db.session.commit()
    page = client.get(thread).get_data(as_text=True)
    value = f"{day.isoformat()}T09:00"
    label = babel.dates.format_date(day, "EEE, d MMM", locale="id")  # "Rab, 2 Des": short on a phone
    assert 'name="start" required><option value="">— pilih waktu —</option>' in page  # none chosen unawares
    assert f'<option value="{value}">{label} · 09.00–09.45 · tatap muka</option>' in page
    assert page.count('<option value="' + day.isoformat()) == 3  # 9.00, 10.00, 11.00
    assert '<option selected value="online">' in page  # the form of session the student asked for
    case.data = {**case.data, "mode": Mode.IN_PERSON.value}  # as the wizard stores a tatap muka request
    db.session.commit()
    assert '<option selected value="tatap muka">' in client.get(thread).get_data(as_text=True)
    fingerprint = db_fingerprint()
    refused = client.submit(thread + "/session", {"start": "2031-01-07T09:00", "mode": Mode.IN_PERSON.value})
    assert refused.status_code == 422 and "Pilihan tidak tersedia." in refused.get_data(as_text=True)
    assert db_fingerprint() == fingerprint
    assert client.submit(thread + "/session", {"start": value, "mode": Mode.IN_PERSON.value}).status_code == 302
    [proposal] = db.session.scalars(db.select(Appointment).where(Appointment.case_id == case.id))
    assert proposal.start_at.astimezone(wib) == datetime.combine(day, time(9), wib)
    # the student is told where to answer it: on the home page, atop the conversation, and the
    # message's link to the schedule page is a link
    student = sign_in(app, owner)
    booking = f'href="/cases/{case.id}/booking"'
    home = student.get("/").get_data(as_text=True)
    assert f'{booking}>Usulan waktu sesi: pilih atau terima</a>' in home and "menunggu jawaban Anda" in home
    conversation = student.get(thread).get_data(as_text=True)
    assert "Konselor mengusulkan waktu sesi" in conversation and f'{booking}>Terima atau pilih waktu lain' in conversation
    # the proposal's own message points to the card's button; no raw link wrapped over lines on a phone
    assert "Terima atau pilih waktu lain di halaman jadwal." in conversation
    assert not re.search(r'<a href="http://[^"]+/cases/%d/booking"' % case.id, conversation)


def test_a_tatap_muka_session_is_proposed_at_a_tatap_muka_slot_only(app, make_user):
    """Its place is the slot's room: at a slot of an online window (which has a link, no room) a
    tatap muka proposal is refused; a video session may be held in it, with its own link."""
    from app.booking.models import Mode
    from app.errors import DomainError
    from app.online.thread import propose_session

    owner, case, counselor = taken(make_user)
    day = window_day(counselor, Mode.ONLINE)
    db.session.commit()
    start = datetime.combine(day, time(9), ZoneInfo("Asia/Jakarta"))
    with pytest.raises(DomainError, match="hanya pada slot tatap muka"):
        propose_session(case, counselor, start, Mode.IN_PERSON, "https://meet.example.id/lain", None)
    proposal = propose_session(case, counselor, start, Mode.ONLINE, "https://meet.example.id/lain", None)
    assert (proposal.mode, proposal.meeting_url, proposal.location) == (Mode.ONLINE, "https://meet.example.id/lain",
                                                                        None)


def test_closing_the_service_asks_first_and_waits_for_an_agreed_session_still_to_come(app, make_user):
    """Closed, the case would leave the session on both calendars: it is refused, and says why. Once
    the session is called off, both are told so in the conversation, and it may close."""
    from app.booking.models import Mode
    from app.booking.services import accept, cancel
    from app.online.thread import post_message, propose_session

    owner = make_user("student", units=["DKT"])
    case = acknowledged(owner)
    counselor = make_user("counselor", units=["DKT"])
    post_message(case, counselor, "Halo.")
    client = sign_in(app, counselor)
    page = client.get(f"/online/cases/{case.id}").get_data(as_text=True)
    ask = page.index('<details class="confirm" id="tutup">')  # closed until tapped: one tap does not close
    assert page.index("Tutup layanan…", ask) < page.index("Ya, tutup layanan", ask) < page.index("</details>", ask)
    assert "Masih ada sesi yang disepakati" not in page
    day = window_day(counselor)
    proposal = propose_session(case, counselor, datetime.combine(day, time(9)), Mode.IN_PERSON, None, None)
    db.session.commit()
    page = client.get(f"/online/cases/{case.id}").get_data(as_text=True)  # the counselor sees what they proposed
    assert "Usulan sesi terkirim: menunggu jawaban konseli" in page and "Terima atau pilih waktu lain</a>" not in page
    accept(proposal, owner)
    db.session.commit()
    page = client.get(f"/online/cases/{case.id}").get_data(as_text=True)
    assert "Masih ada sesi yang disepakati" in page and "Ya, tutup layanan" not in page
    # both find the agreed session atop the conversation; no second one is proposed meanwhile
    student_page = sign_in(app, owner).get(f"/online/cases/{case.id}").get_data(as_text=True)
    for seen in (page, student_page):
        assert "Sesi disepakati" in seen and f'href="/appointments/{proposal.id}"' in seen and "Ruang DKT" in seen
    assert "Kirim usulan" not in page
    refused = client.submit(f"/online/cases/{case.id}/finish", {"text": " "})
    assert refused.status_code == 422 and '<details class="confirm" id="tutup" open>' in refused.get_data(as_text=True)
    assert re.search(r'<textarea[^>]* autofocus[^>]*id="report_text"', refused.get_data(as_text=True))  # in sight on a phone
    fingerprint = db_fingerprint()
    refused = client.submit(f"/online/cases/{case.id}/finish", {"text": "Dua sesi, membaik."})
    assert refused.status_code == 422 and "tutup layanan setelah sesi selesai" in refused.get_data(as_text=True)
    assert db_fingerprint() == fingerprint
    cancel(proposal, owner, "Ada ujian susulan.")  # called off: said in the conversation to both
    db.session.commit()
    page, student_page = (c.get(f"/online/cases/{case.id}").get_data(as_text=True) for c in (client, sign_in(app, owner)))
    for seen in (page, student_page):
        assert "Sesi dibatalkan" in seen and "alasan: Ada ujian susulan." in seen and "Sesi disepakati" not in seen
    assert "Kirim usulan" in page and f'href="/cases/{case.id}/booking">Pilih waktu baru' in student_page
    assert client.submit(f"/online/cases/{case.id}/finish", {"text": "Dua sesi, membaik."}).status_code == 302


def test_a_session_moved_or_called_off_is_said_in_the_conversation(app, make_user):
    """Each side's change of the agreed session is a line of theirs in the conversation, with its
    reason: the person's asks the counselor for an answer, the counselor's is news on the person's
    home page. No "new message" notice: the invite or cancellation told the other side."""
    from app.booking.models import Mode
    from app.booking.services import accept, cancel, reschedule
    from app.notifications.models import OutboxMessage
    from app.online.thread import propose_session

    owner, case, counselor = taken(make_user)
    day = window_day(counselor)
    session = accept(propose_session(case, counselor, datetime.combine(day, time(9)), Mode.IN_PERSON, None, None),
                     owner)
    db.session.commit()
    student, counselor_client = sign_in(app, owner), sign_in(app, counselor)
    student.get(f"/online/cases/{case.id}")  # read up to here

    def notices():
        return db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage).where(
            OutboxMessage.key.startswith("thread:")))

    told = notices()
    reschedule(session, owner, datetime.combine(day, time(10), ZoneInfo("Asia/Jakarta")), "Bentrok kuliah")
    db.session.commit()
    page = counselor_client.get(f"/online/cases/{case.id}").get_data(as_text=True)
    assert "saya pindahkan ke" in page and "Alasan: Bentrok kuliah" in page
    assert "Pemohon menunggu balasan Anda" in counselor_client.get("/tasks").get_data(as_text=True)
    cancel(session, counselor, "Konselor sakit")
    db.session.commit()
    assert "Baca pesan baru" in student.get("/").get_data(as_text=True)
    page = student.get(f"/online/cases/{case.id}").get_data(as_text=True)
    assert "saya batalkan. Alasan: Konselor sakit" in page and "Sesi dibatalkan" in page
    assert notices() == told


def test_a_waiting_request_comes_before_the_steps_with_a_deadline_with_how_long_it_waited(app, make_user):
    """A person waits for an answer the SOP gives no standard time: the request is the first of
    "Tugas saya", the longest waiting first, with when it was asked and how long it has waited."""
    from app.sop.services import task_list

    now = utcnow()
    counselor = make_user("counselor", "staff", units=["DKT", "P2KLLK"])
    timed = open_case(get_procedure("pgri-konseling-karier"), make_user("alumni", units=["P2KLLK"]),
                      {"nim": "2019", "prodi": "PBI", "phone": "0812", "question": "Karier", "mode": "online"})

    def sent(minutes_ago, begun_minutes_ago):
        student = make_user("student", units=["DKT"])
        student.created_at = now - timedelta(days=30)
        case = in_wizard(student, now - timedelta(minutes=begun_minutes_ago))
        for values in (IDENTITY, {}, {"area": "akademik", "problem": "RAHASIA"}):
            submit_stage(case, student, values, now=now - timedelta(minutes=minutes_ago))
        acknowledge_due(now - timedelta(minutes=minutes_ago - 1))  # the app's answer is not the sending
        return case

    newer = sent(5, 6)
    older = sent(40, 180)  # begun long before it was sent: the wait counts from sending
    db.session.commit()
    with app.test_request_context():
        tasks = task_list(counselor, now)
    assert [t.case_id for t in tasks] == [older.id, newer.id, timed.id]
    assert tasks[2].due_at is not None  # its first step: the staff's, within 1 hour
    page = sign_in(app, counselor).get("/tasks").get_data(as_text=True)
    where = [page.index(f"/online/cases/{older.id}"), page.index(f"/online/cases/{newer.id}"),
             page.index(f"/cases/{timed.id}/")]
    assert where == sorted(where)
    assert "menunggu jawaban 40 menit" in page and "menunggu jawaban 5 menit" in page


def test_a_new_request_waits_in_the_tasks_of_the_counselors_who_may_take_it(app, make_user, sql):
    """... until a colleague takes it; who asks stays unseen until then: not in their case list,
    the case page not theirs (the conversation's page shows only the procedure's preview)."""
    from app.online.thread import post_message

    counselor = make_user("counselor", units=["DKT"])
    client = sign_in(app, counselor)
    first = acknowledged(make_user("student", units=["DKT"]))
    in_wizard(make_user("student", units=["DKT"]))  # still filling in: not yet waiting
    tasks = client.get("/tasks").get_data(as_text=True)
    assert tasks.count("menunggu konselor") == 1 and f"/online/cases/{first.id}" in tasks
    assert f"/online/cases/{first.id}" in client.get("/").get_data(as_text=True)  # on the home page too
    assert f'href="/cases/{first.id}"' not in client.get("/cases").get_data(as_text=True)
    assert client.get(f"/cases/{first.id}").status_code == 404
    thread = client.get(f"/online/cases/{first.id}").get_data(as_text=True)
    assert first.subject.name not in thread and f'href="/cases/{first.id}"' not in thread
    assert "menunggu konselor" not in sign_in(app, make_user("counselor", units=["BK-IPDN"])).get("/tasks").get_data(as_text=True)
    assert "menunggu konselor" not in sign_in(app, make_user("head", units=["DKT"])).get("/tasks").get_data(as_text=True)
    with sql() as few:
        client.get("/tasks")
    for _ in range(3):
        acknowledged(make_user("student", units=["DKT"]))
    with sql() as many:
        assert client.get("/tasks").get_data(as_text=True).count("menunggu konselor") == 4
    assert len(many) == len(few)  # constant number of queries
    post_message(first, make_user("counselor", units=["DKT"]), "Saya tangani.")  # taken by a colleague
    db.session.commit()
    assert f"/online/cases/{first.id}" not in client.get("/tasks").get_data(as_text=True)
    assert f'href="/cases/{first.id}"' not in client.get("/cases").get_data(as_text=True)
    # who answers a moment too late is told why, and nothing is written or read
    fingerprint = db_fingerprint()
    late = client.submit(f"/online/cases/{first.id}/messages", {"text": "Halo, saya siap mendengarkan."})
    assert late.status_code == 422 and "sudah dijawab dan ditangani konselor lain" in late.get_data(as_text=True)
    assert "Saya tangani." not in late.get_data(as_text=True) and db_fingerprint() == fingerprint
    assert "ditangani konselor lain" in client.get(f"/online/cases/{first.id}").get_data(as_text=True)
    # to anyone else the case is not there
    stranger = sign_in(app, make_user("counselor", units=["BK-IPDN"]))
    assert stranger.get(f"/online/cases/{first.id}").status_code == 404


def test_a_conversation_the_counselor_serves_stays_in_their_tasks_until_they_close_it(app, make_user, sql):
    """Once taken, the request is the counselor's task until they close it with their report: first
    of "Tugas saya" while the person waits for an answer (since their first message not answered),
    after the tasks with a deadline while the counselor has answered. Nobody else's; one query for
    any number of them."""
    from app.online.thread import close_with_report, post_message
    from app.sop.access import remove_member

    now = utcnow()
    counselor = make_user("counselor", "staff", units=["DKT", "P2KLLK"])
    owner = make_user("student", units=["DKT"])
    case = acknowledged(owner)
    post_message(case, counselor, "Halo, saya Bu Rina.")
    timed = open_case(get_procedure("pgri-konseling-karier"), make_user("alumni", units=["P2KLLK"]),
                      {"nim": "2019", "prodi": "PBI", "phone": "0812", "question": "Karier", "mode": "online"})
    db.session.commit()
    client = sign_in(app, counselor)
    thread = f"/online/cases/{case.id}"

    def listed():
        page = client.get("/tasks").get_data(as_text=True)
        return page, [page.index(thread), page.index(f"/cases/{timed.id}/")]

    page, where = listed()
    assert "lanjutkan atau tutup dengan laporan" in page and where == sorted(where)[::-1]  # after the deadline
    assert f"{case.title}</span>" in page and owner.name in case.title  # whom they serve, as every task says
    post_message(case, owner, "Terima kasih, Bu.", now=now - timedelta(minutes=25))
    post_message(case, owner, "Kapan kita bisa bicara?", now=now - timedelta(minutes=10))
    db.session.commit()
    page, where = listed()
    assert "Pemohon menunggu balasan Anda" in page and where == sorted(where)  # before it
    assert "menunggu jawaban 25 menit" in page
    post_message(case, counselor, "Besok pukul 09.00?")
    db.session.commit()
    assert "menunggu jawaban" not in listed()[0]
    for other in (make_user("counselor", units=["DKT"]), make_user("head", units=["DKT"]), owner):
        assert thread not in sign_in(app, other).get("/tasks").get_data(as_text=True)
    waiting = acknowledged(make_user("student", units=["DKT"]))  # not taken yet: nobody's name
    colleague = sign_in(app, make_user("counselor", units=["DKT"])).get("/tasks").get_data(as_text=True)
    assert f"/online/cases/{waiting.id}" in colleague and waiting.subject.name not in colleague
    with sql() as few:
        client.get("/tasks")
    for _ in range(3):
        extra = acknowledged(make_user("student", units=["DKT"]))
        post_message(extra, counselor, "Halo.")
    db.session.commit()
    with sql() as many:
        assert client.get("/tasks").get_data(as_text=True).count("lanjutkan atau tutup dengan laporan") == 4
    assert len(many) == len(few)
    close_with_report(case, counselor, "Dua sesi, membaik.")
    member = next(m for m in extra.members if m.user_id == counselor.id)
    remove_member(extra, make_user("head", units=["DKT"]), member.id, "Dialihkan ke konselor lain.")
    db.session.commit()
    page = client.get("/tasks").get_data(as_text=True)
    assert thread not in page and f"/online/cases/{extra.id}" not in page
    assert page.count("lanjutkan atau tutup dengan laporan") == 2


def test_the_person_served_sees_on_their_home_a_message_they_have_not_read_yet(app, make_user, sql):
    """A counselor's answer waits on the student's home ("Tugas saya" and the service card, a link
    to the conversation) until they read it; their own messages are no news; no extra query."""
    from app.online.thread import post_message

    owner = make_user("student", units=["DKT"])
    case = acknowledged(owner)
    client = sign_in(app, owner)
    news = f'href="/online/cases/{case.id}#terbaru"'

    def home():
        return client.get("/").get_data(as_text=True)

    with sql() as before:
        page = home()
    assert news not in page and "Lanjutkan permohonan" in page
    post_message(case, owner, "Saya tambahkan: sulit tidur.")
    db.session.commit()
    assert news not in home()  # their own words
    counselor = make_user("counselor", units=["DKT"])
    post_message(case, counselor, "Halo, saya Bu Rina.")
    db.session.commit()
    with sql() as after:
        page = home()
    assert page.count(news) == 2 and page.count("Baca pesan baru</a>") == 2  # "Tugas saya" and the card
    assert "Tidak ada langkah yang menunggu Anda" not in page  # something does
    assert "Lanjutkan permohonan" not in page and len(after) == len(before)
    assert news not in sign_in(app, make_user("student", units=["DKT"])).get("/").get_data(as_text=True)
    thread = client.get(f"/online/cases/{case.id}").get_data(as_text=True)
    assert thread.index('id="terbaru"') < thread.index("Halo, saya Bu Rina.")  # it lands on the newest
    assert news not in home() and "Lanjutkan permohonan" in home()  # read
    sent = client.submit(f"/online/cases/{case.id}/messages", {"text": "Baik, Bu."})
    assert sent.headers["Location"] == f"/online/cases/{case.id}#terbaru"  # to what was just sent
    post_message(case, counselor, "Kapan Anda bisa?")
    db.session.commit()
    assert client.get(f"/cases/{case.id}").status_code == 200  # the case page is not the conversation
    assert news in home()


def test_a_message_committed_after_a_reading_that_missed_it_stays_unread(app, make_user):
    """A counselor's message written before the student's page read the conversation, but
    committed after (so the page did not show it), is still news: what was read is counted by
    message, not by the time of the reading."""
    from app.online.thread import post_message

    owner, case, counselor = taken(make_user, "Halo, saya Bu Rina.")
    client = sign_in(app, owner)
    news = f'href="/online/cases/{case.id}#terbaru"'
    assert news in client.get("/").get_data(as_text=True)
    client.get(f"/online/cases/{case.id}")  # read: the reading is logged now
    assert news not in client.get("/").get_data(as_text=True)
    late = post_message(case, counselor, "Kapan Anda bisa?")
    late.created_at = utcnow() - timedelta(seconds=5)  # written before that reading, committed after it
    db.session.commit()
    assert news in client.get("/").get_data(as_text=True)
    client.get(f"/online/cases/{case.id}")
    assert news not in client.get("/").get_data(as_text=True)


def test_a_burst_of_messages_is_limited_and_each_recipient_gets_one_notice_until_they_open_the_thread(app, make_user):
    from app.notifications.models import OutboxMessage
    from app.online.thread import post_message

    owner, case, counselor = taken(make_user, "Halo, saya Bu Rina.")
    student = sign_in(app, owner)
    answers = [student.submit(f"/online/cases/{case.id}/messages", {"text": f"Pesan {i}"}).status_code
               for i in range(12)]
    assert answers == [302] * 10 + [429] * 2
    limited = student.submit(f"/online/cases/{case.id}/messages", {"text": "Lagi"})
    assert limited.status_code == 429 and "Terlalu banyak" in limited.get_data(as_text=True)

    def notices():
        return db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage).where(
            OutboxMessage.user_id == counselor.id, OutboxMessage.key.startswith("thread:")))

    assert notices() == 1  # ten messages, one e-mail to the counselor
    assert "Pesan 9" in sign_in(app, counselor).get(f"/online/cases/{case.id}").get_data(as_text=True)
    post_message(case, owner, "Setelah dibaca.")
    db.session.commit()
    assert notices() == 2  # opened since: told again


def test_the_wizard_goes_back_a_stage_ends_with_kirim_permohonan_and_says_the_request_is_sent(app, make_user):
    student = make_user("student", units=["DKT"])
    case = in_wizard(student)
    client = sign_in(app, student)
    wizard = f"/online/cases/{case.id}/wizard"
    first = client.get(wizard).get_data(as_text=True)
    assert "Kembali" not in first and ">Lanjut</button>" in first  # the first stage: nothing to go back to
    assert client.submit(wizard, IDENTITY).status_code == 302
    second = client.get(wizard).get_data(as_text=True)
    assert "Tahap 2 dari 3" in second and "Kembali…" in second
    assert "belum terkirim" not in second  # a stage with nothing to write warns of nothing lost
    assert client.submit(wizard, {"back": "1"}).status_code == 302
    again = client.get(wizard).get_data(as_text=True)
    assert "Tahap 1 dari 3" in again and 'value="Psikologi"' in again  # what was recorded, to correct
    assert client.submit(wizard, {**IDENTITY, "prodi": "Manajemen"}).status_code == 302
    assert client.submit(wizard, {}).status_code == 302
    last = client.get(wizard).get_data(as_text=True)
    assert "Tahap 3 dari 3" in last and ">Kirim permohonan</button>" in last and ">Lanjut</button>" not in last
    assert "belum terkirim" in last  # what is written here would be lost by going back
    sent = client.submit(wizard, {"area": "personal", "problem": "RAHASIA: cemas"})
    assert sent.status_code == 302 and sent.headers["Location"].endswith(f"/online/cases/{case.id}")
    page = client.get(sent.headers["Location"]).get_data(as_text=True)
    assert ("Permohonan terkirim; tanggapan otomatis akan dikirim dalam 2 menit ke e-mail dan WhatsApp Anda"
            in page) and "Belum ada pesan." not in page
    db.session.expire_all()
    assert db.session.get(type(case), case.id).data["prodi"] == "Manajemen"


def test_the_wizard_speaks_to_the_student_and_names_the_button_it_shows(app, make_user):
    student = make_user("student", units=["DKT"])
    client = sign_in(app, student)
    listed = client.get(f"/online/{UNPAM}/start").get_data(as_text=True)
    assert "Next" not in listed and "Peserta menuliskan" not in listed
    case = in_wizard(student)
    assert "Tuliskan identitas diri Anda" in client.get(f"/online/cases/{case.id}/wizard").get_data(as_text=True)
    assert client.submit(f"/online/cases/{case.id}/wizard", IDENTITY).status_code == 302
    page = client.get(f"/online/cases/{case.id}/wizard").get_data(as_text=True)
    assert "langsung klik Lanjut" in page and ">Lanjut</button>" in page and "Next" not in page
    assert len(get_procedure(UNPAM).steps) == 6
