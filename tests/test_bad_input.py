"""The bad-input sweep: every form gets malformed, oversized, empty, wrong-type and
script-carrying values; the answer is never a 500, always a clear Indonesian error, and the
database is left exactly as it was.

Each form is one row of FORMS: where it lives, who posts it, a valid submission, and for each
field the kinds of bad value it must refuse. A new form joins by adding a row.

Beyond the forms: every route with every path parameter at its extremes, every page with its
query parameters at their extremes, every form field with extreme values, and every command of
the command line with extreme arguments: never a server error, never a traceback.
"""
from __future__ import annotations

import string
from dataclasses import dataclass, field
from typing import Callable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import db_fingerprint

LETTERS = string.ascii_letters + "ąéß漢字 "
SCRIPTS = ['<script>alert(1)</script>', '"><img src=x onerror=alert(1)>', "<svg/onload=alert(1)>",
           "javascript:alert(1)<b>"]


def empty():
    return st.sampled_from(["", "   ", "\t"])


def oversized(limit: int):
    """Longer than `limit` once stripped: a short random text repeated past the limit."""
    return st.builds(lambda piece, extra: (piece * (limit // len(piece) + 2))[: limit + 1 + extra].strip() + "x" * 2,
                     st.text(alphabet=string.ascii_letters + "ąéß漢字", min_size=1, max_size=40),
                     st.integers(min_value=0, max_value=300))


def script():
    return st.builds(lambda pre, tag: pre + tag, st.text(alphabet=LETTERS, max_size=10), st.sampled_from(SCRIPTS))


def control():
    return st.builds(lambda a, c, b: a + c + b, st.text(alphabet=LETTERS, min_size=1, max_size=10),
                     st.sampled_from(["\x00", "\x07", "\x1b"]), st.text(alphabet=LETTERS, max_size=10))


def not_email():
    return st.text(alphabet=LETTERS + "!#$%", min_size=1, max_size=60).filter(lambda s: "@" not in s and s.strip())


def broken_template():
    return st.sampled_from(["{{ person ", "{% if person %}tanpa akhir", "{{ person }", "{% for %}", "{{ 1 + }}"])


def runaway_template():
    """Templates that reach for other files or hosts, or grow without bound (the slow loops are in
    tests/test_documents_security.py: each costs the render deadline)."""
    return st.sampled_from(["{% include 'base.html' %}", "{% extends 'base.html' %}", "{% import 'x' as y %}",
                            "{{ 'x' * 10**9 }}", "{{ 7 ** 999999 }}", "{{ 'x'|center(10**9) }}",
                            "{% macro f(n) %}{{ f(n) }}{% endmacro %}{{ f(1) }}",
                            '<a rel="attachment" href="file:///etc/passwd">a</a>',
                            '<style>@import url("http://127.0.0.1:9/x.css");</style>'])


def unknown_placeholder():
    return st.from_regex(r"[a-z]{3,12}", fullmatch=True).map(lambda name: "<p>{{ zz_" + name + " }}</p>")


def no_seq():
    return st.text(alphabet=string.ascii_uppercase + "/-", min_size=1, max_size=40).filter(lambda s: s.strip())


def unknown_number_field():
    return st.from_regex(r"[a-z]{3,10}", fullmatch=True).filter(
        lambda n: n not in {"seq", "year", "month", "unit"}).map(lambda n: "{seq}/{" + n + "}")


def not_time():
    return st.one_of(st.text(alphabet=LETTERS + ":", min_size=1, max_size=10), st.just("25:61"))


def not_url():
    return st.text(alphabet=LETTERS + ":/", min_size=1, max_size=40).filter(lambda s: s.strip() and "://" not in s)


def case_for_booking(me, make_user, booked=False, counselor=None):
    """`me` (an alumnus) with a career case assigned to `counselor` (a new one by default); booked when asked."""
    from datetime import date, time, timedelta

    from app.booking.models import Availability, Mode
    from app.booking.services import book, free_slots
    from app.extensions import db
    from app.sop.models import Case

    world = karier_case(me, make_user)
    case = db.session.get(Case, world["case"])
    counselor = counselor or make_user("counselor")
    for weekday in range(7):
        db.session.add(Availability(counselor_id=counselor.id, weekday=weekday, start_time=time(0), end_time=time(23),
                                    mode=Mode.IN_PERSON, room="R1"))
    from app.sop.access import assign

    case.subject = me
    assign(case, counselor, "counselor", counselor)  # the case team, as the assignment step makes it
    db.session.commit()
    if booked:
        slot = free_slots(counselor, date.today() + timedelta(days=2), 7)[0]
        world["appointment"] = book(case, me, slot.start).id
        db.session.commit()
    return world


def not_phone():
    return st.text(alphabet=string.ascii_letters + "!?*", min_size=1, max_size=30).filter(lambda s: s.strip())


def short(min_len: int):
    return st.text(alphabet=string.ascii_letters, min_size=1, max_size=min_len - 1)


def unknown_choice():
    return st.text(alphabet=string.ascii_lowercase + "_", min_size=1, max_size=30).filter(
        lambda s: s not in {"admin", "staff", "head", "counselor", "committee", "kaprodi", "rectorate",
                            "advisor", "student", "alumni", "client", "employee"})


@dataclass
class Form:
    name: str
    path: Callable[[dict], str]
    role: str | None
    valid: dict
    bad: dict[str, list] = field(default_factory=dict)
    prepare: Callable | None = None  # (me, make_user) -> world, for forms that need records


def not_datetime():
    return st.one_of(st.text(alphabet=LETTERS + "-:/", min_size=1, max_size=30), st.just("2026-13-45T25:61"))


def not_date():
    return st.one_of(st.text(alphabet=LETTERS + "-/", min_size=1, max_size=20), st.just("2026-02-30"))


FAR_DATES = ["9999-12-31", "0001-01-01", "1999-12-31", "2101-01-01"]
FAR_TIMES = ["9999-12-31T23:59", "0001-01-01T00:00", "1999-12-31T23:59", "2101-01-01T00:00"]
HUGE_IDS = ["99999999999999999999", str(2**63), str(2**31), "-1", "0", "9" * 400]


def far_date():
    """A real date at or beyond the calendar's ends, outside the years the app serves."""
    return st.sampled_from(FAR_DATES)


def far_datetime(offsets=("",)):
    """A real local date-time (with one of `offsets`) outside the years the app serves."""
    return st.builds(lambda moment, offset: moment + offset, st.sampled_from(FAR_TIMES), st.sampled_from(offsets))


def huge_id():
    return st.sampled_from(HUGE_IDS)


KARIER = {"nim": "1901", "prodi": "Pendidikan Matematika", "phone": "0812", "question": "Pertanyaan",
          "mode": "online"}


def reset_link(make_user) -> dict:
    from app.auth.tokens import PASSWORD_RESET, issue_token
    from app.extensions import db

    raw, _ = issue_token(make_user("student"), PASSWORD_RESET)
    db.session.commit()
    return {"token": raw}


def account_link(purpose: str):
    """A one-time link of `purpose` for a new, unconfirmed account (password "rahasia123")."""
    def prepare(me, make_user) -> dict:
        from app.auth import tokens
        from app.extensions import db

        raw, _ = tokens.issue_token(make_user("alumni", email_confirmed_at=None), getattr(tokens, purpose))
        db.session.commit()
        return {"token": raw}

    return prepare


def staff_role():
    return st.sampled_from(["admin", "staff", "head", "counselor", "committee", "kaprodi", "rectorate", "advisor"])


PROFILE_FIELDS = {
    "name": [empty(), oversized(120), script(), control()],
    "nim": [oversized(40), script(), control()],
    "prodi": [oversized(120), script(), control()],
    "graduation_year": [not_phone(), st.sampled_from(["1800", "3000", "-1", "2024.5"]), huge_id()],
    "whatsapp": [not_phone(), oversized(20), script(), st.sampled_from(["12345", "0212345678", "+1 415 555 0100"])],
}


def karier_case(me, make_user, steps=()):
    """A career-counseling case; `steps` are completed by `me` (who must be allowed)."""
    from app.extensions import db
    from app.sop.registry import get_procedure
    from app.sop.services import complete_step, open_case

    case = open_case(get_procedure("pgri-konseling-karier"), make_user("alumni"), dict(KARIER))
    for key, values in steps:
        complete_step(case, key, me, values)
    db.session.commit()
    return {"case": case.id}


def karier_with_counselor(me, make_user):
    """At the recommendation step with a counselor named by `me` (a head): the letter has its addressee."""
    from app.extensions import db
    from app.sop.access import assign
    from app.sop.models import Case

    world = karier_case(make_user("staff"), make_user, [("izin_tu", {}), ("form_permohonan", {"complete": "lengkap"})])
    assign(db.session.get(Case, world["case"]), make_user("counselor"), "counselor", me)
    db.session.commit()
    return world


def karier_at_agreement(me, make_user):
    head, staff = make_user("head"), make_user("staff")
    world = karier_case(staff, make_user, [("izin_tu", {}), ("form_permohonan", {"complete": "lengkap"})])
    from app.extensions import db
    from app.sop.models import Case
    from app.sop.services import complete_step

    case = db.session.get(Case, world["case"])
    complete_step(case, "rekomendasi", head, {"counselor": str(me.id)})
    db.session.commit()
    return world


def workshop_edition(me, make_user, registered: bool = False) -> dict:
    """A workshop edition open for registration, with two study programmes (and one registration)."""
    from datetime import datetime, timedelta, timezone

    from app.extensions import db
    from app.sop.registry import get_procedure
    from app.sop.services import open_case
    from app.workshops.models import StudyProgram, Workshop
    from app.workshops.registrations import Applicant, register

    db.session.add_all([StudyProgram(code="PMAT", name="Pendidikan Matematika"), StudyProgram(code="TI", name="TI")])
    case = open_case(get_procedure("pgri-minat-bakat"), make_user("head"),
                     {"panitia_ditetapkan": "2030-12-01T09:00", "committee": "Panitia"})
    workshop = Workshop(case=case, title="Workshop", capacity=2, registration_open=True,
                        starts_at=datetime.now(timezone.utc) + timedelta(days=30))
    db.session.add(workshop)
    db.session.flush()
    world = {"workshop": workshop.id}
    if registered:
        registration = register(workshop, Applicant("23019999", "Peserta", "PMAT", 3, "peserta@test.id"))
        world |= {"registration": registration.id, "ticket": registration.ticket}
    db.session.commit()
    return world


WORKSHOP_REGISTRATION = {"nim": "23010001", "name": "Mahasiswa Baru", "prodi": "PMAT", "semester": "3",
                         "email": "mhs@test.id", "whatsapp": "0812 3456 7890"}
WORKSHOP_FIELDS = {
    "nim": [empty(), oversized(20), script(), control()],
    "name": [empty(), oversized(200), script(), control()],
    "prodi": [unknown_choice(), script()],
    "email": [empty(), oversized(254), not_email(), script()],
    "whatsapp": [not_phone(), oversized(20), script()],
}


USER_FIELDS = {
    "name": [empty(), oversized(120), script(), control()],
    "email": [empty(), oversized(254), not_email(), script()],
    "phone": [not_phone(), oversized(20), script()],
    "employee_number": [oversized(40), script()],
    "roles": [unknown_choice(), empty()],
    "password": [short(8), oversized(256)],
}

FORMS = [
    Form("login", lambda w: "/login", None, {"email": "tidakada@test.id", "password": "salahsalah"},
         {"email": [empty(), oversized(254), not_email(), script(), control()],
          "password": [empty(), oversized(256), script()]}),
    Form("auth.change_password", lambda w: "/account/password", "student",
         {"current_password": "rahasia123", "password": "baru-sekali-1", "confirm": "baru-sekali-1"},
         {"current_password": [empty(), oversized(256)], "password": [empty(), short(8), oversized(256)],
          "confirm": [empty(), short(8)]}),
    Form("auth.forgot_password", lambda w: "/password/forgot", None, {"email": "ada@test.id"},
         {"email": [empty(), oversized(254), not_email(), script(), control()]}),
    Form("auth.reset_password", lambda w: f"/password/reset/{w['token']}", None,
         {"password": "baru-sekali-1", "confirm": "baru-sekali-1"},
         {"password": [empty(), short(8), oversized(256)], "confirm": [empty(), short(8)]},
         prepare=lambda me, make_user: reset_link(make_user)),
    Form("admin.new_user", lambda w: "/admin/users/new", "admin",
         {"name": "Nama Baru", "email": "baru@test.id", "roles": "student", "password": "rahasia123", "active": "y"},
         USER_FIELDS),
    Form("admin.edit_user", lambda w: f"/admin/users/{w['user'].id}", "admin",
         {"name": "Nama Diubah", "email": "ubah@test.id", "roles": "alumni", "active": "y"},
         {k: v for k, v in USER_FIELDS.items() if k != "password"} | {"password": [short(8), oversized(256)]}),
    Form("sop.new_case", lambda w: "/cases/new/pgri-konseling-karier", "alumni", dict(KARIER),
         {"nim": [empty(), oversized(40), script(), control()], "prodi": [empty(), oversized(120), script()],
          "question": [empty(), oversized(4000)], "mode": [empty(), unknown_choice()]}),
    Form("sop.new_case (penerima)", lambda w: "/cases/new/pgri-konseling-karier", "staff", dict(KARIER),
         {"subject_id": [huge_id(), empty(), unknown_choice()]}, prepare=lambda me, mu: {"alumnus": mu("alumni").id}),
    Form("sop.step_form (pengguna)", lambda w: f"/cases/{w['case']}/steps/rekomendasi", "head", {"counselor": ""},
         {"counselor": [huge_id(), empty(), unknown_choice()]},
         prepare=lambda me, make_user: karier_case(make_user("staff"), make_user,
                                                   [("izin_tu", {}), ("form_permohonan", {"complete": "lengkap"})])),
    Form("sop.step_form (pilihan)", lambda w: f"/cases/{w['case']}/steps/form_permohonan", "staff",
         {"complete": "lengkap"}, {"complete": [empty(), unknown_choice(), script()]},
         prepare=lambda me, make_user: karier_case(me, make_user, [("izin_tu", {})])),
    Form("sop.step_form (waktu)", lambda w: f"/cases/{w['case']}/steps/kesepakatan", "counselor",
         {"agreed_at": "2026-11-25T10:00", "place": "Ruang 1"},
         {"agreed_at": [empty(), not_datetime(), far_datetime()], "place": [empty(), oversized(300), script()]},
         prepare=karier_at_agreement),
    Form("sop.calendar_settings", lambda w: "/admin/calendar", "admin",
         {"day": "2026-12-31", "open": "closed", "reason": "Libur akhir tahun"},
         {"day": [empty(), not_date(), far_date()], "open": [unknown_choice()],
          "reason": [empty(), oversized(200), script()]}),
    Form("documents.edit_template", lambda w: "/admin/letters/surat_tugas", "admin",
         {"body": "<p>{{ person }}</p>", "number_format": "{seq:03d}/ST/{year}", "action": "save"},
         {"body": [empty(), oversized(20000), broken_template(), unknown_placeholder(), runaway_template()],
          "number_format": [empty(), oversized(120), no_seq(), unknown_number_field()]}),
    Form("documents.letterhead", lambda w: "/admin/letterhead", "admin",
         {"name": "Universitas Contoh", "unit": "Pusat Karier", "unit_code": "PK"},
         {"name": [empty(), oversized(200), script()], "unit_code": [empty(), oversized(30), script()],
          "email": [not_email(), script()]}),
    Form("documents.issue", lambda w: f"/cases/{w['case']}/letters/surat_rekomendasi", "head", {"recipient": ""},
         {"recipient": [oversized(200), script(), control()]},
         prepare=lambda me, make_user: karier_with_counselor(me, make_user)),
    Form("booking.add_availability", lambda w: "/booking/availability", "counselor",
         {"weekday": "0", "start_time": "09:00", "end_time": "12:00", "session_minutes": "60", "buffer_minutes": "15",
          "mode": "online", "meeting_url": "https://meet.example/abc"},
         {"weekday": [empty(), unknown_choice()], "start_time": [empty(), not_time()], "end_time": [not_time(), st.just("08:00")],
          "session_minutes": [empty(), not_phone(), st.sampled_from(["0", "-5", "999999"]), huge_id()],
          "mode": [empty(), unknown_choice()], "meeting_url": [empty(), not_url(), oversized(500)]}),
    Form("booking.add_leave", lambda w: "/booking/leave", "counselor", {"day": "2026-12-31", "reason": "Cuti"},
         {"day": [empty(), not_date(), far_date()], "reason": [empty(), oversized(200), script()]}),
    Form("booking.save_rules", lambda w: "/booking/rules", "counselor", {"min_notice_hours": "12", "horizon_days": "30"},
         {"min_notice_hours": [empty(), not_phone(), st.sampled_from(["-1", "100000"])],
          "horizon_days": [empty(), st.sampled_from(["0", "366", "1e9"]), huge_id()]}),
    Form("booking.book_slot", lambda w: f"/cases/{w['case']}/booking", "alumni", {"start": "2026-11-24T09:00+07:00"},
         {"start": [empty(), not_datetime(), st.just("2020-01-01T09:00+07:00"), far_datetime(("", "+07:00", "+14:00", "-12:00"))]},
         prepare=lambda me, mu: case_for_booking(me, mu)),
    Form("booking.propose_times", lambda w: f"/cases/{w['case']}/proposals", "counselor", {"first": "2026-11-24T09:00"},
         {"first": [empty(), not_datetime(), far_datetime()], "second": [not_datetime(), far_datetime()],
          "third": [far_datetime()]}, prepare=lambda me, mu: case_for_booking(mu("alumni"), mu, counselor=me)),
    Form("booking.reschedule_appointment", lambda w: f"/appointments/{w['appointment']}/reschedule", "alumni",
         {"reason": "Bentrok", "start": "2026-11-24T09:00+07:00"},
         {"start": [not_datetime(), far_datetime(("", "+07:00", "+14:00"))], "reason": [empty(), oversized(500)]},
         prepare=lambda me, mu: case_for_booking(me, mu, booked=True)),
    Form("booking.cancel_appointment", lambda w: f"/appointments/{w['appointment']}/cancel", "alumni",
         {"reason": "Sakit"}, {"reason": [empty(), oversized(500)]},
         prepare=lambda me, mu: case_for_booking(me, mu, booked=True)),
    Form("auth.register", lambda w: "/register", None,
         {"name": "Alumni Baru", "email": "daftar@test.id", "role": "alumni", "password": "rahasia123",
          "confirm": "rahasia123"},
         {"name": [empty(), oversized(120), script(), control()],
          "email": [empty(), oversized(254), not_email(), script(), control()],
          "role": [empty(), unknown_choice(), staff_role()],
          "password": [empty(), short(8), oversized(256)], "confirm": [empty(), short(8)]}),
    Form("auth.resend_confirmation", lambda w: "/register/resend", None, {"email": "ada@test.id"},
         {"email": [empty(), oversized(254), not_email(), script(), control()]}),
    Form("auth.confirm_email", lambda w: f"/register/confirm/{w['token']}", None, {"password": "rahasia123"},
         {"password": [empty(), oversized(256), short(8)]}, prepare=account_link("CONFIRM_EMAIL")),
    Form("auth.set_first_password", lambda w: f"/account/setup/{w['token']}", None,
         {"password": "baru-sekali-1", "confirm": "baru-sekali-1"},
         {"password": [empty(), short(8), oversized(256)], "confirm": [empty(), short(8)]},
         prepare=account_link("SET_PASSWORD")),
    Form("auth.profile", lambda w: "/account/profile", "alumni",
         {"name": "Nama Saya", "nim": "1901020304", "prodi": "PMat", "graduation_year": "2024",
          "whatsapp": "0812 3456 7890"}, PROFILE_FIELDS),
    Form("auth.register_client", lambda w: "/accounts/clients/new", "staff",
         {"name": "Klien Datang", "email": "klien.datang@test.id", "role": "client", "whatsapp": "081234567890"},
         PROFILE_FIELDS | {"email": [empty(), oversized(254), not_email(), script()],
                           "role": [empty(), unknown_choice(), staff_role()]}),
    Form("workshops.register", lambda w: f"/workshops/{w['workshop']}/register", None, dict(WORKSHOP_REGISTRATION),
         WORKSHOP_FIELDS | {"prodi": [empty(), unknown_choice(), script()], "whatsapp": [empty(), not_phone(), oversized(20)],
                            "semester": [empty(), unknown_choice(), st.sampled_from(["1", "2", "4", "6", "7", "14"])]},
         prepare=lambda me, make_user: workshop_edition(me, make_user)),
    Form("workshops.scan_ticket", lambda w: f"/workshops/{w['workshop']}/checkin", "staff", {"code": "23019999"},
         {"code": [empty(), oversized(300), script(), control(), st.sampled_from(["tidak-ada", "23010001"])]},
         prepare=lambda me, make_user: workshop_edition(me, make_user, registered=True)),
    Form("workshops.mark_attendance", lambda w: f"/workshops/{w['workshop']}/attendance/{w['registration']}", "staff",
         {"present": "1"}, {"present": [empty(), unknown_choice(), script()]},
         prepare=lambda me, make_user: workshop_edition(me, make_user, registered=True)),
    Form("workshops.add_walk_in", lambda w: f"/workshops/{w['workshop']}/walk-ins", "staff",
         dict(WORKSHOP_REGISTRATION, semester=""), WORKSHOP_FIELDS | {"semester": [unknown_choice()]},
         prepare=lambda me, make_user: workshop_edition(me, make_user)),
    Form("workshops.list_programs", lambda w: "/admin/prodi", "admin",
         {"code": "PMAT", "name": "Pendidikan Matematika", "faculty": "FKIP", "kaprodi_id": ""},
         {"code": [empty(), oversized(20), script(), control(), st.just("P MAT")],
          "name": [empty(), oversized(200), script(), control()], "faculty": [oversized(200), script()],
          "kaprodi_id": [huge_id(), unknown_choice()]}),
    Form("notifications.preferences", lambda w: "/account/notifications", "student",
         {"notify_email": "y", "notify_whatsapp": "y", "phone": "+62 812 1"},
         {"phone": [empty(), not_phone(), oversized(20), script()]}),
    Form("workshops.new_workshop", lambda w: "/workshops/new", "staff",
         {"title": "Workshop Minat Bakat", "starts_at": "2031-03-01T09:00", "capacity": "250",
          "register_until": "2031-02-27T17:00"},
         {"title": [empty(), oversized(300), script(), control()],
          "starts_at": [empty(), not_datetime(), far_datetime(), st.just("2020-01-01T09:00")],
          "capacity": [empty(), not_phone(), st.sampled_from(["0", "-5", "100001"]), huge_id()],
          "register_until": [not_datetime(), far_datetime(), st.just("2031-03-02T09:00")]}),
    Form("workshops.add_member", lambda w: f"/workshops/{w['workshop']}/committee", "staff",
         {"user_id": "", "role": "anggota", "division": "Divisi tracer study"},
         {"user_id": [huge_id(), empty(), unknown_choice()], "role": [empty(), unknown_choice()],
          "division": [empty(), unknown_choice(), script()]}, prepare=lambda me, mu: workshop_for(me, mu)),
    Form("workshops.decide", lambda w: f"/workshops/{w['workshop']}/decision", "rectorate",
         {"decision": "disetujui", "note": ""},
         {"decision": [empty(), unknown_choice(), script()], "note": [oversized(2000)]},
         prepare=lambda me, mu: workshop_for(me, mu, stage="surat_tugas")),
    Form("workshops.schedule_meeting", lambda w: f"/workshops/{w['workshop']}/meeting", "staff",
         {"meeting_at": "2031-01-10T09:00", "place": "Ruang Rapat"},
         {"meeting_at": [empty(), not_datetime(), far_datetime(), st.just("2020-01-01T09:00")],
          "place": [empty(), oversized(300), script(), control()]},
         prepare=lambda me, mu: workshop_for(me, mu, stage="koordinasi")),
    Form("workshops.record_outcome", lambda w: f"/workshops/{w['workshop']}/outcome", "staff",
         {"theme": "Mengenal Diri"}, {"theme": [empty(), oversized(300), script(), control()]},
         prepare=lambda me, mu: workshop_for(me, mu, stage="koordinasi")),
    Form("workshops.add_speaker", lambda w: f"/workshops/{w['workshop']}/speakers", "staff",
         {"name": "Dra. Endang", "institution": "PT KAI", "topic": "Karier", "contact": "endang@test.id"},
         {"name": [empty(), oversized(200), script(), control()], "institution": [oversized(200), script()],
          "topic": [oversized(300), script()], "contact": [oversized(200), script()]},
         prepare=lambda me, mu: workshop_for(me, mu)),
    Form("workshops.add_item", lambda w: f"/workshops/{w['workshop']}/checklist", "staff", {"title": "Konsumsi"},
         {"title": [empty(), oversized(300), script(), control()]}, prepare=lambda me, mu: workshop_for(me, mu)),
    Form("workshops.assign_item", lambda w: f"/workshops/{w['workshop']}/checklist/{w['item']}/assign", "staff",
         {"assignee_id": ""}, {"assignee_id": [huge_id(), unknown_choice()]},
         prepare=lambda me, mu: workshop_for(me, mu)),
    Form("workshops.finish_preparation", lambda w: f"/workshops/{w['workshop']}/preparation", "staff",
         {"venue": "Aula"}, {"venue": [empty(), oversized(300), script(), control()]},
         prepare=lambda me, mu: workshop_for(me, mu, stage="persiapan")),
]


def workshop_for(me, make_user, stage=None) -> dict:
    """An edition of `me`'s unit with a chair, moved to `stage` (its steps before it skipped)."""
    from datetime import datetime, timezone

    from app.extensions import db
    from app.sop.services import skip_to
    from app.workshops import editions

    head = make_user("head")
    now = datetime(2026, 11, 23, 2, tzinfo=timezone.utc)
    workshop = editions.create_workshop("Workshop Uji", datetime(2031, 3, 1, 2, tzinfo=timezone.utc), 100, None,
                                        head, now=now)
    editions.add_member(workshop, make_user("committee"), "ketua", editions.DIVISIONS[0], head, now=now)
    make_user("committee", name="Calon Panitia")
    if stage:
        skip_to(workshop.case, stage, now=now)
    db.session.commit()
    return {"workshop": workshop.id, "item": editions.workshop_checklist(workshop)[0].id}
def not_rating():
    return st.sampled_from(["0", "6", "-1", "x", "5.5", "", "99999999999999999999"])


def attended_ticket(me, make_user) -> dict:
    from app.extensions import db
    from tests.test_workshop_report import make_workshop, program, register

    workshop, _head = make_workshop(make_user)
    ticket = register(workshop, "2301", program("PMAT", "Pendidikan Matematika"), 3, attended=True).ticket
    db.session.commit()
    return {"ticket": ticket}


def workshop_of_committee(me, make_user) -> dict:
    from tests.test_workshop_report import make_workshop

    workshop, _head = make_workshop(make_user)
    return {"workshop": workshop.id}


RATING_FIELDS = {"materi": [empty(), not_rating()], "narasumber": [empty(), not_rating()],
                 "penyelenggaraan": [empty(), not_rating()], "interests": [oversized(2000)],
                 "comments": [oversized(2000)]}
FORMS += [
    Form("workshops.evaluate", lambda w: f"/workshops/evaluate/{w['ticket']}", None,
         {"materi": "5", "narasumber": "4", "penyelenggaraan": "3", "interests": "Menulis", "comments": "Baik",
          "wants_counseling": "y"}, RATING_FIELDS, prepare=attended_ticket),
    Form("workshops.save_report_text", lambda w: f"/workshops/{w['workshop']}/report", "staff",
         {"report": "Laporan kegiatan."}, {"report": [empty(), oversized(8000)]}, prepare=workshop_of_committee),
    Form("workshops.submit_report_letter", lambda w: f"/workshops/{w['workshop']}/report/submit", "head",
         {"report": "Laporan kegiatan."}, {"report": [empty(), oversized(8000)]}, prepare=workshop_of_committee),
]

# -- referrals (app/referrals) ------------------------------------------------------------------
REFERRAL_REASON = "Sering tidak hadir dan nilai turun; perlu konseling akademik."


def referral_roster(advisor_email: str | None = None) -> list[int]:
    """Three students in the roster (the first two advised by `advisor_email` when given)."""
    from app.extensions import db
    from app.workshops.models import RosterStudent
    from app.workshops.roster import import_roster, save_program

    save_program(None, "PTI", "Pendidikan TI", None, None)
    db.session.flush()
    pa = advisor_email or ""
    import_roster(("NIM;Nama;Prodi;Semester;E-mail;Dosen PA\n"
                   f"2101010001;Ani Lestari;PTI;3;ani@test.id;{pa}\n2101010002;Budi;PTI;3;budi@test.id;{pa}\n"
                   "2101010003;Cici;PTI;3;cici@test.id;\n").encode(), "r.csv")
    db.session.commit()
    return [s.id for s in db.session.scalars(db.select(RosterStudent).order_by(RosterStudent.nim))]


def my_advisee(me, make_user) -> dict:
    return {"student": referral_roster(me.email)[0]}


def referral_at(step: str | None):
    """A referral by a new advisor, moved to `step` (None: waiting for staff), with a counselor."""
    def prepare(me, make_user) -> dict:
        from app.extensions import db
        from app.referrals.services import refer_student
        from app.sop.services import skip_to

        advisor = make_user("advisor", email="pa-sweep@test.id")
        counselor = make_user("counselor", name="Konselor Sapuan")
        referral = refer_student(advisor, referral_roster(advisor.email)[0], REFERRAL_REASON)
        if step:
            skip_to(referral.case, step)
        db.session.commit()
        return {"case": referral.case_id, "counselor": counselor.id}

    return prepare


def own_request_case(me, make_user) -> dict:
    from app.extensions import db
    from app.referrals.desk import open_at_desk

    referral_roster()
    case = open_at_desk(me, "2101010001", "Butuh konseling.")
    db.session.commit()
    return {"case": case.id}


def logbook_line(me, make_user) -> dict:
    from datetime import datetime, timezone

    from app.extensions import db
    from app.referrals.models import LogbookEntry
    from app.sop.offerings import sync_offerings

    sync_offerings()
    counselor = make_user("counselor", name="Konselor Sapuan")
    line = LogbookEntry(unit_id=None, student_name="Ani Lestari", service_kind="Konseling", counselor_id=counselor.id,
                        served_at=datetime(2026, 11, 23, 2, tzinfo=timezone.utc), duration_minutes=30,
                        outcome="Selesai", status="terlaksana", created_by_id=me.id)
    db.session.add(line)
    db.session.commit()
    return {"line": line.id, "counselor": counselor.id}


LINE_FIELDS = {"served_at": [empty(), not_datetime(), far_datetime()],
               "service_kind": [empty(), oversized(200), script(), control()],
               "counselor_id": [empty(), huge_id(), unknown_choice()],
               "duration_minutes": [not_phone(), st.sampled_from(["0", "-5", "481"]), huge_id()],
               "outcome": [oversized(500), script(), control()]}


def valid_in(form, world) -> dict:
    """The form's valid submission; a value "@name" is the world's record `name` (its id)."""
    return {k: str(world[v[1:]]) if isinstance(v, str) and v.startswith("@") else v for k, v in form.valid.items()}


FORMS += [
    Form("referrals.new_referral", lambda w: "/referrals/new", "advisor",
         {"student": "@student", "reason": REFERRAL_REASON},
         {"student": [empty(), huge_id(), unknown_choice()], "reason": [empty(), oversized(4000), short(10), script()]},
         prepare=my_advisee),
    Form("referrals.inform", lambda w: f"/referrals/case/{w['case']}/inform", "staff", {"service": "Konseling akademik"},
         {"service": [empty(), oversized(200), script(), control()]}, prepare=referral_at(None)),
    Form("referrals.advisor_settings", lambda w: "/referrals/advisors", "staff", {"nim": "2101010003", "advisor_id": ""},
         {"nim": [empty(), oversized(20), script(), st.just("999999")], "advisor_id": [huge_id(), unknown_choice()]},
         prepare=lambda me, mu: {"students": referral_roster()}),
    Form("referrals.desk", lambda w: "/counseling/desk", "staff", {"nim": "2101010001", "need": "Butuh konseling."},
         {"nim": [empty(), oversized(20), script(), st.just("999999")], "need": [empty(), oversized(4000)]},
         prepare=lambda me, mu: {"students": referral_roster()}),
    Form("referrals.edit_line", lambda w: f"/logbook/{w['line']}", "staff",
         {"served_at": "2026-11-23T09:00", "service_kind": "Konseling", "counselor_id": "@counselor",
          "duration_minutes": "45", "outcome": "Selesai", "reason": "Durasi sebenarnya 45 menit"},
         LINE_FIELDS | {"reason": [empty(), oversized(400), script(), control()]}, prepare=logbook_line),
    Form("referrals.logbook_step", lambda w: f"/cases/{w['case']}/logbook", "staff",
         {"served_at": "2026-11-23T09:00", "service_kind": "Konseling", "counselor_id": "@counselor",
          "duration_minutes": "45", "outcome": "Selesai", "needs_external": "tidak"},
         LINE_FIELDS | {"needs_external": [empty(), unknown_choice()]}, prepare=referral_at("log_book")),
    Form("referrals.external_step", lambda w: f"/cases/{w['case']}/external", "staff",
         {"party_id": "", "name": "dr. Sari", "institution": "RSJ Menur", "address": "Jl. Menur 120", "email": ""},
         {"party_id": [huge_id(), unknown_choice()], "name": [empty(), oversized(200), script(), control()],
          "institution": [empty(), oversized(200), script()], "address": [empty(), oversized(400), script()],
          "email": [not_email(), oversized(254)]}, prepare=referral_at("surat_rujukan")),
    Form("referrals.status_step", lambda w: f"/cases/{w['case']}/student-status", "staff",
         {"nim": "2101010001", "override": "", "override_reason": ""},
         {"nim": [empty(), oversized(20), script(), st.just("123456")],
          "override_reason": [oversized(400), script(), control()]}, prepare=own_request_case),
]


# -- dispositions (IPDN) ----------------------------------------------------------------------
def _ipdn_due() -> str:
    from datetime import date, timedelta

    return (date.today() + timedelta(days=3)).isoformat()


# The recipient's id is only known once the case is made: its preparation fills it in.
IPDN_GIVE = {"to_user": "", "instructions": "diketahui", "note": "Mohon arahan.", "due_on": _ipdn_due()}


def ipdn_at_disposition(me, make_user) -> dict:
    from tests.test_ipdn_dispositions import therapy_world

    world = therapy_world(make_user, head=me)
    IPDN_GIVE["to_user"] = str(world["bureau"])
    return world


def ipdn_at_carrying_out(me, make_user) -> dict:
    from tests.test_ipdn_dispositions import therapy_world

    return therapy_world(make_user, head=me, upto="laksana_disposisi")


FORMS += [
    Form("dispositions.give", lambda w: f"/cases/{w['therapy_case']}/disposisi", "head", IPDN_GIVE,
         {"to_user": [huge_id(), empty(), unknown_choice()], "instructions": [unknown_choice(), empty()],
          "note": [oversized(1000), script(), control()], "due_on": [empty(), not_date(), far_date()]},
         prepare=ipdn_at_disposition),
    Form("sop.new_case (daftarkan praja)", lambda w: "/cases/new/ipdn-bk-praja", "staff",
         {"source": "pengamatan staf Unit BK", "level": "Madya Praja", "reason": "Murung.", "new_name": "Andi Saputra",
          "new_number": "33.0777", "new_email": ""},
         {"new_name": [empty(), oversized(120), script(), control()], "new_number": [empty(), oversized(40), script(), control()],
          "new_email": [not_email(), oversized(254), script()]}),
    Form("dispositions.carry", lambda w: f"/cases/{w['therapy_case']}/disposisi/laksana", "head",
         {"note": "Telah dilaksanakan."}, {"note": [empty(), oversized(1000), script(), control()]},
         prepare=ipdn_at_carrying_out),
]


# -- online counseling (app/online) ----------------------------------------------------------
def online_request(me, make_user, stage: str = "acknowledged") -> dict:
    """An e-konseling request: `me`'s at the identity stage ("wizard"), another student's waiting
    for a counselor ("acknowledged"), or that one taken by `me` answering ("claimed"); the unit's
    rota for the head."""
    from app.extensions import db
    from app.online.thread import post_message
    from tests.test_online_web import acknowledged, in_wizard

    if stage == "wizard":
        return {"case": in_wizard(me).id}
    case = acknowledged(make_user("student", name="Mahasiswa Online"))
    if stage == "claimed":
        post_message(case, me, "Halo")
        db.session.commit()
    return {"case": case.id}


FORMS += [
    Form("online.wizard", lambda w: f"/online/cases/{w['case']}/wizard", "student",
         {"nim": "221011", "prodi": "Psikologi", "phone": "0812 3456 7890", "mode": "online"},
         {"nim": [empty(), oversized(20)], "prodi": [empty(), oversized(120)],
          "phone": [empty(), not_phone(), script()], "mode": [empty(), unknown_choice(), script()]},
         prepare=lambda me, mu: online_request(me, mu, "wizard")),
    Form("online.post", lambda w: f"/online/cases/{w['case']}/messages", "counselor", {"text": "Halo, saya konselor."},
         {"text": [empty(), oversized(4000), control()]}, prepare=lambda me, mu: online_request(me, mu, "claimed")),
    Form("online.finish", lambda w: f"/online/cases/{w['case']}/finish", "counselor", {"text": "Laporan singkat."},
         {"text": [empty(), oversized(4000), control()]}, prepare=lambda me, mu: online_request(me, mu, "claimed")),
    Form("online.propose", lambda w: f"/online/cases/{w['case']}/session", "counselor",
         {"start": "2031-01-07T09:00", "mode": "online", "meeting_url": "https://meet.example.id/abc",
          "meeting_code": "123 456"},
         {"start": [empty(), not_datetime(), far_datetime()], "mode": [empty(), unknown_choice(), script()],
          "meeting_url": [script(), oversized(500)], "meeting_code": [oversized(100), script(), control()]},
         prepare=lambda me, mu: online_request(me, mu, "claimed")),
    Form("online.rota", lambda w: "/online/rota", "head",
         {"unit": "1", "counselor": "1", "weekday": "6", "start_time": "20:00", "end_time": "00:00"},
         {"unit": [empty(), unknown_choice(), huge_id()], "counselor": [empty(), unknown_choice(), huge_id()],
          "weekday": [empty(), unknown_choice()], "start_time": [empty(), not_time()]}),
]


# -- PUSPAGA case files (app/casefiles); uploads have their own sweep in tests/test_casefiles.py
def _puspaga_at(step: str):
    """A PUSPAGA case of a configured unit with the logged-in user as its counselor (or, for the
    withdrawal, as its client), brought to `step`: completeness, consent, assessment, withdraw."""

    def prepare(me, make_user):
        from app.extensions import db
        from app.casefiles.uploads import required_documents, store_upload
        from tests.puspaga_flow import assess, configure_unit, consent, open_puspaga, pdf_bytes, to_consent

        unit = configure_unit()
        staff = make_user("staff")
        counselor = make_user("counselor") if step == "withdraw" else me
        case = open_puspaga(staff, me if step == "withdraw" else make_user("client"))
        for doc in required_documents(unit.id):
            store_upload(case, staff, "dok.pdf", pdf_bytes(), doc.id)
        if step != "completeness":
            to_consent(case, counselor)
        if step in ("assessment", "withdraw"):
            consent(case, counselor)
        db.session.commit()
        return {"case": case.id, "unit": unit.id}

    return prepare


def _puspaga_unit(me, make_user):
    from tests.puspaga_flow import configure_unit

    unit = configure_unit()
    from app.extensions import db
    db.session.commit()
    return {"unit": unit.id}


FORMS += [
    Form("casefiles.case_file (kategori)", lambda w: f"/cases/{w['case']}/file", "counselor",
         {"problem_category": "Pengasuhan anak", "problem": "Anak sering membolos"},
         {"problem_category": [empty(), unknown_choice(), script()], "problem": [empty(), oversized(4000)]},
         prepare=_puspaga_at("completeness")),
    Form("casefiles.consent", lambda w: f"/cases/{w['case']}/consent", "counselor",
         {"agreed": "ya", "name": "Ibu Siti", "relation": "orang tua", "signature_kind": "typed", "typed": "Ibu Siti"},
         {"agreed": [empty(), unknown_choice()], "name": [empty(), oversized(200), script(), control()],
          "relation": [oversized(100), script()], "signature_kind": [empty(), unknown_choice()],
          "typed": [empty(), oversized(200), script()]},
         prepare=_puspaga_at("consent")),
    Form("casefiles.assessment", lambda w: f"/cases/{w['case']}/assessment", "counselor",
         {"q2": "Sejak Juli", "summary": "Ringkasan"},  # q2 is a short answer (500), q1 a long one
         {"q2": [empty(), oversized(500)], "summary": [oversized(8000)]}, prepare=_puspaga_at("assessment")),
    Form("casefiles.withdraw", lambda w: f"/cases/{w['case']}/consent/withdraw", "client",
         {"reason": "Keluarga pindah kota"}, {"reason": [empty(), oversized(1000)]}, prepare=_puspaga_at("withdraw")),
    Form("casefiles.save_documents", lambda w: f"/units/{w['unit']}/casefiles/documents", "head",
         {"documents": "KTP\nKartu keluarga"}, {"documents": [oversized(8000)]}, prepare=_puspaga_unit),
    Form("casefiles.save_categories", lambda w: f"/units/{w['unit']}/casefiles/categories", "head",
         {"service": "Konseling individu", "channel": "Datang langsung", "problem": "Pengasuhan anak"},
         {"service": [oversized(6000)], "channel": [oversized(6000)], "problem": [oversized(6000)]},
         prepare=_puspaga_unit),
    Form("casefiles.save_assessment_sheet", lambda w: f"/units/{w['unit']}/casefiles/sheet", "head",
         {"title": "Lembar Asesmen", "sheet": "## Bagian\nPertanyaan"},
         {"title": [empty(), oversized(200), script(), control()], "sheet": [empty(), oversized(20000)]},
         prepare=_puspaga_unit),
]


ENGLISH_DEFAULTS = ("This field is required", "Invalid email", "Field must be", "Not a valid", "is not a valid choice")


@pytest.mark.parametrize("form", FORMS, ids=lambda f: f.name)
def test_bad_input_is_refused_clearly_and_changes_nothing(app, login_as, make_user, form):
    from app.extensions import limiter

    if form.role:
        client, me = login_as(form.role)
    else:
        client, me = app.test_client(), None
    if form.prepare:
        world = form.prepare(me, make_user)
    else:
        world = {"user": make_user("student", name="Sasaran Ubah", email="sasaran@test.id")}
    cases = st.sampled_from(sorted(form.bad)).flatmap(
        lambda name: st.tuples(st.just(name), st.one_of(*form.bad[name])))

    @settings(max_examples=30, deadline=None, derandomize=True,
              suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
    @given(case=cases)
    def check(case):
        name, value = case
        if not form.role:
            limiter.reset()
        before = db_fingerprint()
        data = {**valid_in(form, world), name: value}
        response = client.submit(form.path(world), data)
        body = response.get_data(as_text=True)
        assert response.status_code in (400, 422), (name, value, response.status_code)
        assert 'class="error"' in body, (name, value)
        assert not any(text in body for text in ENGLISH_DEFAULTS), (name, value)
        assert "<script>alert(1)</script>" not in body and "<svg/onload" not in body
        assert db_fingerprint() == before, (name, value)

    check()


# -- every form field at its extremes --------------------------------------------------------
EXTREMES = ["0", "-1", str(2**31), str(2**63), "99999999999999999999", "9" * 400, "x" * 20000, "ąé漢字 ", "..", "%00",
            *FAR_DATES, *FAR_TIMES, "9999-12-31T23:59+14:00", "0001-01-01T00:00-12:00"]


@pytest.mark.parametrize("form", FORMS, ids=lambda f: f.name)
def test_every_form_field_survives_extreme_values(app, login_as, make_user, form):
    """Any field, any extreme value: accepted or refused with a message, never a server error;
    a refusal changes nothing."""
    from app.extensions import limiter

    client, me = login_as(form.role) if form.role else (app.test_client(), None)
    world = form.prepare(me, make_user) if form.prepare else {"user": make_user("student", email="sasaran@test.id")}

    @settings(max_examples=8, deadline=None, derandomize=True,
              suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
    @given(name=st.sampled_from(sorted(set(form.valid) | set(form.bad))), value=st.sampled_from(EXTREMES))
    def check(name, value):
        limiter.reset()
        before = db_fingerprint()
        response = client.submit(form.path(world), {**valid_in(form, world), name: value})
        assert response.status_code < 500, (name, value)
        if response.status_code in (400, 422):
            assert 'class="error"' in response.get_data(as_text=True), (name, value)
            assert db_fingerprint() == before, (name, value)

    check()


# -- every route with its path parameters at their extremes ----------------------------------
SEGMENTS = ["0", "-1", str(2**31 - 1), str(2**31), str(2**63 - 1), str(2**63), str(10**20), "9" * 400, "x" * 3000,
            "ąé漢字", "..", "%00", "%2e%2e%2f", " ", "<script>"]
QUERY_NAMES = ["month", "page", "week", "from", "to", "year", "code", "state", "status", "q", "role", "unit", "next", "after",
               "before"]
QUERY_VALUES = ["0", "-1", str(2**31), str(2**63), str(10**20), "9" * 400, "x" * 3000, "ąé漢字", "..", *FAR_DATES, *FAR_TIMES,
                "2026-02-30", "//evil.example", "\x7f"]


def _route_clients(app, make_user):
    """A signed-in client per role on demand; the booking world's own counselor and alumnus for
    the routes only they may use (the matrix's NOBODY rows)."""
    from app.auth.models import User
    from app.extensions import db

    clients = {}

    def client_for(who: str):
        if who not in clients:
            client = app.test_client()
            if who != "anonymous":
                user = (db.session.scalar(db.select(User).where(User.name == who)) if " " in who else make_user(who))
                assert client.submit("/login", {"email": user.email, "password": "rahasia123"}).status_code == 302
            clients[who] = client
        return clients[who]

    def allowed_clients(allowed):
        if "anonymous" in allowed:
            return [client_for("anonymous")]
        return [client_for(sorted(allowed)[0])] if allowed else [client_for("Konselor Dunia"), client_for("Alumni Dunia")]

    return allowed_clients


def _request(client, method, path, data=None):
    """The answer's status, or the exception a server error would have been (tests propagate them)."""
    try:
        response = client.get(path) if method == "GET" else client.submit(path, data or {})
    except Exception as exc:  # noqa: BLE001 - a 500 in production
        return f"{type(exc).__name__}: {str(exc)[:120]}"
    return response.status_code


def test_every_route_survives_extreme_path_parameters(app, make_user):
    """Each route × each of its path parameters × each extreme, asked by someone allowed on the
    route (the other parameters real): 4xx or success, never a 5xx."""
    import re
    from urllib.parse import quote

    from tests.test_authorization import MATRIX, make_world

    world = make_world(make_user)
    clients_for = _route_clients(app, make_user)
    adapter = app.url_map.bind("localhost")
    failures = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if rule.endpoint == "static" or not rule.arguments:
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            build, allowed = MATRIX[(rule.endpoint, method)]
            real = adapter.match(build(world), method=method)[1]
            for name in sorted(rule.arguments):
                for value in SEGMENTS:
                    values = {k: quote(str(v), safe="%.") for k, v in real.items()} | {name: quote(value, safe="%.")}
                    path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", lambda m: values[m.group(1)], rule.rule)
                    for client in clients_for(allowed):
                        status = _request(client, method, path)
                        if not isinstance(status, int) or status >= 500:
                            failures.append(f"{method} {path[:120]}: {status}")
    assert failures == []


def test_every_page_survives_extreme_query_parameters(app, make_user):
    """Each GET route with every query parameter the app reads set to each extreme (paging,
    weeks, report periods, filters, redirects), then random mixtures: never a 5xx."""
    from urllib.parse import urlencode

    from tests.test_authorization import MATRIX, make_world

    world = make_world(make_user)
    clients_for = _route_clients(app, make_user)
    pages = sorted((endpoint, build, allowed) for (endpoint, method), (build, allowed) in MATRIX.items() if method == "GET")
    failures = []
    for endpoint, build, allowed in pages:
        for value in QUERY_VALUES:
            path = f"{build(world)}?{urlencode({name: value for name in QUERY_NAMES})}"
            for client in clients_for(allowed):
                status = _request(client, "GET", path)
                if not isinstance(status, int) or status >= 500:
                    failures.append(f"{endpoint} ={value[:30]!r}: {status}")
    assert failures == []

    any_text = st.text(st.characters(exclude_categories=("Cs",)), max_size=30)

    @settings(max_examples=40, deadline=None, derandomize=True,
              suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
    @given(page=st.sampled_from(pages),
           query=st.dictionaries(st.sampled_from(QUERY_NAMES), st.one_of(st.sampled_from(QUERY_VALUES), any_text)))
    def check(page, query):
        endpoint, build, allowed = page
        for client in clients_for(allowed):
            status = _request(client, "GET", f"{build(world)}?{urlencode(query)}")
            assert isinstance(status, int) and status < 500, (endpoint, query, status)

    check()


# -- the command line ------------------------------------------------------------------------
# Not swept: the servers run until stopped (their arguments are plain host/port options), and
# `db` is Flask-Migrate's (Alembic's) group, not ours.
NOT_SWEPT = {"jobs run", "serve", "db"}


def _commands(group, prefix=()):
    import click

    for name, command in sorted(group.commands.items()):
        if " ".join((*prefix, name)) in NOT_SWEPT:
            continue
        if isinstance(command, click.Group):
            yield from _commands(command, (*prefix, name))
        else:
            yield (*prefix, name), command


def _cli_values(folder):
    """Extreme command-line arguments: odd text, far dates, huge numbers, and paths that are a
    folder, missing, in a missing folder, or a file that is not UTF-8. (No NUL: argv cannot hold one.)"""
    not_utf8 = folder / "latin1.yaml"
    not_utf8.write_bytes("code: uji\ntitle: Konseling \xe9\n".encode("latin-1"))
    return ["", " ", "0", "-1", str(2**63), "9" * 400, "x" * 5000, "ąé漢字", "..", "<b>x</b>", "bukan-alamat", "a@",
            "9999-12-31", "0001-01-01", "9999-12-31T15:00", "0001-01-01T00:00+07:00", "9999-12-31T23:59-12:00",
            "2026-11-20T15:50", "9999 minggu", "1 minggu", str(folder), str(folder / "tidak" / "ada.xlsx"),
            str(not_utf8), str(folder / "keluar.xlsx"), "pendek"]


# A valid invocation of every command (parameter name -> value; True for a flag, "stdin" for what
# is typed in). A new command joins by adding a row; the sweep fails for a command without one.
COMMANDS = {
    ("calendar", "due"): {"start": "2026-11-20T15:50", "duration": "1 minggu", "wall_clock": False},
    ("calendar", "url"): {"email": "konselor@test.id"},
    ("data", "archive"): {"before": "2025-01-01"},
    ("jobs", "tick"): {"now_text": "2026-11-23T09:00+07:00"},
    ("reports", "compliance"): {"start": "2026-11-01", "end": "2026-11-30", "xlsx": "laporan.xlsx"},
    ("reports", "rebuild"): {},
    ("seed-demo",): {"password": "demo12345", "if_empty": False},
    ("sop", "check"): {"file": "app/sop/procedures/puspaga-konseling.yaml"},
    ("sop", "list"): {},
    ("workshops", "create"): {"title": "Workshop", "at": "2031-03-01T09:00+07:00", "capacity": "100",
                              "register_until": "2031-02-27T17:00+07:00"},
    ("workshops", "import-roster"): {"file": "app/sop/procedures/puspaga-konseling.yaml"},  # read, refused: exit 1
    ("workshops", "report"): {"workshop_id": "1", "xlsx": "laporan.xlsx"},
    ("users", "create"): {"email": "baru@test.id", "name": "Baru", "roles": "student", "password_stdin": True,
                          "stdin": "rahasia123"},
}


def _argv(command, values: dict) -> list[str]:
    """Options first, then `--` and the arguments, so that a value like `-1` stays a value."""
    import click

    options, arguments = [], []
    for param in command.params:
        value = values.get(param.name)
        if value is None or value is False:
            continue
        if isinstance(param, click.Option):
            options += [param.opts[0]] if param.is_flag else [param.opts[0], value]
        else:
            arguments.append(value)
    return options + ["--"] + arguments


def test_every_command_refuses_extreme_arguments_without_a_traceback(app, make_user, tmp_path, monkeypatch):
    """Each command of `flask …` from a valid invocation, each parameter in turn at each extreme
    (then random mixtures): exit 0, or 1 with a sentence of our own on stderr, or click's usage
    error 2; never an exception."""
    from app.extensions import db
    from tests.conftest import ROOT

    monkeypatch.chdir(tmp_path)  # whatever a command writes lands here
    (tmp_path / "app").symlink_to(ROOT / "app")
    extremes = _cli_values(tmp_path)
    make_user("counselor", email="konselor@test.id")
    runner = app.test_cli_runner()
    commands = dict(_commands(app.cli))
    assert sorted(commands.keys() - COMMANDS.keys()) == [], "commands missing from COMMANDS"

    def run(path, values):
        args = [*path, *_argv(commands[path], values)]
        result = runner.invoke(args=args, input=str(values.get("stdin", "")) + "\n")
        db.session.rollback()  # the command ran in this test's app context: end it as a process would
        assert result.exception is None or isinstance(result.exception, SystemExit), (args, result.exception)
        assert result.exit_code in (0, 1, 2) and "Traceback" not in result.output, (args, result.output[-300:])
        if result.exit_code == 1:
            assert result.stderr.strip() and not result.stderr.startswith("Error:"), (args, result.stderr)

    for path, valid in sorted(COMMANDS.items()):
        run(path, valid)
        for name in [p.name for p in commands[path].params if p.name != "help"] + ["stdin"]:
            for value in (True, False) if isinstance(valid.get(name), bool) else extremes:
                run(path, {**valid, name: value})

    @settings(max_examples=30, deadline=None, derandomize=True,
              suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
    @given(path=st.sampled_from(sorted(COMMANDS)), mixture=st.dictionaries(
        st.sampled_from(["start", "duration", "email", "name", "roles", "now_text", "end", "xlsx", "file", "password",
                         "stdin"]), st.sampled_from(extremes), max_size=3))
    def check(path, mixture):
        run(path, {**COMMANDS[path], **mixture})

    check()


# -- letter templates (their sandbox lives on the documents branch) --------------------------
HOSTILE_TEMPLATES = ["{% include 'base.html' %}", "{% extends 'base.html' %}", "{% import 'x.html' as x %}",
                     "{{ range(10**9)|list|length }}", "{% for i in range(10**9) %}x{% endfor %}",
                     "{% for a in range(10**5) %}{% for b in range(10**5) %}x{% endfor %}{% endfor %}",
                     "{% macro m() %}{{ m() }}{% endmacro %}{{ m() }}", "{{ 'x' * 10**9 }}", "{{ person * 10**9 }}"]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_template_preview_refuses_hostile_templates_in_bounded_time(login_as):
    """include/extends/import, huge ranges, nested loops, recursion, huge strings: a form error
    (or a bounded preview) within seconds, never a 500 or a held worker."""
    import time

    client, _ = login_as("admin")
    for body in HOSTILE_TEMPLATES:
        for action in ("preview", "save"):
            started = time.monotonic()
            status = _request(client, "POST", "/admin/letters/surat_tugas",
                              {"body": body, "number_format": "{seq:03d}/ST/{year}", "action": action})
            assert isinstance(status, int) and status in (200, 302, 422), (body, action, status)
            assert time.monotonic() - started < 10, (body, action)
        pdf = _request(client, "GET", "/admin/letters/surat_tugas/preview.pdf")
        assert isinstance(pdf, int) and pdf < 500, (body, pdf)


# -- roster rows that must be rejected ---------------------------------------------------------
ROSTER_ROW = {"NIM": "2101010001", "Nama": "Ani Lestari", "Prodi": "PMAT", "Semester": "3", "E-mail": "ani@test.id",
              "WhatsApp": "0812 3456 7890"}
ROSTER_BAD = {
    "NIM": [empty(), st.sampled_from(["1234", "21A0101", "9" * 21, "-2101010001", "²¹⁰¹⁰¹"]), script()],
    "Nama": [empty(), oversized(200), script(), control()],
    "Prodi": [empty(), unknown_choice(), script()],
    "Semester": [empty(), st.sampled_from(["0", "15", "-3", "3.5", "tiga", "99999999999999999999", "٣"])],
    "E-mail": [not_email(), script(), oversized(254)],
    "WhatsApp": [not_phone(), st.sampled_from(["12345", "0212345678", "+1 415 555 0100"]), script()],
}


def test_roster_rows_that_must_be_rejected_are_reported_and_change_nothing(app, login_as):
    """A one-row roster whose row is wrong in any column: 422, the line and an Indonesian reason,
    and no change (as CSV with `;`, the way Excel saves it in Indonesia)."""
    import io

    from app.extensions import db
    from app.workshops.models import StudyProgram

    client, _me = login_as("staff")
    db.session.add(StudyProgram(code="PMAT", name="Pendidikan Matematika"))
    db.session.commit()
    cases = st.sampled_from(sorted(ROSTER_BAD)).flatmap(
        lambda name: st.tuples(st.just(name), st.one_of(*ROSTER_BAD[name])))

    @settings(max_examples=40, deadline=None, derandomize=True,
              suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
    @given(case=cases)
    def check(case):
        name, value = case
        row = {**ROSTER_ROW, name: value.replace(";", ",").replace("\n", " ").replace("\r", " ").replace('"', "'")}
        text = ";".join(ROSTER_ROW) + "\n" + ";".join(row.values()) + "\n"
        before = db_fingerprint()
        response = client.submit("/workshops/roster", {"file": (io.BytesIO(text.encode()), "roster.csv")},
                                 content_type="multipart/form-data")
        body = response.get_data(as_text=True)
        assert response.status_code == 422, (name, value, response.status_code)
        # a NUL byte makes the whole file unreadable (no spreadsheet writes one); else the row is refused
        assert 'class="error"' in body and ("Ditolak: 1" in body or "bukan CSV" in body), (name, value)
        assert "<script>alert(1)</script>" not in body and "<svg/onload" not in body
        assert db_fingerprint() == before, (name, value)

    check()
