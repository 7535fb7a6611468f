"""The interface says what happened in Indonesian words: the timeline and step forms show people
by name, times as "Rabu, 25 November 2026, 10.15 WIB", yes/no as "ya"/"tidak"; deadlines say
they count working hours and when they fall; conditions, states and outbox statuses in words;
a delivery error as a sentence saying what to check (the raw error folded away); refusals stay
next to the form they refuse."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from html.parser import HTMLParser

import pytest
import time_machine

from app.extensions import db
from app.notifications.models import Channel, OutboxMessage, OutboxStatus
from app.sop.registry import get_procedure
from app.sop.services import complete_step, open_case

WIB = timezone(timedelta(hours=7))
KARIER = {"nim": "19010001 / 2023", "prodi": "Pendidikan Matematika", "phone": "0812 3456 7890", "mode": "online",
          "question": "Guru atau analis data?"}
# Raw values that must never reach the reader of an Indonesian page.
ENUMS = re.compile(r"\b(pending|active|done|skipped|open|closed|cancelled|sent|failed|unsendable|withdrawn|"
                   r"email|whatsapp|True|False|None)\b")


class _Text(HTMLParser):
    """The text a reader sees (no tags, attributes, scripts), optionally leaving <details> out."""

    def __init__(self, skip_details: bool):
        super().__init__()
        self.parts, self.skip, self.depth = [], {"script", "style"} | ({"details"} if skip_details else set()), 0

    def handle_starttag(self, tag, attrs):
        if tag in self.skip:
            self.depth += 1

    def handle_endtag(self, tag):
        if tag in self.skip:
            self.depth -= 1

    def handle_data(self, data):
        if not self.depth:
            self.parts.append(data)


def visible(html: str, skip_details: bool = False) -> str:
    parser = _Text(skip_details)
    parser.feed(html)
    return re.sub(r"\s+", " ", " ".join(parser.parts))


def login(app, user):
    client = app.test_client()
    assert client.submit("/login", {"email": user.email, "password": "rahasia123"}).status_code == 302
    return client


@pytest.fixture
def people(app, make_user):
    return {"alumnus": make_user("alumni", name="Budi Santoso", phone="+62 812-3456-7890"),
            "staff": make_user("staff", name="Sri Wahyuni"), "head": make_user("head", name="Dr. Hartono"),
            "counselor": make_user("counselor", name="Ratna Dewi, M.Psi.")}


@pytest.fixture
def fresh_case(people):
    """A career-counseling case opened on Tuesday 24 November 2026 at 15.45 WIB: its first step
    (1 jam kerja) falls due at 08.45 the next morning, the office closing at 16.00."""
    case = open_case(get_procedure("pgri-konseling-karier"), people["alumnus"], dict(KARIER),
                     now=datetime(2026, 11, 24, 15, 45, tzinfo=WIB))
    db.session.commit()
    return case


@pytest.fixture
def agreed_case(fresh_case, people):
    """The same case up to the counseling session: a counselor assigned, a time and a link agreed,
    the room declared ready."""
    case = fresh_case
    moment = datetime(2026, 11, 24, 15, 50, tzinfo=WIB)
    complete_step(case, "izin_tu", people["staff"], {}, now=moment)
    complete_step(case, "form_permohonan", people["staff"], {"complete": "lengkap"}, now=moment)
    complete_step(case, "rekomendasi", people["head"], {"counselor": str(people["counselor"].id)}, now=moment)
    complete_step(case, "kesepakatan", people["counselor"],
                  {"agreed_at": datetime(2026, 11, 25, 10, 15), "place": "https://meet.example.id/karier-budi"},
                  now=moment)
    complete_step(case, "fasilitas", people["staff"], {"room_ready": True}, now=moment)
    db.session.commit()
    return case


# -- the filters every template uses --------------------------------------------------------
def test_one_reading_of_dates_times_and_yes_no(app):
    from app.filters import date_filter, datetime_filter, time_left, yesno

    with app.test_request_context():
        assert datetime_filter(datetime(2026, 11, 25, 3, 15, tzinfo=timezone.utc)) == "Rabu, 25 November 2026, 10.15 WIB"
        # What a form stored as ISO text without an offset is local time, read the same way.
        assert datetime_filter("2026-11-25T10:15:00") == "Rabu, 25 November 2026, 10.15 WIB"
        assert date_filter("2026-11-25") == "Rabu, 25 November 2026"
        assert datetime_filter(None) == "—"
        assert (yesno(True), yesno(False), yesno(None)) == ("ya", "tidak", "—")
        now = datetime(2026, 11, 24, 12, 45, tzinfo=timezone.utc)
        assert time_left(now + timedelta(hours=13), now) == "13 jam lagi"
        assert time_left(now - timedelta(hours=2), now) == "lewat 2 jam"


@pytest.mark.parametrize("zone", ["Asia/Jakarta", "Asia/Jayapura", "Europe/Berlin", "America/Sao_Paulo"])
@pytest.mark.parametrize("lang", ["id", "en"])
def test_the_named_styles_read_as_babel_writes_them(app, zone, lang):
    """The filters build the named styles from parts kept once formatted; each moment of two
    years (summer time included where the zone has it) reads exactly as Babel's pattern does,
    but for the zone: its own abbreviation where it has one (WIB, WIT, CET; not Sao Paulo's "-03"),
    in every language."""
    from flask import session
    from flask_babel import format_date, format_datetime, get_timezone, refresh

    from app.filters import DATE_STYLES, DATETIME_STYLES, date_filter, datetime_filter, time_filter

    original, app.config["APP_TIMEZONE"] = app.config["APP_TIMEZONE"], zone
    try:
        with app.test_request_context():
            session["lang"] = lang
            refresh()
            start = datetime(2026, 1, 1, tzinfo=timezone.utc)
            def babel(when, pattern):
                text, own = format_datetime(when, pattern), when.astimezone(get_timezone()).tzname()
                return f"{text.rsplit(' ', 1)[0]} {own}" if own.isalpha() else text

            for hours in range(0, 2 * 365 * 24, 37):
                when = start + timedelta(hours=hours, minutes=hours % 60)
                for style, pattern in DATETIME_STYLES.items():
                    assert datetime_filter(when, style) == babel(when, pattern), (when, style)
                for style, pattern in DATE_STYLES.items():
                    assert date_filter(when, style) == format_date(when.astimezone(get_timezone()).date(), pattern)
                assert time_filter(when) == babel(when, DATETIME_STYLES["time"])
    finally:
        app.config["APP_TIMEZONE"] = original


# -- the timeline ---------------------------------------------------------------------------
def test_timeline_shows_people_by_name_times_in_words_and_ya(app, agreed_case, people):
    with time_machine.travel(datetime(2026, 11, 24, 16, 0, tzinfo=WIB), tick=False):
        page = login(app, people["head"]).get(f"/cases/{agreed_case.id}").get_data(as_text=True)
    text = visible(page)
    counselor = people["counselor"]
    assert f"Konselor yang ditugaskan {counselor.name}" in text
    assert "Waktu yang disepakati Rabu, 25 November 2026, 10.15 WIB" in text
    assert "Ruang/fasilitas siap ya" in text
    assert 'href="https://meet.example.id/karier-budi"' in page
    assert "2026-11-25T10:15" not in page and f"<dd>{counselor.id}</dd>" not in page
    assert ENUMS.findall(text) == []


def test_the_deadline_says_it_counts_working_hours_and_when_it_falls(app, fresh_case, people):
    with time_machine.travel(datetime(2026, 11, 24, 19, 45, tzinfo=WIB), tick=False):
        staff = login(app, people["staff"])
        case_page = visible(staff.get(f"/cases/{fresh_case.id}").get_data(as_text=True))
        step_page = visible(staff.get(f"/cases/{fresh_case.id}/steps/izin_tu").get_data(as_text=True))
        tasks = visible(staff.get("/tasks").get_data(as_text=True))
    sentence = "Baku mutu 1 jam kerja · tenggat Rabu, 25 November 2026, 08.45 WIB (13 jam lagi)"
    assert sentence in case_page and sentence in step_page
    assert "tenggat Rabu, 25 November 2026, 08.45 WIB (13 jam lagi)" in tasks
    for text in (case_page, step_page, tasks):
        assert "dalam 13 jam" not in text and ENUMS.findall(text) == []


def test_a_conditional_step_names_its_condition_by_label_and_answer(app, make_user):
    client = login(app, make_user("advisor"))
    text = visible(client.get("/procedures/ik-konseling-rujukan").get_data(as_text=True))
    assert "hanya bila \u201cMembutuhkan layanan lanjutan dari pihak eksternal?\u201d dijawab \u201cya\u201d" in text
    assert "needs_external" not in text and "agreed_at" not in text
    staff = login(app, make_user("staff"))  # the advisor has no part in career counseling: 404 for them
    karier = visible(staff.get("/procedures/pgri-konseling-karier").get_data(as_text=True))
    assert "1 jam kerja, sejak pengajuan" in karier and "penerima layanan" in karier and "assignee" not in karier


# -- step forms -----------------------------------------------------------------------------
def test_the_step_form_shows_the_client_the_agreed_meeting_and_what_the_actor_may_read(app, agreed_case, people):
    with time_machine.travel(datetime(2026, 11, 24, 16, 0, tzinfo=WIB), tick=False):
        page = login(app, people["counselor"]).get(f"/cases/{agreed_case.id}/steps/pelaksanaan").get_data(as_text=True)
    text = visible(page)
    assert "Penerima layanan Budi Santoso" in text
    assert people["alumnus"].email in text and "+62 812-3456-7890" in text
    assert "Waktu yang disepakati Rabu, 25 November 2026, 10.15 WIB" in text
    assert "https://meet.example.id/karier-budi" in text
    assert "Guru atau analis data?" in text  # the counselor is the case team: the request is theirs to read
    assert ENUMS.findall(text) == []


def test_a_step_form_shows_no_confidential_value_its_reader_may_not_read(app, agreed_case, people):
    with time_machine.travel(datetime(2026, 11, 24, 16, 0, tzinfo=WIB), tick=False):
        page = login(app, people["staff"]).get(f"/cases/{agreed_case.id}/steps/pelaksanaan").get_data(as_text=True)
    text = visible(page)
    assert "Budi Santoso" in text and "Rabu, 25 November 2026, 10.15 WIB" in text
    assert "Guru atau analis data?" not in page and "rahasia" in text


def test_a_step_that_is_not_active_says_its_state_in_words(app, agreed_case, people):
    page = login(app, people["staff"]).get(f"/cases/{agreed_case.id}/steps/izin_tu").get_data(as_text=True)
    assert "(status: selesai)" in visible(page)


# -- the outbox -----------------------------------------------------------------------------
def outbox_row(**values):
    row = OutboxMessage(key=f"k-{values['recipient']}-{values['channel']}", subject="Pengingat tenggat",
                        body="…", attempts=values.pop("attempts", 12), **values)
    db.session.add(row)
    return row


def test_outbox_says_statuses_channels_and_errors_in_words(app, make_user):
    app.config.update(MAIL_SERVER="localhost", MAIL_PORT=25)
    outbox_row(channel=Channel.EMAIL, recipient="budi@test.id", status=OutboxStatus.FAILED,
               last_error="ConnectionRefusedError: [Errno 111] Connection refused")
    outbox_row(channel=Channel.WHATSAPP, recipient="+628123", status=OutboxStatus.UNSENDABLE,
               last_error="WHATSAPP_GATEWAY_URL belum diatur; pesan tidak dikirim.")
    outbox_row(channel=Channel.WHATSAPP, recipient="+628124", status=OutboxStatus.PENDING, attempts=1,
               last_error="HTTPError: HTTP Error 401: Unauthorized")
    outbox_row(channel=Channel.EMAIL, recipient="sri@test.id", status=OutboxStatus.SENT)
    db.session.commit()
    page = login(app, make_user("admin")).get("/admin/outbox").get_data(as_text=True)
    text, folded = visible(page, skip_details=True), visible(page)
    assert "Server e-mail tidak dapat dihubungi (MAIL_SERVER localhost:25). Periksa" in text
    assert "WHATSAPP_GATEWAY_URL kosong" in text and "Periksa WHATSAPP_GATEWAY_TOKEN" in text
    assert "ConnectionRefusedError" not in text and "ConnectionRefusedError: [Errno 111]" in folded  # for the admin
    for words in ("gagal", "tidak dapat dikirim", "menunggu dikirim", "terkirim", "E-mail", "WhatsApp/SMS"):
        assert words in text
    assert ENUMS.findall(text) == []
    assert "Pengingat tenggat" not in page  # who is sent what, never what about (who asked for counseling)


def test_retrying_a_message_returns_to_the_list_as_it_was_filtered(app, make_user):
    row = outbox_row(channel=Channel.EMAIL, recipient="budi@test.id", status=OutboxStatus.FAILED, last_error="x")
    db.session.commit()
    response = login(app, make_user("admin")).submit(f"/admin/outbox/{row.id}/retry", {"status": "failed"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/admin/outbox?status=failed")


# -- refusals next to their form ------------------------------------------------------------
def test_a_refused_team_change_shows_next_to_that_member_with_what_was_typed(app, agreed_case, people):
    member = next(m for m in agreed_case.team() if m.user_id == people["counselor"].id)
    response = login(app, people["head"]).submit(f"/cases/{agreed_case.id}/team/{member.id}/remove", {"note": "   "})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    error = re.search(rf'<p class="error" id="remove-note-{member.id}-error"[^>]*>([^<]+)</p>', page)
    assert error and "alasan" in error.group(1)
    assert 'class="flash flash-error"' not in page  # not a banner far from the form


def test_a_refused_step_keeps_what_was_typed(app, agreed_case, people):
    client = login(app, people["counselor"])
    response = client.submit(f"/cases/{agreed_case.id}/steps/pelaksanaan", {"attendance": "mungkin"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and "Pilihan tidak tersedia." in page
    assert "Budi Santoso" in visible(page)  # still the step's page, with what the actor needs
    assert "Kembali ke beranda" not in page



def test_english_pages_name_the_time_zone_as_indonesians_do(app):
    """"WIB", not "+0700" (CLDR names Indonesia's zones in Indonesian only): times, sessions and
    the times in messages (booking, e-konseling) all read it."""
    from flask import session
    from flask_babel import refresh

    from app.booking.words import session_time
    from app.filters import datetime_filter, span_filter, time_filter

    with app.test_request_context():
        session["lang"] = "en"
        refresh()
        when = datetime(2026, 11, 25, 3, 15, tzinfo=timezone.utc)
        assert datetime_filter(when) == session_time(when) == "Wednesday, 25 November 2026, 10.15 WIB"
        assert span_filter(when, when + timedelta(hours=1)) == "Wednesday, 25 November 2026, 10.15–11.15 WIB"
        assert time_filter(when) == "10.15 WIB"
